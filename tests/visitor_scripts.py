"""Visitor sources that tests drive: the two shapes our tests need, in one place.

- :class:`PushSource`: the test pushes events (a finger it moves); each is emitted at the next poll
  with the kiosk clock's time.
- :class:`ScriptSource`: a script of events, each emitted at its own ``t`` on the kiosk clock
  (absolute times; :class:`runtime.sources.ReplaySource` plays offsets from its first poll).
"""

from __future__ import annotations

import dataclasses

from runtime.events import VisitorEvent


class PushSource:
    """Events pushed by the test, emitted at the next ``poll`` stamped with its ``now``."""

    name = "push"

    def __init__(self):
        self.queue: list[VisitorEvent] = []

    def start(self): ...

    def stop(self): ...

    def push(self, kind: str, vid: str, x: float, y: float, source: str = "touch") -> None:
        self.queue.append(VisitorEvent(kind, vid, source, (x, y)))

    def poll(self, now, emit):
        for e in self.queue:
            emit(dataclasses.replace(e, t=now))
        self.queue.clear()


class ScriptSource:
    """Emits each event once the kiosk clock reaches its ``t`` (stamped with that poll's time)."""

    name = "script"

    def __init__(self, events: list[VisitorEvent]):
        self.events = sorted(events, key=lambda e: e.t)
        self.i = 0

    def start(self): ...

    def stop(self): ...

    def poll(self, now, emit):
        while self.i < len(self.events) and self.events[self.i].t <= now + 1e-9:
            emit(dataclasses.replace(self.events[self.i], t=now))
            self.i += 1
