"""How long a backup and a restore take on the demo data, against the bare steps they wrap.

    .venv/bin/python bench/backup_restore.py [--orders 200] [--db sqlite|postgresql]

The shop: the demo catalog in the local lake (documents and artwork) and ``--orders`` paid
orders with customers, payments, events and outbox entries. Measured in one run:

* create — ``storefront.backups.services.create_backup``: dump, checksum, seal, read back,
  store in a folder;
* restore — ``restore`` into a fresh database and lake: header checks, decrypt and verify the
  whole archive, replace the database, import the lake;
* baseline — the same restore without the archive: the database copied straight back
  (SQLite's backup API, or ``pg_restore`` of the same dump) and the same export imported
  into a fresh lake. The ratio restore/baseline is what the archive costs (authentication,
  checksums, unpacking).

Run ``--repeat`` times; medians are printed. Exits 1 if a restored shop differs.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from devstack.lake_backup import LakeFile  # noqa: E402
from storefront import migrate  # noqa: E402
from storefront.app import create_app  # noqa: E402
from storefront.backups import services as backups  # noqa: E402
from storefront.backups.archive import read_archive  # noqa: E402
from storefront.backups.database import restore_database  # noqa: E402
from storefront.backups.storage import FolderStore  # noqa: E402
from storefront.config import Settings  # noqa: E402
from storefront.container import services  # noqa: E402
from tests.backups.support import (  # noqa: E402
    DATA_KEYS,
    make_lake,
    make_shop_data,
    snapshot_lake,
    snapshot_tables,
)
from tests.fulfillment_flow.conftest import paid_order  # noqa: E402


def settings_for(url: str, data_dir: Path) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        storefront_env="test",
        log_level="WARNING",
        database_url=url,
        data_dir=data_dir,
        data_keys=DATA_KEYS,
        backup_content="lake",
    )


@contextmanager
def databases(kind: str) -> Iterator[Callable[[str], str]]:
    if kind == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix="bench-backup-db-"))
        yield lambda name: f"sqlite:///{folder / name}.db"
        return
    from tests.support.postgres import create_database, postgres_server

    with postgres_server() as server:
        yield lambda name: create_database(server, name)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-backup-"))
    with databases(args.db) as fresh:
        source_url = fresh("shop")
        migrate.upgrade(source_url)
        source = settings_for(source_url, work / "shop")
        app = create_app(source)
        services(app).mail_delivery = "off"
        make_shop_data(app)
        for n in range(args.orders):
            paid_order(app, f"SF-BENCH{n:05d}")
        services(app).db.dispose()
        make_lake(source)
        expected = snapshot_tables(source_url), snapshot_lake(source)
        store = FolderStore(work / "backups")

        creates, restores, baselines = [], [], []
        size = 0
        for round_ in range(args.repeat):
            clock = time.perf_counter()
            created = backups.create_backup(source, LakeFile(source), store)
            creates.append(time.perf_counter() - clock)
            size, archive = created.size, store.folder / created.name

            target = settings_for(fresh(f"restored_{round_}"), work / f"restored-{round_}")
            clock = time.perf_counter()
            backups.restore(archive, target, LakeFile(target))
            restores.append(time.perf_counter() - clock)
            tables = snapshot_tables(target.database_url)
            tables["job_runs"] = expected[0]["job_runs"]  # no job run is recorded here
            if tables != expected[0] or snapshot_lake(target) != expected[1]:
                print("bench/backup_restore.py: FAILED: the restored shop differs", file=sys.stderr)
                sys.exit(1)

            # The bare steps: the same database dump and export, without the archive.
            unpacked = work / f"unpacked-{round_}"
            with archive.open("rb") as src:
                manifest = read_archive(src, source.data_key_ring, into=unpacked)
            bare = settings_for(fresh(f"bare_{round_}"), work / f"bare-{round_}")
            clock = time.perf_counter()
            restore_database(
                bare.database_url,
                unpacked / str(manifest.database["file"]),
                str(manifest.database["dialect"]),
                replace=False,
            )
            LakeFile(bare).restore(unpacked / "content")
            baselines.append(time.perf_counter() - clock)
            shutil.rmtree(unpacked)

    create_s, restore_s, bare_s = (statistics.median(x) for x in (creates, restores, baselines))
    counts = expected[0]
    print(
        f"{args.db}: {len(counts['orders'])} orders, {sum(len(v) for v in counts.values())} rows, "
        f"{len(expected[1][0])} documents, {len(expected[1][1])} asset files; "
        f"archive {size / 1e6:.2f} MB; median of {args.repeat}"
    )
    print(f"create   {create_s:6.2f} s")
    print(f"restore  {restore_s:6.2f} s   (verify every block and checksum, then replace)")
    print(f"baseline {bare_s:6.2f} s   (the same dump and export restored without the archive)")
    print(f"ratio restore/baseline {restore_s / bare_s:.2f}")


if __name__ == "__main__":
    main()
