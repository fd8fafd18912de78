"""Background model: learns the empty room, then finds what differs from it (foreground).

Two phases:

1. **Learning** (``learn``): frames are sampled (at most ``max_samples``, spread evenly over the
   learning time by doubling the stride when full) and the background is their per-pixel median,
   so people who walk through while the kiosk learns do not end up in it. The spread of the
   samples (median absolute deviation) raises the threshold of noisy pixels: leaves, flicker,
   a screen in view. A kiosk learns for ``[camera] learn_s`` at start-up; ``kiosk.py track
   --warmup-passes N`` learns from whole passes over a clip.
2. **Detecting** (``apply``): a pixel is foreground when the summed B+G+R difference from the
   background exceeds its threshold. Shadows (darker, same colour ratio in every channel) are
   removed from the result. The background then adapts with time constants in seconds, so the
   behaviour does not depend on the frame rate:

   * background pixels follow light changes with ``adapt_s`` (default 8 s);
   * foreground pixels that no tracked person protects are absorbed with ``absorb_s`` (a chair
     that was moved fades into the room in a few minutes);
   * foreground pixels inside ``protect`` (tracked people) are never learned, so a visitor may
     stand still in front of the screen for as long as they like.

Shapes: frames are ``(H, W, 3)`` uint8 BGR at the processing size; masks ``(H, W)`` uint8 0/255.

Failure modes: ``apply`` before any ``learn`` uses its first frame as the background. A person who
stands still during the whole learning time becomes part of the background; when they leave, the
revealed floor is foreground until ``absorb_s`` fades it (the tracker's still-person release
handles the ghost, see :mod:`runtime.vision.processor`).
"""

from __future__ import annotations

import math

import cv2
import numpy as np


class BackgroundModel:
    """Median-bootstrapped, selectively updated colour background.

    Args:
        size: ``(width, height)`` of the frames it will see.
        threshold: minimum B+G+R difference (0..765) for foreground.
        noise_factor: a pixel's threshold is at least this many times its learned noise (the
            median summed absolute deviation of the learning samples).
        adapt_s / absorb_s: time constants (seconds) for background / unprotected foreground.
        shadows: remove shadow pixels from the foreground.
        shadow_ratio: ``(low, high)`` brightness ratio to the background that a shadow has.
        max_samples: learning frames kept for the median (memory: ``max_samples * W * H * 3``).
    """

    def __init__(self, size: tuple[int, int], *, threshold: int = 40, noise_factor: float = 3.5,
                 adapt_s: float = 8.0, absorb_s: float = 120.0, shadows: bool = True,
                 shadow_ratio: tuple[float, float] = (0.7, 0.95), max_samples: int = 25):
        self.size = size
        self.threshold = int(threshold)
        self.noise_factor = noise_factor
        self.adapt_s = adapt_s
        self.absorb_s = absorb_s
        self.shadows = shadows
        self.shadow_ratio = shadow_ratio
        self.max_samples = max(1, max_samples)
        self._samples: list[np.ndarray] = []
        self._stride = 1
        self._seen = 0
        self.bg_f: np.ndarray | None = None  # (H, W, 3) float32
        self.bg_u8: np.ndarray | None = None  # (H, W, 3) uint8
        self.thr: np.ndarray | None = None  # (H, W) uint8 per-pixel threshold (capped at 255)
        self.gain = np.ones(3, np.float32)  # last exposure correction applied, per channel
        self._frames = 0

    @property
    def ready(self) -> bool:
        """True once a background exists (after :meth:`finish_learning` or a first apply)."""
        return self.bg_u8 is not None

    # --- learning --------------------------------------------------------------------------------
    def learn(self, frame: np.ndarray) -> None:
        """Offer one frame ``(H, W, 3)`` uint8 to the learning phase."""
        if self._seen % self._stride == 0:
            self._samples.append(frame.copy())
            if len(self._samples) > self.max_samples:
                # Keep every other sample and halve the sampling rate: the kept samples stay
                # spread over the whole learning time, however long it is.
                self._samples = self._samples[::2]
                self._stride *= 2
        self._seen += 1

    def finish_learning(self) -> None:
        """Build the background from the samples (median) and per-pixel thresholds (spread)."""
        if not self._samples:
            return
        stack = np.stack(self._samples)  # (N, H, W, 3)
        med = np.median(stack, axis=0).astype(np.float32)
        if len(self._samples) >= 3:
            dev = np.abs(stack.astype(np.float32) - med).sum(axis=3)  # (N, H, W)
            noise = np.median(dev, axis=0)
        else:
            noise = np.zeros(med.shape[:2], np.float32)
        self._set_background(med, noise)
        self._samples = []
        self._stride = 1
        self._seen = 0

    def _set_background(self, bg: np.ndarray, noise: np.ndarray) -> None:
        self.bg_f = np.ascontiguousarray(bg, dtype=np.float32)
        self.bg_u8 = cv2.convertScaleAbs(self.bg_f)
        self._bg_bright = cv2.cvtColor(self.bg_u8, cv2.COLOR_BGR2GRAY) > 30
        thr = np.maximum(float(self.threshold), self.noise_factor * noise)
        self.thr = np.clip(thr, 0, 255).astype(np.uint8)

    # --- detecting -------------------------------------------------------------------------------
    def apply(self, frame: np.ndarray, dt: float, protect: np.ndarray | None = None) -> np.ndarray:
        """Foreground mask ``(H, W)`` uint8 0/255 of ``frame``; then adapt the background.

        Args:
            frame: ``(H, W, 3)`` uint8 BGR.
            dt: seconds since the previous frame (drives the adaptation rates).
            protect: optional ``(H, W)`` uint8 mask (nonzero = a tracked person) whose
                foreground pixels are not learned.
        """
        if self.bg_u8 is None:
            if self._samples:
                self.finish_learning()
            else:
                self._set_background(frame.astype(np.float32), np.zeros(frame.shape[:2],
                                                                        np.float32))
        assert self.bg_u8 is not None and self.bg_f is not None and self.thr is not None
        frame = self._compensate_gain(frame)
        diff = cv2.absdiff(frame, self.bg_u8)
        b, g, r = cv2.split(diff)
        dsum = cv2.add(cv2.add(b, g), r)  # (H, W) uint8, saturating: B+G+R difference
        fg_raw = cv2.compare(dsum, self.thr, cv2.CMP_GT)
        fg = self._remove_shadows(frame, fg_raw) if self.shadows else fg_raw
        self._adapt(frame, fg_raw, dt, protect)
        return fg

    def _compensate_gain(self, frame: np.ndarray) -> np.ndarray:
        """Undo a global exposure / white-balance change (cameras re-expose when a dark coat
        fills the view): each channel is scaled by the median background/frame ratio of a
        sparse pixel sample, which people (a minority of pixels) do not move."""
        self._frames += 1
        if self._frames % 4 == 1:  # exposure drifts slowly: re-estimate every 4th frame
            cur = frame[::8, ::8].reshape(-1, 3).astype(np.float32) + 1.0
            ref = self.bg_f[::8, ::8].reshape(-1, 3) + 1.0  # type: ignore[index]
            self.gain = np.median(ref / cur, axis=0)
        gain = self.gain
        if np.all(np.abs(gain - 1.0) < 0.03):
            return frame  # within sensor noise: spare the multiply
        return cv2.multiply(frame, tuple(float(g) for g in gain) + (0.0,), dtype=cv2.CV_8U)

    def _remove_shadows(self, frame: np.ndarray, fg: np.ndarray) -> np.ndarray:
        x, y, w, h = cv2.boundingRect(fg)
        if w == 0 or h == 0:
            return fg
        cur = frame[y:y + h, x:x + w].astype(np.float32)
        ref = self.bg_f[y:y + h, x:x + w] + 1.0  # type: ignore[index]
        rb, rg, rr = cv2.split(cv2.divide(cur, ref))
        rmin = cv2.min(cv2.min(rb, rg), rr)
        rmax = cv2.max(cv2.max(rb, rg), rr)
        lo, hi = self.shadow_ratio
        # A shadow darkens every channel by about the same factor; a dark coat changes colour
        # or darkens far more. Bright backgrounds only: in the dark nothing casts a visible shadow.
        shadow = ((rmin >= lo) & (rmax <= hi) & (rmax - rmin <= 0.12)
                  & (self._bg_bright[y:y + h, x:x + w]))
        if not shadow.any():
            return fg
        out = fg.copy()
        out[y:y + h, x:x + w][shadow] = 0
        return out

    def _adapt(self, frame: np.ndarray, fg_raw: np.ndarray, dt: float,
               protect: np.ndarray | None) -> None:
        if dt <= 0:
            return
        a_bg = 1.0 - math.exp(-dt / self.adapt_s)
        a_fg = 1.0 - math.exp(-dt / self.absorb_s)
        bg_mask = cv2.bitwise_not(fg_raw)
        cv2.accumulateWeighted(frame, self.bg_f, a_bg, mask=bg_mask)
        fg_free = fg_raw if protect is None else cv2.bitwise_and(fg_raw, cv2.bitwise_not(protect))
        cv2.accumulateWeighted(frame, self.bg_f, a_fg, mask=fg_free)
        self.bg_u8 = cv2.convertScaleAbs(self.bg_f)
