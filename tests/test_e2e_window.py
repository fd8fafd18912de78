"""End to end: the real kiosk window under Xvfb, clicked with xdotool, stopped with SIGTERM.

This is the one test that uses a real X server instead of SDL's dummy driver: it starts
``kiosk.py --windowed`` exactly as a curator previewing on a laptop would, finds the window,
presses and clicks the mouse inside it, screenshots the screen, checks the visitor is drawn
where the pointer was, then sends SIGTERM and expects a clean exit.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
WINDOW_CLASS = "gwangju-kiosk"
pytestmark = pytest.mark.e2e


@pytest.fixture
def xvfb():
    if not shutil.which("Xvfb") or not shutil.which("xdotool"):
        pytest.skip("Xvfb and xdotool are needed (apt-get install xvfb xdotool; `make test` "
                    "installs them when it can)")
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "1024x768x24",
                             "-nolisten", "tcp"], pass_fds=(write_fd,),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_fd)
    with os.fdopen(read_fd) as f:
        number = f.readline().strip()
    if not number:
        proc.kill()
        pytest.fail("Xvfb did not start")
    yield f":{number}"
    proc.terminate()
    proc.wait(timeout=10)


def xdotool(display: str, *args: str, timeout: float = 20) -> str:
    done = subprocess.run(["xdotool", *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "DISPLAY": display})
    assert done.returncode == 0, f"xdotool {args}: {done.stderr}"
    return done.stdout


def screenshot(display: str, box: tuple[int, int, int, int]) -> np.ndarray:
    from PIL import ImageGrab

    return np.asarray(ImageGrab.grab(xdisplay=display).crop(box).convert("RGB"))


def wait_for(get, ok, limit_s: float = 20.0):
    """Poll ``get()`` until ``ok(value)`` or the limit (a readiness wait, not a speed test)."""
    end = time.monotonic() + limit_s
    value = get()
    while not ok(value) and time.monotonic() < end:
        time.sleep(0.1)
        value = get()
    return value


def white_pixels_near(img: np.ndarray, x: int, y: int, r: int, level: int = 235) -> int:
    """Pixels within ``r`` of (x, y) whose every channel exceeds ``level`` (white-ish)."""
    patch = img[max(0, y - r):y + r + 1, max(0, x - r):x + r + 1].astype(int)
    return int((patch.min(axis=2) > level).sum())


def test_window_shows_a_click_and_exits_cleanly_on_sigterm(xvfb, tmp_path):
    cfg = tmp_path / "preview.toml"
    cfg.write_text(
        "schema_version = 1\n"
        "[display]\nsize_px = [800, 450]\nfullscreen = false\n"
        f"[runtime]\nlog_dir = '{tmp_path / 'logs'}'\n"
        "[input]\nretain_s = 0.0\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("SDL_VIDEODRIVER", "WAYLAND_DISPLAY")}
    env.update(DISPLAY=xvfb, SDL_AUDIODRIVER="dummy")
    kiosk = subprocess.Popen([sys.executable, str(ROOT / "kiosk.py"), "--config", str(cfg),
                              "--windowed", "--exhibit", "diagnostic"], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wid = xdotool(xvfb, "search", "--sync", "--class", WINDOW_CLASS, timeout=60).split()[0]
        geo = dict(line.split("=") for line in
                   xdotool(xvfb, "getwindowgeometry", "--shell", wid).split())
        x0, y0, w, h = (int(geo[k]) for k in ("X", "Y", "WIDTH", "HEIGHT"))
        assert (w, h) == (800, 450)
        box = (x0, y0, x0 + w, y0 + h)
        before = wait_for(lambda: screenshot(xvfb, box), lambda img: img.std() > 5)
        assert before.std() > 5  # the test pattern, not a black window
        px, py = 560, 150  # away from the title text and the graph
        assert white_pixels_near(before, px, py, 12) == 0

        xdotool(xvfb, "mousemove", "--window", wid, str(px), str(py))
        xdotool(xvfb, "mousedown", "1")
        held = wait_for(lambda: screenshot(xvfb, box),
                        lambda img: white_pixels_near(img, px, py, 10) > 30)
        xdotool(xvfb, "mouseup", "1")
        assert white_pixels_near(held, px, py, 10) > 30  # the mouse visitor's marker

        xdotool(xvfb, "mousemove", "--window", wid, "300", "300", "click", "1")
        after = wait_for(lambda: screenshot(xvfb, box),
                         lambda img: white_pixels_near(img, 300, 300, 50, 150) > 20)
        assert white_pixels_near(after, 300, 300, 50, 150) > 20  # the click's fading ripple

        kiosk.send_signal(signal.SIGTERM)
        out, err = kiosk.communicate(timeout=20)
    finally:
        if kiosk.poll() is None:
            kiosk.kill()
            kiosk.communicate()
    assert kiosk.returncode == 0, err
    assert "Traceback" not in err
    log = (tmp_path / "logs" / "kiosk.log").read_text()
    assert "signal SIGTERM received" in log and "kiosk stopped cleanly" in log
