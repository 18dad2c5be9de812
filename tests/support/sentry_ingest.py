"""A local HTTP endpoint standing in for Sentry's ingest: it keeps every envelope posted to
``/api/<project>/envelope/`` so a test can read what the SDK would have sent.

Point a DSN at it (``http://publickey@127.0.0.1:PORT/1``); :meth:`SentryIngest.wait_for`
polls (a generous deadline only as a safety net) until an event matching the test's
condition has arrived.
"""

from __future__ import annotations

import gzip
import json
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from werkzeug.wrappers import Request, Response

from emulators.common import LiveServer

DEADLINE_S = 60.0


@dataclass
class Envelope:
    raw: bytes  # decompressed, as sent
    header: dict[str, Any]
    items: list[tuple[dict[str, Any], bytes]] = field(default_factory=list)

    def events(self) -> Iterator[dict[str, Any]]:
        for header, payload in self.items:
            if header.get("type") == "event":
                yield json.loads(payload)


def parse_envelope(raw: bytes) -> Envelope:
    head, _, rest = raw.partition(b"\n")
    envelope = Envelope(raw, json.loads(head))
    while rest.strip():
        item_head, _, rest = rest.partition(b"\n")
        header = json.loads(item_head)
        length = header.get("length")
        if length is None:
            payload, _, rest = rest.partition(b"\n")
        else:
            payload, rest = rest[:length], rest[length + 1 :]
        envelope.items.append((header, payload))
    return envelope


class SentryIngest:
    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []
        self._lock = threading.Lock()
        self._server = LiveServer(self._app)

    def dsn(self, project: int = 1) -> str:
        return f"http://publickey@127.0.0.1:{self._server.port}/{project}"

    def _app(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        body = request.get_data()
        encoding = request.headers.get("Content-Encoding", "")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "deflate":
            body = zlib.decompress(body)
        if request.path.endswith("/envelope/"):
            with self._lock:
                self.envelopes.append(parse_envelope(body))
        return Response("{}", mimetype="application/json")(environ, start_response)

    def events(self) -> list[dict[str, Any]]:
        with self._lock:
            return [event for envelope in self.envelopes for event in envelope.events()]

    def raw(self) -> bytes:
        with self._lock:
            return b"\n".join(e.raw for e in self.envelopes)

    def wait_for(self, matches: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        deadline = time.monotonic() + DEADLINE_S
        while time.monotonic() < deadline:
            for event in self.events():
                if matches(event):
                    return event
            time.sleep(0.05)
        raise AssertionError(f"no such event arrived; got {self.events()!r}")

    def __enter__(self) -> SentryIngest:
        self._server.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.stop()
