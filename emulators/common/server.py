"""Any WSGI app on 127.0.0.1, a free port, in a daemon thread."""

from __future__ import annotations

import logging
import threading

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from emulators.common.webhooks import WSGIApp

log = logging.getLogger(__name__)


class _QuietHandler(WSGIRequestHandler):
    """Access lines go to the debug log instead of stderr (tests stay readable)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        log.debug("%s %s -> %s", self.command, self.path, code)


class LiveServer:
    """Serve a WSGI app on 127.0.0.1 (a free port by default) in a daemon thread.

    The socket is bound in the constructor, so :attr:`url` is known before :meth:`start` —
    handy for emulators that must know their own public address. Use as a context manager or
    call :meth:`start`/:meth:`stop` (from a pytest fixture, the dev command or browser tests).
    """

    def __init__(self, app: WSGIApp, host: str = "127.0.0.1", port: int = 0) -> None:
        self._server: BaseWSGIServer = make_server(
            host, port, app, threaded=True, request_handler=_QuietHandler
        )
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self._server.server_port

    @property
    def url(self) -> str:
        return f"http://{self._server.host}:{self.port}"

    def start(self) -> LiveServer:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"live-server-{self.port}",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
