"""One /health publisher for the live kiosk and the headless bench (issue 17)."""

from __future__ import annotations

import json
import urllib.request

from runtime.app import Kiosk, OffscreenPresenter
from runtime.clock import FakeTime
from runtime.config import default_config
from runtime.health import PUBLISH_EVERY_S, HealthPublisher


def test_the_publisher_serves_the_kiosks_snapshot_twice_a_second(pygame_headless):
    kiosk = Kiosk(default_config(), OffscreenPresenter((160, 90)), time_fn=FakeTime())
    kiosk.start()
    published: list[dict] = []
    pub = HealthPublisher(0, kiosk)
    server_publish = pub.server.publish
    pub.server.publish = lambda snap: (published.append(snap), server_publish(snap))
    pub.start()
    try:
        for t in (0.0, 0.1, 0.3, PUBLISH_EVERY_S, PUBLISH_EVERY_S + 0.2, 2 * PUBLISH_EVERY_S):
            kiosk.frame()
            pub.tick(t)
        assert len(published) == 3
        base = f"http://127.0.0.1:{pub.port}"
        with urllib.request.urlopen(base + "/health", timeout=5) as r:
            health = json.loads(r.read())
        assert health["exhibit"] == kiosk.stage.name and health["status"] == "ok"
        with urllib.request.urlopen(base + "/metrics", timeout=5) as r:
            assert b"kiosk_" in r.read()
    finally:
        pub.stop()
        kiosk.stop()
