"""A pretend sound card's clock for ALSA's ``file`` plugin (tests and benchmarks only).

ALSA's ``null`` PCM, under the ``file`` plugin, accepts audio as fast as it is produced, so a
stream on it runs far faster than real time. Piping the file plugin into this script
(``file "|exec python pacer.py …"``) restores real time: it reads the raw stream from stdin at
exactly ``rate`` frames per second into ``--out``, like a DAC draining a buffer. The pipe between
them (``--pipe-bytes``, default 16 KiB = 43 ms of float32 stereo at 48 kHz) is the device's
buffer: ALSA blocks when it is full, and when it runs empty at the moment the "DAC" needs the
next chunk, that is an **underflow** (counted, and the clock re-anchored, as a card would play
silence and go on). ``--stats`` receives JSON ``{"bytes", "underflows", "seconds", "done"}``
every second and at the end (``done`` true once the stream was closed).

Standard library only: it runs as a plain script so the ALSA config need not know the repo.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import sys
import time

F_SETPIPE_SZ = 1031  # Linux fcntl: set a pipe's capacity
CHUNK_FRAMES = 256
LATE_TOLERANCE_S = 0.003  # our own wake-up jitter, not the producer's fault


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rate", type=int, default=48000, help="frames per second")
    ap.add_argument("--frame-bytes", type=int, default=8, help="bytes per frame (all channels)")
    ap.add_argument("--out", required=True, help="file receiving the raw samples")
    ap.add_argument("--stats", default="", help="JSON file with the counters")
    ap.add_argument("--pipe-bytes", type=int, default=16384, help="pipe capacity (the buffer)")
    args = ap.parse_args(argv)
    src = sys.stdin.buffer
    try:
        fcntl.fcntl(src.fileno(), F_SETPIPE_SZ, args.pipe_bytes)
    except OSError:
        pass  # not a pipe (a manual run): pace anyway
    chunk = CHUNK_FRAMES * args.frame_bytes
    bytes_per_s = args.rate * args.frame_bytes
    total, underflows = 0, 0
    t0 = None
    next_stats = 0.0

    def write_stats(done: bool) -> None:
        if not args.stats:
            return
        seconds = (time.monotonic() - t0) if t0 is not None else 0.0
        tmp = args.stats + ".tmp"
        with open(tmp, "w") as f:
            json.dump({"bytes": total, "underflows": underflows, "seconds": seconds,
                       "done": done}, f)
        os.replace(tmp, args.stats)

    with open(args.out, "wb") as out:
        pending = b""
        while True:
            before = time.monotonic()
            data = src.read1(chunk - len(pending))
            if not data:
                break
            pending += data
            if len(pending) < chunk:
                continue
            now = time.monotonic()
            if t0 is None:
                t0 = now
            due = t0 + total / bytes_per_s  # when the "DAC" needed this chunk
            # Late only if we had to *wait* for the data past its due time: oversleeping
            # ourselves while data sat in the pipe is our jitter, not an underflow.
            if now > due + LATE_TOLERANCE_S and now - max(before, due) > LATE_TOLERANCE_S:
                underflows += 1
                if os.environ.get("PACER_DEBUG"):
                    sys.stderr.write(f"late {now - due:.4f}s at {total / bytes_per_s:.3f}s\n")
                t0 += now - due  # it played silence meanwhile; the clock moves on
            out.write(pending)
            total += len(pending)
            pending = b""
            wait = t0 + total / bytes_per_s - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            if time.monotonic() >= next_stats:
                next_stats = time.monotonic() + 1.0
                out.flush()
                write_stats(False)
        if pending:
            out.write(pending)
            total += len(pending)
    write_stats(True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
