"""The optional health endpoint: ``GET /health`` on localhost answers JSON for monitoring.

Off by default (``[health] port = 0``). It binds to 127.0.0.1 only and serves a snapshot the
render loop publishes once a second, so a slow or hostile client can never stall the loop. Any
other path answers 404. Failure mode: a port that is taken is logged and the kiosk runs without
the endpoint.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from runtime.settings import setting

log = logging.getLogger("kiosk.health")


@dataclass(frozen=True)
class HealthConfig:
    """``[health]``: the monitoring endpoint."""

    port: int = setting(0, "HTTP port on 127.0.0.1 for GET /health (0: off)", range=(0, 65535))


class HealthServer:
    """Serves the latest published snapshot as JSON on ``127.0.0.1:port``."""

    def __init__(self, port: int):
        self._snapshot: dict[str, Any] = {"status": "starting"}
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                if self.path.split("?")[0] != "/health":
                    self.send_error(404, "only /health is served")
                    return
                body = json.dumps(server.snapshot(), ensure_ascii=False).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass  # one line per state change, never per request

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="health",
                                        daemon=True)

    def start(self) -> None:
        self._thread.start()
        log.info("health endpoint on http://127.0.0.1:%d/health", self.port)

    def publish(self, snapshot: dict[str, Any]) -> None:
        with self._lock:
            self._snapshot = snapshot

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return dict(self._snapshot)

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
