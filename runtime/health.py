"""The optional health endpoint: ``GET /health`` on localhost answers JSON for monitoring.

Off by default (``[health] port = 0``). It binds to 127.0.0.1 only and serves a snapshot the
render loop publishes about twice a second, so a slow or hostile client can never stall the loop.
``GET /metrics`` on the same socket answers the Prometheus exposition (:mod:`runtime.metrics`)
when the kiosk attached its metrics (:attr:`HealthServer.metrics`); it is always HTTP 200 while
the server answers (a frozen loop shows as ``kiosk_status{status="frozen"}``), 500 if collecting
fails. Only GET is served; any other path answers 404.

Failure modes:

* the render loop stops publishing (frozen, or stuck in one long call): each snapshot is stamped
  with a monotonic time when published, and one older than :data:`FROZEN_AFTER_S` is served as
  ``"status": "frozen"`` with HTTP 503 and its age in ``snapshot_age_s`` (never a stale "ok");
  before the first snapshot the status is ``starting``, also 503;
* idle or half-open connections: each connection's socket times out after ``idle_timeout_s``
  (its thread ends);
* a flood: at most ``max_connections`` connections are served at once; the ones beyond get a
  short ``503 busy`` and are closed at once, so 200 connections never mean 200 threads;
* a port that is taken is logged by the caller and the kiosk runs without the endpoint.

:class:`HealthPublisher` is the render loop's side, the same for the live kiosk
(:mod:`runtime.run`) and the headless bench (:mod:`runtime.headless`): it starts the server with
the kiosk's ``/metrics`` attached and publishes ``kiosk.health()`` every
:data:`PUBLISH_EVERY_S` from :meth:`HealthPublisher.tick`, called once per frame.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from runtime.settings import setting

log = logging.getLogger("kiosk.health")

PUBLISH_EVERY_S = 0.5  # the render loop publishes a snapshot twice a second
FROZEN_AFTER_S = 2.0  # four missed publishes = frozen
IDLE_TIMEOUT_S = 3.0
MAX_CONNECTIONS = 16
_BUSY = (b"HTTP/1.0 503 Service Unavailable\r\nContent-Type: text/plain\r\n"
         b"Content-Length: 5\r\nConnection: close\r\n\r\nbusy\n")


@dataclass(frozen=True)
class HealthConfig:
    """``[health]``: the monitoring endpoint."""

    port: int = setting(0, "HTTP port on 127.0.0.1 for GET /health (0: off)", range=(0, 65535))


class _BoundedServer(ThreadingHTTPServer):
    """A thread per connection, but never more than ``max_connections`` threads."""

    daemon_threads = True
    # socketserver's default backlog of 5 leaves a flood half-connected in the kernel, where it
    # is neither served nor turned away; accept it and answer busy instead.
    request_queue_size = 64

    def __init__(self, address: tuple[str, int], handler: type, max_connections: int):
        self._slots = threading.BoundedSemaphore(max_connections)
        self.refused = 0
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            self.refused += 1
            try:  # a fresh socket's send buffer takes these few bytes without blocking
                request.setblocking(False)
                request.send(_BUSY)
            except OSError:
                pass
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()  # the thread never started
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()


class HealthServer:
    """Serves the latest published snapshot as JSON on ``127.0.0.1:port``.

    Args:
        port: TCP port (0: any free one, see :attr:`port`).
        time_fn: monotonic clock for snapshot ages (injectable for tests).
        idle_timeout_s: a connection that sends nothing for this long is closed.
        max_connections: connections served at once; more are answered ``503 busy``.
    """

    def __init__(self, port: int, *, time_fn: Callable[[], float] = time.monotonic,
                 idle_timeout_s: float = IDLE_TIMEOUT_S, max_connections: int = MAX_CONNECTIONS):
        self._snapshot: dict[str, Any] = {"status": "starting"}
        self._published_t: float | None = None
        self._lock = threading.Lock()
        self.time_fn = time_fn
        #: what /metrics serves: an object with ``render(accept) -> (body, content type)``, such
        #: as :class:`runtime.metrics.KioskMetrics` (None: /metrics answers 404)
        self.metrics: Any = None
        server = self

        class Handler(BaseHTTPRequestHandler):
            timeout = idle_timeout_s  # StreamRequestHandler sets it on the socket

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                path = self.path.split("?")[0]
                if path == "/metrics" and server.metrics is not None:
                    try:
                        body, content_type = server.metrics.render(self.headers.get("Accept", ""))
                    except Exception:  # noqa: BLE001 - logged by the metrics; the scrape fails
                        self.send_error(500, "metrics collection failed (see the kiosk log)")
                        return
                    self.send_response(200)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                if path != "/health":
                    self.send_error(404, "only /health and /metrics are served")
                    return
                snap = server.snapshot()
                body = json.dumps(snap, ensure_ascii=False).encode()
                healthy = snap.get("status") not in ("frozen", "starting")
                self.send_response(200 if healthy else 503)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass  # one line per state change, never per request

        self.httpd = _BoundedServer(("127.0.0.1", port), Handler, max_connections)
        self.port = self.httpd.server_address[1]
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="health",
                                        daemon=True)

    def start(self) -> None:
        self._thread.start()
        log.info("health endpoint on http://127.0.0.1:%d/health", self.port)

    def publish(self, snapshot: dict[str, Any]) -> None:
        """Store the loop's latest snapshot, stamped now (call from the render loop)."""
        with self._lock:
            self._snapshot = snapshot
            self._published_t = self.time_fn()

    def snapshot(self) -> dict[str, Any]:
        """The latest snapshot, with ``snapshot_age_s``; ``frozen`` when it is too old."""
        with self._lock:
            snap, published = dict(self._snapshot), self._published_t
        if published is None:
            return snap
        age = self.time_fn() - published
        snap["snapshot_age_s"] = round(age, 2)
        if age > FROZEN_AFTER_S:
            snap["status"] = "frozen"
        return snap

    @property
    def refused(self) -> int:
        """Connections turned away because ``max_connections`` were busy."""
        return self.httpd.refused

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()



class HealthPublisher:
    """Serve a kiosk's ``/health`` and ``/metrics`` and publish its snapshot from the loop.

    Args:
        port: TCP port on 127.0.0.1 (0: any free one, see :attr:`port`).
        kiosk: the :class:`~runtime.app.Kiosk` (``health()``, and what ``/metrics`` reads).
        time_fn: the loop's clock for the publishing pace (``time.perf_counter``).
        every_s: seconds between publishes (:data:`PUBLISH_EVERY_S`).

    Raises ``OSError`` when the port cannot be bound (the caller logs it and runs without).
    """

    def __init__(self, port: int, kiosk: Any, *,
                 time_fn: Callable[[], float] = time.perf_counter,
                 every_s: float = PUBLISH_EVERY_S):
        from runtime.metrics import attach_metrics

        self.kiosk = kiosk
        self.time_fn = time_fn
        self.every_s = every_s
        self.server = HealthServer(port)
        attach_metrics(self.server, kiosk)  # /metrics beside /health, read at scrape time
        self._next_t = 0.0

    @property
    def port(self) -> int:
        return self.server.port

    def start(self) -> None:
        self.server.start()

    def tick(self, now: float | None = None) -> None:
        """Once per frame: publish ``kiosk.health()`` when ``every_s`` has passed."""
        now = self.time_fn() if now is None else now
        if now >= self._next_t:
            self._next_t = now + self.every_s
            self.server.publish(self.kiosk.health())

    def stop(self) -> None:
        self.server.stop()
