"""Where archives are kept: a folder, or S3-compatible object storage (``s3://bucket/prefix``
with ``BACKUP_S3_ENDPOINT_URL`` for MinIO, Backblaze B2, Cloudflare R2, Scaleway…).

Archives are written whole or not at all: to a temporary name then renamed in a folder; as
one (multipart) upload that only appears when complete in S3. boto3 finds its credentials
the usual way (``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, a profile, an instance
role) and retries throttling and 5xx itself (standard retry mode).
"""

from __future__ import annotations

import re
import secrets
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from storefront.backups.errors import BackupError
from storefront.config import Settings

SUFFIX = ".sfbak"
_NAME = re.compile(r"^storefront-(\d{8}T\d{6}Z)-[0-9a-f]{6}\.sfbak$")


def archive_name(now: datetime) -> str:
    return f"storefront-{now.astimezone(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}{SUFFIX}"


def created_from_name(name: str) -> datetime | None:
    match = _NAME.match(name)
    if match is None:
        return None
    return datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


@dataclass(frozen=True)
class StoredBackup:
    name: str
    size: int
    created_at: datetime


class BackupStore(Protocol):
    location: str

    def put(self, name: str, source: Path) -> None: ...

    def fetch(self, name: str, target: Path) -> None: ...

    def head(self, name: str, size: int) -> bytes:
        """The first ``size`` bytes (an archive's header)."""

    def list(self) -> list[StoredBackup]:
        """The archives, newest first."""

    def delete(self, name: str) -> None: ...


def _listed(entries: list[tuple[str, int]]) -> list[StoredBackup]:
    found = []
    for name, size in entries:
        created = created_from_name(name)
        if created is not None:
            found.append(StoredBackup(name, size, created))
    return sorted(found, key=lambda b: (b.created_at, b.name), reverse=True)


def _check_name(name: str) -> str:
    if created_from_name(name) is None:
        raise BackupError(f"{name!r} is not the name of a backup (storefront-<time>-<id>.sfbak)")
    return name


class FolderStore:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.location = str(folder)

    def put(self, name: str, source: Path) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        partial = self.folder / f".{_check_name(name)}.partial"
        shutil.copyfile(source, partial)
        partial.replace(self.folder / name)

    def _path(self, name: str) -> Path:
        path = self.folder / _check_name(name)
        if not path.is_file():
            raise BackupError(f"no backup {name} in {self.location}")
        return path

    def fetch(self, name: str, target: Path) -> None:
        shutil.copyfile(self._path(name), target)

    def head(self, name: str, size: int) -> bytes:
        with self._path(name).open("rb") as handle:
            return handle.read(size)

    def list(self) -> list[StoredBackup]:
        if not self.folder.is_dir():
            return []
        return _listed([(p.name, p.stat().st_size) for p in self.folder.glob(f"*{SUFFIX}")])

    def delete(self, name: str) -> None:
        self._path(name).unlink()


class S3Store:
    def __init__(self, bucket: str, prefix: str, client: Any) -> None:
        self.bucket, self.prefix, self.client = bucket, prefix, client
        self.location = f"s3://{bucket}/{prefix}".rstrip("/")

    @classmethod
    def from_url(cls, url: str, endpoint_url: str | None = None) -> S3Store:
        parts = urlsplit(url)
        client = boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            config=Config(
                retries={"mode": "standard", "max_attempts": 5},
                connect_timeout=10,
                read_timeout=120,
            ),
        )
        prefix = parts.path.strip("/")
        return cls(parts.netloc, f"{prefix}/" if prefix else "", client)

    def _key(self, name: str) -> str:
        return self.prefix + _check_name(name)

    def _call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (BotoCoreError, ClientError) as exc:
            raise BackupError(f"{what} {self.location} failed: {exc}") from exc

    def put(self, name: str, source: Path) -> None:
        self._call("upload to", self.client.upload_file, str(source), self.bucket, self._key(name))

    def fetch(self, name: str, target: Path) -> None:
        self._call(
            "download from", self.client.download_file, self.bucket, self._key(name), str(target)
        )

    def head(self, name: str, size: int) -> bytes:
        answer = self._call(
            "read from",
            self.client.get_object,
            Bucket=self.bucket,
            Key=self._key(name),
            Range=f"bytes=0-{size - 1}",
        )
        data: bytes = answer["Body"].read()
        return data

    def list(self) -> list[StoredBackup]:
        entries = []
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix
        )
        try:
            for page in pages:
                for item in page.get("Contents", []):
                    entries.append((item["Key"][len(self.prefix) :], int(item["Size"])))
        except (BotoCoreError, ClientError) as exc:
            raise BackupError(f"listing {self.location} failed: {exc}") from exc
        return _listed(entries)

    def delete(self, name: str) -> None:
        self._call(
            "delete from", self.client.delete_object, Bucket=self.bucket, Key=self._key(name)
        )


def store_for(settings: Settings) -> BackupStore:
    location = settings.backup_location
    if location.startswith("s3://"):
        return S3Store.from_url(location, settings.backup_s3_endpoint_url)
    if location.startswith("file://"):
        location = urlsplit(location).path
    return FolderStore(Path(location))
