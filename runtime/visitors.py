"""Build extra visitor sources from a command-line ``--visitors`` value.

``sim`` → :class:`SimulatedVisitors` seeded from the config; a path → :class:`ReplaySource` of
that JSONL recording; ``None`` → no extra source. A bad recording raises ``ValueError`` naming the
file and line.
"""

from __future__ import annotations

from pathlib import Path

from runtime.events import VisitorSource
from runtime.sources import ReplaySource, SimulatedVisitors, read_recording


def visitor_sources(spec: str | None, seed: int = 0, *, loop: bool = True) -> list[VisitorSource]:
    if not spec or spec == "none":
        return []
    if spec == "sim":
        return [SimulatedVisitors(seed)]
    path = Path(spec)
    if not path.is_file():
        raise ValueError(f"--visitors: expected 'sim' or a JSONL recording, {spec!r} not found")
    return [ReplaySource(read_recording(path), loop=loop)]
