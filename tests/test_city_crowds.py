"""City: ten minutes of simulated crowds on the fake clock: no errors, bounded memory."""

from __future__ import annotations

import dataclasses

import numpy as np
from city_pilot import city_config
from pilot import Pilot

from runtime.sources import SimulatedVisitors


def test_ten_minutes_of_simulated_crowds(pygame_headless):
    """Waves of up to six visitors for 10 minutes (fake clock, 20 fps, tiny screen): no errors,
    visits end and reset, memory structures stay bounded."""
    cfg = city_config(light_cells=64)
    cfg = dataclasses.replace(cfg, display=dataclasses.replace(cfg.display, fps=20),
                              visits=dataclasses.replace(cfg.visits, idle_s=12.0, warning_s=3.0))
    crowd = SimulatedVisitors(7, max_visitors=6, arrival_s=1.0, busy_s=70.0, quiet_s=40.0)
    found_max, cards_max = 0, 0
    with Pilot(cfg, "city", size=(160, 90), walkers=crowd, safe_mode=True) as pilot:
        for _ in range(600 * 20):
            pilot.frame()
            ex = pilot.exhibit
            found_max = max(found_max, len(ex.discovery.found))
            cards_max = max(cards_max, len(ex.deck.cards))
        assert not pilot.kiosk.failures, pilot.kiosk.last_error
        assert pilot.kiosk.visit.visits >= 4
        assert found_max >= 3 and cards_max <= 3
        assert len(ex.discovery.bursts) < 20 and len(ex.colours) <= 6 and len(ex.kit.texts) <= 257
        assert np.isfinite(ex.light.glow).all() and ex.light.glow.max() <= 1.0 + 1e-6
