"""``kiosk.py track --debug-video OUT.mp4``: draw the tracks onto the clip for people to look at.

This is the **only** module that writes camera frames anywhere, and only when a person asks for it
explicitly on the command line, offline, for a recorded clip. The live kiosk never imports it
(a test checks that nothing else in :mod:`runtime.vision` calls ``cv2.imwrite`` or
``cv2.VideoWriter``).

Drawn per frame: each person's box and id (green when detected, orange when predicted through
an occlusion), the foreground mask as a blue tint, and the frame number.

Failure modes: :class:`DebugVideo` raises ``OSError`` when the writer cannot be opened (no
codec, unwritable folder).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from runtime.vision.processor import VisionFrame, VisionProcessor


class DebugVideo:
    """Writes annotated frames to an MP4 (``mp4v``) at the clip's size.

    Args:
        path: output file; its folder must exist.
        fps: frame rate of the written video.
    """

    def __init__(self, path: str | Path, fps: float = 10.0):
        self.path = Path(path)
        self.fps = fps
        self._writer: cv2.VideoWriter | None = None

    def add(self, frame: np.ndarray, vf: VisionFrame, proc: VisionProcessor) -> None:
        """Annotate a copy of ``frame`` (camera pixels) and append it."""
        img = frame.copy()
        h, w = img.shape[:2]
        fg = cv2.resize(proc.fg, (w, h), interpolation=cv2.INTER_NEAREST)
        img[fg > 0] = (img[fg > 0] * 0.6 + np.array([160, 60, 0]) * 0.4).astype(np.uint8)
        for pid, (x, y, bw, bh) in proc.boxes_px():
            state = next((s for s in proc.tracks if s.id == pid), None)
            color = (60, 220, 60) if state is None or state.seen else (0, 160, 255)
            p0, p1 = (int(x), int(y)), (int(x + bw), int(y + bh))
            cv2.rectangle(img, p0, p1, color, 2)
            cv2.putText(img, str(pid), (p0[0], max(12, p0[1] - 4)), cv2.FONT_HERSHEY_SIMPLEX,
                        0.6, color, 2)
        cv2.putText(img, f"{vf.index}", (8, 24), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (255, 255, 255),
                    2)
        if self._writer is None:
            self._writer = cv2.VideoWriter(str(self.path), cv2.VideoWriter.fourcc(*"mp4v"),
                                           self.fps, (w, h))
            if not self._writer.isOpened():
                self._writer = None
                raise OSError(f"cannot write video {self.path}")
        self._writer.write(img)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.release()
            self._writer = None
