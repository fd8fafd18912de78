"""Numbers' eraser: the present visitors (walkers) and the cells they damage.

A finger dragged across the glass, or a tracked person walking, erases the cells under them
along their path: a disc (a finger, ``damage_radius_px``) or an ellipse the size of the person's
silhouette, stamped every third of a radius so a fast move leaves no gaps. With a camera, the
moving parts of every silhouette erase too (:meth:`Eraser.camera`). Damage collects in one
``(gh, gw)`` mask per update step and goes to the grower at once (:meth:`Eraser.flush`);
``damage_strength`` below 1 erases a random share of the cells.

Rules: a touch erases only once it moved ``0.6 ×`` the radius from where it went down (a tap
never erases the digit it plants); a touch that opened or closed ⓘ erases nothing. The visitor
who planted a digit by standing still does not erase it while walking away from it (its seed
point is *guarded* until they are a damage radius away); everyone else does.

A camera visitor who stands still (moves less than ``max(1.5, 0.3 × radius)`` cells) for
``still_s`` plants a seed: :meth:`Eraser.settle` says who.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np

from exhibits.kit import TOUCH_SOURCES
from exhibits.numbers.layout import HALF, Digit, Layout, Walker
from exhibits.numbers.settings import NumbersSettings
from runtime.events import VisitorEvent

if TYPE_CHECKING:
    from runtime.vision.processor import VisionFrame


class Eraser:
    """The walkers' table and the damage they do; see the module docstring.

    Args:
        rng: draws which cells a partial-strength stamp erases (the exhibit passes the named
            stream ``ctx.rng_for("numbers.eraser")``).
    """

    def __init__(self, layout: Layout, settings: NumbersSettings,
                 rng: np.random.Generator) -> None:
        self.layout, self.settings, self.rng = layout, settings, rng
        gw, gh = layout.grid
        self.radius = max(1.0, layout.cells(settings.damage_radius_px))  # cells
        self.walkers: dict[str, Walker] = {}
        self.mask = np.zeros((gh, gw), bool)
        self.any = False
        self._discs: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}
        self._vision_key: Any = None
        self._last_mask: np.ndarray | None = None

    # --- walkers ------------------------------------------------------------------------------
    def arrive(self, event: VisitorEvent, t: float) -> Walker:
        w = self.walkers[event.visitor_id] = Walker(event.source, event.pos, event.pos, t,
                                                    down=event.pos, stamp=event.pos,
                                                    last_t=event.t)
        w.reach = self.reach(event)
        return w

    def leave(self, visitor_id: str) -> None:
        self.walkers.pop(visitor_id, None)

    def move(self, w: Walker, event: VisitorEvent, t: float) -> None:
        """A walker moved: track its velocity and stillness, erase along the way."""
        dt_ev = max(1e-3, event.t - w.last_t)
        vx, vy = event.delta[0] / dt_ev, event.delta[1] / dt_ev
        w.vel = (0.7 * w.vel[0] + 0.3 * vx, 0.7 * w.vel[1] + 0.3 * vy)
        w.last_t = event.t
        prev, w.pos = w.pos, event.pos
        w.reach = self.reach(event)
        dist = self.layout.dist_cells
        if event.source in TOUCH_SOURCES:
            if w.consumed:
                return
            if not w.dragging and dist(w.pos, w.down) > 0.6 * self.radius:
                w.dragging = True
            if w.dragging:
                self.stamp_path(w, prev, w.pos)
            return
        if dist(w.pos, w.anchor) > max(1.5, 0.3 * self.radius):
            w.anchor, w.anchor_t, w.planted = w.pos, t, False
        if w.guard is not None and dist(w.pos, w.guard) > max(w.reach) + HALF + 2:
            w.guard = None
        self.stamp_path(w, prev, w.pos)

    def reach(self, event: VisitorEvent) -> tuple[int, int]:
        """Half-axes in cells of what a visitor erases: a finger's disc (``damage_radius_px``),
        or a tracked person's silhouette from the event's size (never smaller than the disc)."""
        r = self.radius
        if event.source in TOUCH_SOURCES or event.size is None:
            return round(r), round(r)
        gw, gh = self.layout.grid
        return (round(max(r, 0.4 * event.size[0] * gw)), round(max(r, 0.4 * event.size[1] * gh)))

    def settle(self, dt: float, t: float) -> list[tuple[str, Walker]]:
        """Let velocities decay over ``dt``; return the camera walkers that have stood still
        for ``still_s`` and not planted yet (now marked as planted)."""
        decay = math.exp(-dt / 0.3)
        due = []
        for vid, w in self.walkers.items():
            w.vel = (w.vel[0] * decay, w.vel[1] * decay)
            if w.source in TOUCH_SOURCES or w.planted:
                continue
            if t - w.anchor_t >= self.settings.still_s:
                w.planted = True
                due.append((vid, w))
        return due

    def guard(self, w: Walker, digit: Digit) -> None:
        """Spare ``digit`` (planted by ``w``) from ``w`` until they have walked away."""
        gw, gh = self.layout.grid
        w.guard = ((digit.cx + 0.5) / gw, (digit.cy + 0.5) / gh)

    # --- damage -------------------------------------------------------------------------------
    def stamp_path(self, w: Walker, a: tuple[float, float], b: tuple[float, float]) -> None:
        """Erase along the segment a→b: a disc every third of a radius (so no gaps)."""
        if self.settings.damage_strength <= 0:
            return
        dist = self.layout.dist_cells
        last = w.stamp or a
        d = dist(last, b)
        step = max(1.0, self.radius / 3)
        if d < step:
            return
        n = int(d // step)
        gw, gh = self.layout.grid
        for i in range(1, n + 1):
            f = i * step / d
            p = (last[0] + (b[0] - last[0]) * f, last[1] + (b[1] - last[1]) * f)
            if w.guard is not None and dist(p, w.guard) < max(w.reach) + HALF:
                continue
            self._stamp(p[0] * gw, p[1] * gh, w.reach)
            w.stamp = p
        if w.stamp is not None and dist(w.stamp, b) >= step:
            w.stamp = b

    def _disc(self, rx: int, ry: int) -> tuple[np.ndarray, np.ndarray]:
        """Cell offsets (dy, dx) inside the ellipse with half-axes rx, ry (cached)."""
        got = self._discs.get((rx, ry))
        if got is None:
            ys, xs = np.mgrid[-ry:ry + 1, -rx:rx + 1]
            keep = (xs / (rx + 0.5)) ** 2 + (ys / (ry + 0.5)) ** 2 <= 1.0
            got = self._discs[(rx, ry)] = (ys[keep], xs[keep])
        return got

    def _stamp(self, x: float, y: float, reach: tuple[int, int]) -> None:
        gw, gh = self.layout.grid
        dy, dx = self._disc(*reach)
        ys, xs = dy + int(y), dx + int(x)
        ok = (ys >= 0) & (ys < gh) & (xs >= 0) & (xs < gw)
        ys, xs = ys[ok], xs[ok]
        strength = self.settings.damage_strength
        if strength < 1.0:
            hit = self.rng.random(len(ys)) < strength
            ys, xs = ys[hit], xs[hit]
        if len(ys):
            self.mask[ys, xs] = True
            self.any = True

    def camera(self, vision: VisionFrame | None, warn: Callable[[str], None]) -> None:
        """Camera silhouettes that move erase cells.

        ``vision`` is ``ctx.vision``: the newest :class:`runtime.vision.processor.VisionFrame`,
        or ``None`` without a camera. Its presence mask is warped to the cell grid through the
        frame's own calibration (``homography``; ``None`` only resizes). A frame is used once
        (by ``index`` and ``t_capture``); nothing happens while the camera is still learning the
        empty room. Moving = the frame's optical flow above 0.08 screen widths per second, or,
        with flow off, cells that became present since the last frame.
        """
        vf = vision
        if vf is None or vf.learning or self.settings.damage_strength <= 0:
            return
        try:
            key = (vf.index, vf.t_capture)
            if key == self._vision_key:
                return
            self._vision_key = key
            gw, gh = self.layout.grid
            here = vf.screen_mask(vf.homography, (gw, gh)) > 127
            flow = vf.flow
            if flow is not None:
                # moving is decided where the flow was measured (camera cells) and then warped
                # like the mask, so a calibrated camera's flow lines up with its silhouettes
                mh, mw = vf.mask.shape
                speed = np.hypot(flow[..., 0], flow[..., 1]).astype(np.float32)
                if speed.shape != (mh, mw):
                    speed = cv2.resize(speed, (mw, mh), interpolation=cv2.INTER_LINEAR)
                moved = np.where(speed > 0.08, vf.mask, 0).astype(np.uint8)
                moving = replace(vf, mask=moved).screen_mask(vf.homography, (gw, gh)) > 127
            else:
                last = self._last_mask
                moving = here & ~last if last is not None else np.zeros_like(here)
            self._last_mask = here
            for w in self.walkers.values():  # a planter's own digit is spared while they leave
                if w.guard is not None:
                    x, y = int(w.guard[0] * gw), int(w.guard[1] * gh)
                    moving[max(0, y - HALF):y + HALF, max(0, x - HALF):x + HALF] = False
            hit = moving & (self.rng.random(moving.shape) < self.settings.damage_strength)
            if hit.any():
                self.mask |= hit
                self.any = True
        except Exception as err:  # noqa: BLE001 - a camera problem must not break the digits
            warn(f"vision mask unusable ({type(err).__name__}: {err})")

    def flush(self, garden: Any) -> None:
        """Hand this step's damage to the grower and start a new mask."""
        if self.any and garden is not None:
            garden.damage(self.mask)
            self.mask[:] = False
            self.any = False
