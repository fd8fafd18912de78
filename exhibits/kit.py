"""The exhibit kit: the plumbing every exhibit needs, written once.

What is here (importing it loads neither pygame nor torch):

* :data:`TOUCH_SOURCES` (re-exported from :mod:`runtime.events`): the event sources that are a
  hand on the glass. A touch is a deliberate act (plant, open, close); a camera visitor is a
  presence.
* :func:`visitor_key`: a stable small int for a visitor id (the CPPN's steering slots).
* :class:`WarnOnce`: a log warning said once per key, so a sound card unplugged mid-visit writes
  one line, not one a frame.
* :class:`TextCache`: rendered text surfaces by ``(text, px, colour, bold)``, bounded.
* :class:`Kit`: what one exhibit instance holds of the above, plus guarded calls to the sound
  engine (:meth:`Kit.sound`) and analytics (:meth:`Kit.record`), and the things kept from one
  showing to the next in the exhibit's store (``ctx.store``, one per exhibit name, owned by the
  kiosk; the start-up pre-warm fills the same store):

  - ``Kit.texts``: the exhibit's :class:`TextCache` (re-rendering the captions made the first
    frame of every showing ~5 ms longer);
  - :meth:`Kit.take_spare` / :meth:`Kit.give_spare`: full-screen scratch surfaces (allocating
    one costs ~7-10 ms at 1080p, at every rotation otherwise).
* :func:`leave_a_core`: one torch thread per model on a small CPU.

Failure modes: nothing here raises into the exhibit. :meth:`Kit.sound` and :meth:`Kit.record`
log what the sound engine or analytics raise (once per kind of failure) and carry on.
"""

from __future__ import annotations

import zlib
from typing import Any

from runtime.events import TOUCH_SOURCES

__all__ = ["TOUCH_SOURCES", "Kit", "TextCache", "WarnOnce", "leave_a_core", "visitor_key"]

SPARES_PER_KEY = 2  # scratch objects kept per key (two instances overlap in a crossfade)

def _take(spares: list[Any] | None, make: Any) -> Any:
    return spares.pop() if spares else make()


def _give(spares: list[Any], obj: Any) -> None:
    if len(spares) < SPARES_PER_KEY and all(o is not obj for o in spares):
        spares.append(obj)





def visitor_key(visitor_id: str) -> int:
    """A stable small int for a visitor id (the CPPN wants ints to name its steering slots)."""
    return zlib.crc32(visitor_id.encode("utf-8")) & 0x7FFFFFFF


class WarnOnce:
    """``warn(msg, key=None)`` logs ``msg`` the first time ``key`` (default: ``msg``) is seen.

    At most ``limit`` keys are remembered; past that, nothing more is logged (a message that
    changes every frame must not fill the log).
    """

    def __init__(self, log: Any, limit: int = 100) -> None:
        self.log = log
        self.limit = limit
        self.seen: set[str] = set()

    def __call__(self, msg: str, key: str | None = None) -> None:
        key = msg if key is None else key
        if key not in self.seen and len(self.seen) < self.limit:
            self.seen.add(key)
            self.log.warning(msg)


class TextCache:
    """Rendered text by ``(text, px, colour, bold)``; emptied when it passes ``limit`` entries.

    ``assets.font(px, bold)`` supplies the font (see :mod:`runtime.assets`). Drawing code calls
    it every frame; a caption that changes renders once. The surfaces are shared: callers blit
    them (``set_alpha`` and back is fine on one thread) and never draw into them.
    """

    def __init__(self, assets: Any, limit: int = 128) -> None:
        self.assets = assets
        self.limit = limit
        self._surfs: dict[tuple, Any] = {}

    def __call__(self, text: str, px: int, colour: Any, bold: bool = False) -> Any:
        key = (text, px, tuple(colour), bold)
        surf = self._surfs.get(key)
        if surf is None:
            if len(self._surfs) > self.limit:
                self._surfs.clear()
            surf = self.assets.font(px, bold).render(text, True, colour)
            self._surfs[key] = surf
        return surf

    def __len__(self) -> int:
        return len(self._surfs)

    def clear(self) -> None:
        self._surfs.clear()


class Kit:
    """One exhibit instance's plumbing: warnings, text, sound and analytics.

    Args:
        ctx: the exhibit's :class:`runtime.exhibit.ExhibitContext` (``log``, ``assets``,
            ``store``, ``audio``, ``analytics``; the last two may be ``None``).
        exhibit: the registry name analytics records are filed under.
        text_limit: entries the text cache holds before it is emptied.

    ``texts`` and the spares live in ``ctx.store``: the kiosk builds a new instance at every
    showing, and the store (one per exhibit name and kiosk) is what lasts between them.
    """

    def __init__(self, ctx: Any, exhibit: str, *, text_limit: int = 128) -> None:
        self.ctx = ctx
        self.exhibit = exhibit
        self.store = ctx.store
        self.warn = WarnOnce(ctx.log)
        assets = ctx.assets
        self.texts: TextCache = self.store.get_or_make(
            ("kit.texts", assets, text_limit), lambda: TextCache(assets, text_limit))

    def take_spare(self, key: tuple, make: Any) -> Any:
        """A scratch object for ``key`` an earlier showing gave back, else ``make()``.

        For buffers whose pixels are always written before they are read (an upscale target).
        ``key`` names the user, the size and anything else that decides the object's format.
        The taker owns the object until it calls :meth:`give_spare`.
        """
        return _take(self.store.get(("kit.spares", key)), make)

    def give_spare(self, key: tuple, obj: Any) -> None:
        """Hand ``obj`` back for the next :meth:`take_spare` of ``key`` (at most
        :data:`SPARES_PER_KEY` kept)."""
        _give(self.store.get_or_make(("kit.spares", key), list), obj)

    def sound(self, method: str, *args: Any, **kw: Any) -> None:
        """``ctx.audio.METHOD(*args, **kw)``; nothing without sound; a failure is logged once."""
        audio = self.ctx.audio
        if audio is None:
            return
        try:
            getattr(audio, method)(*args, **kw)
        except Exception as err:  # noqa: BLE001 - sound must never break the exhibit
            self.warn(f"audio {method} failed: {err!r}", key=f"audio {method}")

    def record(self, kind: str, label: str = "") -> None:
        """One anonymous analytics count. ``kind``: a runtime kind or one the exhibit declares in
        its ``ExhibitSpec.analytics_kinds``; an undeclared kind is refused by analytics and
        logged once here."""
        analytics = self.ctx.analytics
        if analytics is None:
            return
        try:
            analytics.record(kind, self.exhibit, label=label)
        except Exception as err:  # noqa: BLE001 - counting must never break the exhibit
            self.warn(f"analytics failed: {err!r}", key="analytics")


def leave_a_core(device: str = "cpu") -> None:
    """One torch thread per model on a small CPU (imports torch).

    With two threads on a 2-core machine every small matmul waits for a busy core (measured:
    15 ms instead of 5 µs for the CPPN's products under load). A no-op on a GPU device and once
    the kiosk has configured torch itself (:func:`models.engine.configure_cpu`).
    """
    if device != "cpu":
        return
    import os

    import torch

    from models.engine import configure_cpu

    if torch.get_num_threads() >= (os.cpu_count() or 2):
        configure_cpu()
