"""Preview renders for the Studio: one at a time, in a niced subprocess with a time limit.

:meth:`Previews.start` writes the draft as a preview config (the draft landmark file, if any, in
place of the published one), starts ``python -m studio.preview_worker`` (nice 15, one torch
thread, SDL's dummy driver) and returns at once; :meth:`Previews.status` reports the phase and
progress (PNG frames written / frames asked for) for the page to poll. Only the latest job's
folder is kept. A render still running after ``timeout_s`` is killed with its process group.

Failure modes: a second start while one runs is refused; a worker that fails leaves its log's
last lines in the status; nothing here raises for a failed render.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from studio.store import Store
from studio.tomledit import set_values

ROOT = Path(__file__).resolve().parent.parent
SIZE = (480, 270)
FPS = 24


class Previews:
    """The one preview job of a Studio (see the module docstring)."""

    def __init__(self, store: Store, seconds: float = 4.0, timeout_s: float = 180.0):
        self.store = store
        self.seconds = seconds
        self.timeout_s = timeout_s
        self.root = store.state_dir / "preview"
        self.job: dict | None = None
        self._lock = threading.Lock()

    def start(self, exhibit: str, stills: list[float]) -> bool:
        """Start a render of ``exhibit``; False when one is already running."""
        with self._lock:
            if self.job is not None and self.job["proc"].poll() is None:
                return False
            shutil.rmtree(self.root, ignore_errors=True)
            job_id = secrets.token_hex(6)
            out = self.root / job_id
            out.mkdir(parents=True)
            text = self.store.draft_text()
            if self.store.landmarks_draft_path.exists():
                text, _ = set_values(text, {("exhibits", "city", "landmarks_file"):
                                            str(self.store.landmarks_draft_path)})
            else:
                name, path = self.store.landmarks_file()
                if path is not None:  # relative names resolve against the Studio's assets/
                    text, _ = set_values(text, {("exhibits", "city", "landmarks_file"):
                                                str(path)})
            cfg = out / "config.toml"
            cfg.write_text(text, encoding="utf-8")
            stills_arg = ",".join(f"{s:g}" for s in stills if 0 <= s <= self.seconds)
            cmd = [sys.executable, "-m", "studio.preview_worker", "--config", str(cfg),
                   "--exhibit", exhibit, "--seconds", f"{self.seconds:g}",
                   "--size", f"{SIZE[0]}x{SIZE[1]}", "--fps", str(FPS), "--out", str(out),
                   "--stills", stills_arg]
            env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy",
                   "OMP_NUM_THREADS": "1", "PYGAME_HIDE_SUPPORT_PROMPT": "1"}
            log = open(out / "log.txt", "wb")  # noqa: SIM115 - the child writes it
            proc = subprocess.Popen(cmd, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=log,
                                    stderr=subprocess.STDOUT, env=env, start_new_session=True)
            log.close()
            self.job = {"id": job_id, "exhibit": exhibit, "dir": out, "proc": proc,
                        "started": time.monotonic(), "total": round(self.seconds * FPS),
                        "stills": [f"{s:g}" for s in stills if 0 <= s <= self.seconds],
                        "killed": False}
            threading.Thread(target=self._guard, args=(self.job,), daemon=True,
                             name="preview-guard").start()
            return True

    def _guard(self, job: dict) -> None:
        try:
            job["proc"].wait(timeout=self.timeout_s)
        except subprocess.TimeoutExpired:
            job["killed"] = True
            try:
                os.killpg(job["proc"].pid, signal.SIGKILL)
            except OSError:
                pass
            job["proc"].wait()

    def status(self) -> dict:
        """``{state, done, total, percent, video, stills, error, exhibit, id}`` (JSON-ready)."""
        job = self.job
        if job is None:
            return {"state": "none"}
        out: Path = job["dir"]
        rc = job["proc"].poll()
        done = len(list((out / "frames").glob("frame_*.png"))) if (out / "frames").is_dir() \
            else 0
        st = {"id": job["id"], "exhibit": job["exhibit"], "done": done, "total": job["total"],
              "percent": min(100, round(100 * done / max(1, job["total"]))),
              "video": "", "stills": [], "error": ""}
        if job["killed"]:
            st["state"] = "timeout"
        elif rc is None:
            st["state"] = ("encoding" if (out / "encoding").exists()
                           else "rendering" if done else "starting")
        elif rc == 0 and (out / "done").exists():
            st["state"] = "done"
            st["video"] = f"/preview/file/{job['id']}/preview.webm"
            st["stills"] = [{"t": s, "url": f"/preview/file/{job['id']}/still_{s}.png"}
                            for s in job["stills"] if (out / f"still_{s}.png").exists()]
        else:
            st["state"] = "failed"
            err = out / "error.txt"
            text = err.read_text(encoding="utf-8") if err.exists() else ""
            if not text:
                try:
                    text = (out / "log.txt").read_text(encoding="utf-8", errors="replace")[-600:]
                except OSError:
                    text = f"exit code {rc}"
            st["error"] = text
        return st

    def file(self, job_id: str, name: str) -> Path | None:
        """A file of the current job, only the video and stills (never other paths)."""
        job = self.job
        if job is None or job_id != job["id"]:
            return None
        if name != "preview.webm" and not (name.startswith("still_") and name.endswith(".png")
                                           and name[6:-4] in job["stills"]):
            return None
        path = job["dir"] / name
        return path if path.is_file() else None

    def stop(self) -> None:
        job = self.job
        if job is not None and job["proc"].poll() is None:
            try:
                os.killpg(job["proc"].pid, signal.SIGKILL)
            except OSError:
                pass
