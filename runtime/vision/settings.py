"""``[camera]``: where frames come from, how people are tracked, and the calibration file.

Declared like every other config section (:func:`runtime.settings.setting`): each field has its
default, its documentation and its allowed range where it is declared. Units are in the names
(``_s`` seconds, ``_px`` pixels) or, for sizes relative to the picture, in the doc ("fraction of
the frame height") so a knob means the same thing at any camera resolution.

Defaults suit a UVC webcam above the screen looking at visitors: ``source = "auto"`` (the first
camera found, else none, and the kiosk runs by touch), 640×480 MJPG at 30 fps, tracking at
320×240, mirrored so that a visitor who steps left moves left on screen.

Failure modes: none at run time; :func:`runtime.settings.build` reports bad values with their key
path (``camera.stale_s: must be 0.2..60, got 0``). :meth:`CameraConfig.check` adds the
cross-field rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from runtime.settings import setting

ANCHORS = ("centre", "feet", "head")


@dataclass(frozen=True)
class CameraConfig:
    """``[camera]``: the camera, visitor tracking, motion field, presence mask and calibration."""

    source: str = setting(
        "auto",
        "auto (first camera, else none), none, a device index (0), a device path "
        "(/dev/v4l/by-id/...), a video file (relative to the config folder) or a stream URL "
        "(rtsp://, http://)")
    width_px: int = setting(
        640, "capture width to ask the camera for (0: the camera's default)", range=(0, 7680))
    height_px: int = setting(
        480, "capture height to ask the camera for (0: the camera's default)", range=(0, 4320))
    fps: int = setting(30, "frame rate to ask the camera for (0: the camera's default)",
                       range=(0, 240))
    mjpg: bool = setting(
        True, "ask the camera for MJPG (most USB cameras reach full frame rate only so)")
    loop_video: bool = setting(
        True, "a video file used as the camera starts over at its end (false: its end counts "
        "as a lost camera, retried with backoff)")
    realtime_video: bool = setting(
        True, "play a video file at its own frame rate, like a live camera (false: as fast as "
        "tracking keeps up)")
    stale_s: float = setting(
        2.0, "no new frame, or only identical frames, for this long counts as a lost camera",
        range=(0.2, 60))
    reconnect_min_s: float = setting(
        0.5, "first wait before reopening a lost camera; doubles on each failure",
        range=(0.01, 60))
    reconnect_max_s: float = setting(
        30.0, "longest wait between attempts to reopen a lost camera", range=(0.01, 600))
    process_size_px: tuple[int, int] = setting(
        (320, 240), "frames are scaled to fit inside [width, height] (aspect kept) for tracking",
        range=(64, 1920))
    learn_s: float = setting(
        3.0, "seconds at start-up spent learning the empty room; nobody is reported meanwhile "
        "(people walking through are fine, someone standing still is learned as background)",
        range=(0, 120))
    background_adapt_s: float = setting(
        8.0, "time constant with which the background follows light changes where nobody is",
        range=(0.5, 3600))
    absorb_s: float = setting(
        120.0, "time constant with which something that stays and is not a tracked person "
        "(a moved chair) becomes background", range=(1, 86400))
    still_release_s: float = setting(
        300.0, "a tracked person with no motion at all for this long is treated as part of the "
        "room (a ghost, a poster) and slowly absorbed", range=(5, 86400))
    threshold: int = setting(
        40, "colour difference from the background (sum over B, G, R; 0..765) above which a "
        "pixel is foreground; noisy pixels (leaves, screens) get a higher one", range=(5, 400))
    shadows: bool = setting(True, "remove shadows (darker pixels of the same colour)")
    min_person_height: float = setting(
        0.1, "smallest person to track, as a fraction of the frame height", range=(0.01, 1))
    person_aspect: float = setting(
        0.4, "width / height of one standing person; much wider blobs are split into several "
        "people", range=(0.1, 2))
    max_distance: float = setting(
        0.2, "how far (fraction of the frame height) a person may be from where their track "
        "expected them and keep their id", range=(0.01, 2))
    persistence_s: float = setting(
        1.0, "a person not seen for this long leaves; shorter gaps (occlusions) keep the id",
        range=(0, 60))
    confirm_s: float = setting(
        0.2, "a new person is reported only after being seen this long (filters flicker)",
        range=(0, 10))
    anchor: str = setting(
        "centre", "the point of a person reported as their position: centre of the body box, "
        "feet (bottom centre; best for a camera looking at the floor) or head (top centre)",
        choices=ANCHORS)
    mirror: bool = setting(
        True, "mirror horizontally (a camera facing visitors: stepping left moves left on "
        "screen); applies to positions, mask and motion field")
    mask_size_px: tuple[int, int] = setting(
        (80, 60), "presence mask size [width, height] handed to exhibits", range=(4, 640))
    flow: bool = setting(True, "compute the motion field (dense optical flow) for exhibits")
    flow_grid: tuple[int, int] = setting(
        (32, 24), "motion field cells [columns, rows] handed to exhibits", range=(2, 160))
    calibration_path: str = setting(
        "calibration.json",
        "camera-to-screen calibration written by the calibration mode (relative to the config "
        "folder); while it is missing, camera positions map to the screen unchanged")

    def check(self) -> list[tuple[str, str]]:
        problems = []
        if self.reconnect_min_s > self.reconnect_max_s:
            problems.append(("reconnect_min_s", f"must not exceed reconnect_max_s "
                             f"({self.reconnect_max_s}), got {self.reconnect_min_s}"))
        if self.source.strip() == "":
            problems.append(("source", "must not be empty (use \"none\" for no camera)"))
        return problems


def resolve_path(path: str, config_dir: str | Path | None) -> Path:
    """A config-relative path: absolute paths stay, relative ones join ``config_dir``."""
    p = Path(path).expanduser()
    if p.is_absolute() or config_dir is None:
        return p
    return Path(config_dir) / p


def resolve_source(source: str, config_dir: str | Path | None) -> str:
    """``source`` with a relative video-file path resolved against the config folder.

    Keywords (``auto``, ``none``), device indexes, ``/dev/...`` paths and URLs are returned as is.
    """
    s = source.strip()
    if s in ("auto", "none") or s.isdigit() or "://" in s or s.startswith("/"):
        return s
    return str(resolve_path(s, config_dir))
