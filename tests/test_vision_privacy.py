"""Privacy: camera frames stay in memory; nothing writes one anywhere.

Two proofs:

* a run of the real code (the live :class:`CameraSource` with its capture and vision threads, and
  the offline ``track`` command without ``--debug-video``) over a recorded clip leaves no new
  image, video or array file in the repository, the working folder, the temp folder or ``/tmp``
  (listings compared by extension before and after), and an audit hook sees no such file opened
  for writing and no ``cv2.imwrite`` / ``cv2.VideoWriter`` call;
* no module of ``runtime/vision`` except the opt-in ``debug_video`` calls a frame writer.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import cv2

from runtime.vision.synthetic import Scene, Walker

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
MEDIA = {".png", ".jpg", ".jpeg", ".bmp", ".ppm", ".pgm", ".pbm", ".tif", ".tiff", ".webp",
         ".gif", ".avi", ".mp4", ".mkv", ".mov", ".webm", ".y4m", ".npy", ".npz", ".raw",
         ".yuv", ".mjpeg", ".h264"}

CHILD = r'''
import sys, time, os
sys.path.insert(0, sys.argv[1])
MEDIA = set(sys.argv[3].split(","))
bad = []
def hook(event, args):
    if event == "open" and args and isinstance(args[0], (str, bytes, os.PathLike)):
        path, mode = os.fsdecode(args[0]), str(args[1] or "r")
        if any(c in mode for c in "wax+") and os.path.splitext(path)[1].lower() in MEDIA:
            bad.append(path)
sys.addaudithook(hook)
import cv2
def refuse(name):
    def f(*a, **k):
        bad.append(name)
        raise RuntimeError(name + " called")
    return f
cv2.imwrite = refuse("cv2.imwrite")
cv2.VideoWriter = refuse("cv2.VideoWriter")
from dataclasses import replace
from runtime.vision.settings import CameraConfig
from runtime.vision.source import CameraSource
from runtime.vision.track_cli import main as track_main
clip = sys.argv[2]
cfg = replace(CameraConfig(), source=clip, learn_s=0.3, realtime_video=False, loop_video=True)
src = CameraSource(cfg)
events = []
src.start()
end = time.monotonic() + 2.0
while time.monotonic() < end:
    src.poll(time.perf_counter(), events.append)
    time.sleep(0.01)
vf = src.latest_vision()
processed = src.status()["frames_processed"]
src.stop()
rc = track_main([clip, "--out", "tracks.txt", "--warmup-passes", "1"])
print("processed", processed, "events", len(events), "rc", rc, "bad", bad)
sys.exit(1 if bad or rc != 0 or processed < 5 or vf is None else 0)
'''


def media_files(roots: list[Path], skip: list[Path]) -> set[str]:
    out = set()
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root, onerror=lambda e: None):
            d = Path(dirpath)
            dirnames[:] = [n for n in dirnames
                           if n not in (".git", ".venv", "__pycache__")
                           and not any((d / n) == s for s in skip)]
            for f in filenames:
                if Path(f).suffix.lower() in MEDIA:
                    out.add(str(d / f))
    return out


def recorded_clip(tmp_path: Path) -> Path:
    pets = DATA / "pets2009_s3mf1" / "pets2009_s3mf1_view001.avi"
    if pets.exists():
        return pets
    # Without the shared clips, a generated one stands in (written before the "before" listing).
    clip = tmp_path / "input" / "clip.avi"
    clip.parent.mkdir()
    scene = Scene((320, 240), (Walker((20, 200), (300, 200), 0.3, 3.0, 90, (40, 40, 150)),))
    out = cv2.VideoWriter(str(clip), cv2.VideoWriter.fourcc(*"MJPG"), 25, (320, 240))
    for k in range(75):
        out.write(scene.render(k / 25))
    out.release()
    return clip


def test_a_camera_run_writes_no_frame_anywhere(tmp_path):
    clip = recorded_clip(tmp_path)
    work = tmp_path / "cwd"
    tmpdir = tmp_path / "tmpdir"
    work.mkdir()
    tmpdir.mkdir()
    # Other people's test runs write their own images under /tmp/pytest-of-*; only ours counts.
    others = [p for p in Path("/tmp").glob("pytest-of-*")]
    watched = [ROOT, work, tmpdir, Path("/tmp")]
    skip = [p for p in others if not str(tmp_path).startswith(str(p))]
    before = media_files(watched, skip) | media_files([tmp_path], [])
    env = dict(os.environ, TMPDIR=str(tmpdir), TMP=str(tmpdir), TEMP=str(tmpdir))
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(ROOT), str(clip), ",".join(sorted(MEDIA))],
        cwd=work, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "bad []" in proc.stdout, proc.stdout
    after = media_files(watched, skip) | media_files([tmp_path], [])
    assert sorted(after - before) == []
    assert (work / "tracks.txt").exists()  # the run did work: it wrote its (text) output


def test_only_the_debug_video_module_writes_frames():
    writers = re.compile(r"\b(imwrite|VideoWriter|imencode|np\.save|numpy\.save|savez|tofile)\b")
    offenders = []
    for path in sorted((ROOT / "runtime" / "vision").rglob("*.py")):
        if path.name == "debug_video.py":
            continue
        for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            code = line.split("#", 1)[0]
            if writers.search(code) and not code.strip().startswith(('"', "'")):
                offenders.append(f"{path.relative_to(ROOT)}:{no}: {line.strip()}")
    assert offenders == []
