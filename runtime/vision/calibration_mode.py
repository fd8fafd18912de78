"""The on-screen calibration mode: a technician stands at targets, the kiosk solves the mapping.

:class:`CalibrationMode` is self-contained: the admin flow creates it, hands it the camera's
people each frame (:meth:`feed` — camera-normalized positions, exactly what the camera source
emits before ``Calibrate``) and touches (:meth:`touch`), calls :meth:`update` and :meth:`draw`,
and when :attr:`state` is ``"done"`` saves :attr:`result` with
:func:`runtime.vision.calibration.save_calibration`.

For each target in turn (default: a 3×3 grid at 15 / 50 / 85 % of the screen):

* the technician walks to the spot in front of the target and stands still: when exactly one
  person is seen and stays within ``still_radius`` (camera fraction) for ``dwell_s`` seconds,
  their mean position is recorded; or
* the technician touches the target (within ``touch_radius``): the position where the camera
  sees them at that moment is recorded at once.

More than one person in view pauses the dwell and shows a hint. :meth:`skip` drops an unreachable
target (at least 4 must remain). After the last target the homography is solved; a fit that
misses the targets by more than ``max_error`` is ``"failed"`` with a message, and
:meth:`restart` begins again.

Time comes only from the ``now`` arguments, so tests drive it with a fake clock. Drawing reads
state and never changes it. Texts are Korean first, English second; pass ``font`` (e.g. the kiosk's
``assets.font``) for Hangul.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence

from runtime.vision.calibration import MAX_RMS_ERROR, Calibration, CalibrationError, solve

DEFAULT_TARGETS: tuple[tuple[float, float], ...] = tuple(
    (x, y) for y in (0.15, 0.5, 0.85) for x in (0.15, 0.5, 0.85))


class CalibrationMode:
    """Collects target ↔ camera pairs and solves the camera → screen homography.

    Args:
        targets: screen-normalized target points, shown in order.
        dwell_s: how long the technician stands still at a target.
        still_radius: how still (camera-normalized distance from their mean) counts as standing.
        touch_radius: how near a target (screen fraction) a touch must land.
        max_error: the largest acceptable RMS miss (screen fraction).
        anchor / mirrored: the camera settings, stored with the result.
        font: ``size -> pygame.font.Font`` for the texts (default: pygame's own font).
    """

    def __init__(self, targets: Sequence[tuple[float, float]] = DEFAULT_TARGETS, *,
                 dwell_s: float = 2.0, still_radius: float = 0.03, touch_radius: float = 0.06,
                 max_error: float = MAX_RMS_ERROR, anchor: str = "centre", mirrored: bool = True,
                 font: Callable[[int], object] | None = None):
        if len(targets) < 4:
            raise ValueError(f"need at least 4 targets, got {len(targets)}")
        self.targets = [tuple(map(float, t)) for t in targets]
        self.dwell_s = dwell_s
        self.still_radius = still_radius
        self.touch_radius = touch_radius
        self.max_error = max_error
        self.anchor = anchor
        self.mirrored = mirrored
        self.font = font
        self.restart()

    def restart(self) -> None:
        """Start over from the first target."""
        self.index = 0
        self.pairs: list[tuple[tuple[float, float], tuple[float, float]]] = []
        self.state = "collecting"  # collecting | done | failed
        self.message = ""
        self.result: Calibration | None = None
        self._history: list[tuple[float, tuple[float, float]]] = []
        self._crowd = False
        self._now = 0.0
        self._last_pos: tuple[float, float] | None = None

    # --- input -----------------------------------------------------------------------------------
    @property
    def target(self) -> tuple[float, float] | None:
        """The screen-normalized target shown now (``None`` when finished)."""
        return self.targets[self.index] if self.state == "collecting" else None

    def feed(self, positions: Iterable[tuple[float, float]], now: float) -> None:
        """This frame's camera people: their camera-normalized positions (``Person.pos``)."""
        if self.state != "collecting":
            return
        self._now = now
        pts = list(positions)
        self._crowd = len(pts) > 1
        if len(pts) != 1:
            self._history.clear()
            self._last_pos = None
            return
        p = (float(pts[0][0]), float(pts[0][1]))
        self._last_pos = p
        self._history.append((now, p))
        # Only the recent stretch counts; moving away restarts the dwell.
        mx, my = self._mean(h[1] for h in self._history)
        if math.hypot(p[0] - mx, p[1] - my) > self.still_radius:
            self._history = [(now, p)]
        while self._history and now - self._history[0][0] > self.dwell_s + 0.5:
            self._history.pop(0)

    def touch(self, pos: tuple[float, float], now: float) -> bool:
        """A touch at screen-normalized ``pos``; records the target if it hits it."""
        tgt = self.target
        if tgt is None or self._last_pos is None or self._crowd:
            return False
        if math.hypot(pos[0] - tgt[0], pos[1] - tgt[1]) > self.touch_radius:
            return False
        self._record(self._last_pos)
        return True

    def skip(self) -> None:
        """Leave out the current target (it cannot be reached)."""
        if self.state != "collecting":
            return
        if len(self.targets) - 1 < 4:
            self.message = "점이 4개 이상 필요합니다 / At least 4 targets are needed"
            return
        del self.targets[self.index]
        self._next()

    def update(self, now: float) -> None:
        """Advance by time: record the target once the technician has stood still long enough."""
        self._now = now
        if self.state != "collecting" or not self._history:
            return
        if now - self._history[0][0] >= self.dwell_s:
            self._record(self._mean(h[1] for h in self._history))

    @property
    def dwell_fraction(self) -> float:
        """``0..1`` progress of the current dwell (for the ring)."""
        if not self._history:
            return 0.0
        return min(1.0, (self._now - self._history[0][0]) / max(self.dwell_s, 1e-6))

    # --- internals -------------------------------------------------------------------------------
    @staticmethod
    def _mean(pts: Iterable[tuple[float, float]]) -> tuple[float, float]:
        xs, ys, n = 0.0, 0.0, 0
        for x, y in pts:
            xs, ys, n = xs + x, ys + y, n + 1
        return (xs / n, ys / n) if n else (0.0, 0.0)

    def _record(self, observed: tuple[float, float]) -> None:
        self.pairs.append((self.targets[self.index], observed))
        self.index += 1
        self._next()

    def _next(self) -> None:
        self._history.clear()
        if self.index < len(self.targets):
            return
        try:
            cal = solve([p[0] for p in self.pairs], [p[1] for p in self.pairs],
                        anchor=self.anchor, mirrored=self.mirrored)
        except CalibrationError as err:
            self.state, self.message = "failed", f"보정 실패 / Calibration failed: {err}"
            return
        if cal.rms_error > self.max_error:
            self.state = "failed"
            self.message = (f"오차가 큽니다 / Targets missed by {cal.rms_error:.3f} of the screen;"
                            " try again")
            self.result = cal
            return
        self.state, self.result = "done", cal
        self.message = f"완료 / Done: error {cal.rms_error:.3f}"

    # --- drawing ---------------------------------------------------------------------------------
    def lines(self) -> list[str]:
        """The instructions shown now (Korean first, English second)."""
        if self.state == "done":
            return ["보정이 끝났습니다", "Calibration finished", self.message]
        if self.state == "failed":
            return ["보정을 다시 해 주세요", "Please calibrate again", self.message]
        n = f"{self.index + 1} / {len(self.targets)}"
        if self._crowd:
            return [f"한 사람만 보이게 해 주세요 ({n})", f"Only one person in view, please ({n})"]
        return [f"표적 앞에 서서 기다리거나 표적을 터치하세요 ({n})",
                f"Stand in front of the target and wait, or touch it ({n})"]

    def draw(self, surface) -> None:
        """Draw targets, the dwell ring and the instructions (reads state only)."""
        import pygame

        w, h = surface.get_size()
        surface.fill((6, 8, 16))
        r = max(10, h // 30)
        for i, (tx, ty) in enumerate(self.targets):
            c = (int(tx * (w - 1)), int(ty * (h - 1)))
            if i < self.index:
                pygame.draw.circle(surface, (60, 150, 90), c, r // 2)
            elif i == self.index and self.state == "collecting":
                pygame.draw.circle(surface, (240, 240, 255), c, r, width=3)
                pygame.draw.line(surface, (240, 240, 255), (c[0] - 2 * r, c[1]),
                                 (c[0] + 2 * r, c[1]), 2)
                pygame.draw.line(surface, (240, 240, 255), (c[0], c[1] - 2 * r),
                                 (c[0], c[1] + 2 * r), 2)
                frac = self.dwell_fraction
                if frac > 0:
                    rect = pygame.Rect(c[0] - 1.5 * r, c[1] - 1.5 * r, 3 * r, 3 * r)
                    pygame.draw.arc(surface, (255, 200, 60), rect, math.pi / 2,
                                    math.pi / 2 + 2 * math.pi * frac, 5)
            else:
                pygame.draw.circle(surface, (70, 75, 95), c, r // 2, width=2)
        size = max(12, h // 32)
        font = self.font(size) if self.font else pygame.font.Font(None, size + 6)
        y = int(h * 0.6)  # between the target rows, clear of every target
        for line in self.lines():
            img = font.render(line, True, (220, 225, 240))
            surface.blit(img, ((w - img.get_width()) // 2, y))
            y += img.get_height() + 6
