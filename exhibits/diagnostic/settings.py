"""``[exhibits.diagnostic]`` settings (no pygame import: the config checker loads this)."""

from __future__ import annotations

from dataclasses import dataclass

from runtime.settings import setting


@dataclass(frozen=True)
class DiagnosticSettings:
    """The technicians' test pattern."""

    grid_px: int = setting(120, "spacing of the alignment grid in screen pixels", range=(16, 1000))
    trail_s: float = setting(2.0, "how long each visitor's trail stays, in seconds",
                             range=(0, 30))
    marker_px: int = setting(28, "radius of a visitor's marker in screen pixels", range=(4, 200))
    show_graph: bool = setting(True, "show the frame-time graph (ms per frame)")
    show_labels: bool = setting(True, "label each visitor with its id and source")
