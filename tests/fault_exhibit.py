"""A fault-injection exhibit, for tests only: never in ``exhibits.REGISTRY`` or a shipped playlist.

:func:`install` adds it to a registry (tests pass ``exhibits.REGISTRY`` through
``monkeypatch.setitem`` so it is removed afterwards; subprocess drivers call it before loading
their config). Each registered name is one fault, after the exhibit has been shown ``after_s``
seconds (kiosk clock, counted in its own updates):

=================  ===========================================================================
``fault_update``   raises ``RuntimeError`` in ``update``
``fault_draw``     raises ``RuntimeError`` in ``draw``
``fault_exit``     calls ``sys.exit(5)`` in ``update`` (as a library might)
``fault_hang``     sleeps ``hang_s`` in ``update``: the render loop is stuck in the exhibit
``fault_display``  closes the display in ``draw``: the kiosk's own present then fails, a crash
                   no exhibit guard can catch (what a lost screen does)
``fault``          whichever ``mode`` its ``[exhibits.fault]`` table names
=================  ===========================================================================

In safe mode (``ctx.safe_mode``) it never faults, like a real exhibit that loads no models there,
so a crash loop's safe-mode start can be seen running.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass

from runtime.exhibit import BaseExhibit, ExhibitSpec
from runtime.settings import setting

MODES = ("update", "draw", "exit", "hang", "display", "none")


@dataclass(frozen=True)
class FaultSettings:
    """``[exhibits.fault]``: which fault, and when."""

    mode: str = setting("update", "where the fault strikes", choices=MODES)
    after_s: float = setting(0.5, "seconds shown before the fault", range=(0, 3600))
    hang_s: float = setting(60.0, "how long a hang lasts", range=(0, 3600))


@dataclass(frozen=True)
class RaiseInUpdate(FaultSettings):
    mode: str = setting("update", "where the fault strikes", choices=MODES)


@dataclass(frozen=True)
class RaiseInDraw(FaultSettings):
    mode: str = setting("draw", "where the fault strikes", choices=MODES)


@dataclass(frozen=True)
class CallsSysExit(FaultSettings):
    mode: str = setting("exit", "where the fault strikes", choices=MODES)


@dataclass(frozen=True)
class Hangs(FaultSettings):
    mode: str = setting("hang", "where the fault strikes", choices=MODES)


@dataclass(frozen=True)
class LosesDisplay(FaultSettings):
    mode: str = setting("display", "where the fault strikes", choices=MODES)


SETTINGS = {"fault": FaultSettings, "fault_update": RaiseInUpdate, "fault_draw": RaiseInDraw,
            "fault_exit": CallsSysExit, "fault_hang": Hangs, "fault_display": LosesDisplay}


class FaultExhibit(BaseExhibit):
    """Draws a plain colour until its fault is due (see module docstring)."""

    def __init__(self, ctx, settings: FaultSettings):
        super().__init__(ctx, settings)
        self.shown_s = 0.0

    def _due(self, mode: str) -> bool:
        s = self.settings
        return s.mode == mode and not self.ctx.safe_mode and self.shown_s >= s.after_s

    def update(self, dt: float) -> None:
        self.shown_s += dt
        if self._due("update"):
            raise RuntimeError("injected fault in update")
        if self._due("exit"):
            sys.exit(5)
        if self._due("hang"):
            time.sleep(self.settings.hang_s)

    def draw(self, surface, alpha: float) -> None:
        surface.fill((30, 60, 90))
        if self._due("draw"):
            raise RuntimeError("injected fault in draw")
        if self._due("display"):
            import pygame

            pygame.display.quit()


def install(registry: dict) -> list[str]:
    """Register every fault name in ``registry`` (a dict or ``monkeypatch``'d REGISTRY)."""
    for name, cls in SETTINGS.items():
        registry[name] = ExhibitSpec(name, "고장 주입", f"fault injection ({name})", cls,
                                     "fault_exhibit:FaultExhibit")
    return list(SETTINGS)
