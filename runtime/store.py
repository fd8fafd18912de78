"""The exhibit store: what an exhibit keeps from one showing to the next.

The runtime builds a new exhibit instance every time the playlist shows it, so anything costly
to make (a laid-out base map, the glyph ledger, the last landmark file that validated) would be
rebuilt at every showing. Instead of smuggling it across instances through module globals or
class attributes, an exhibit keeps it in ``ctx.store``: one :class:`ExhibitStore` per exhibit
name, owned by the :class:`~runtime.app.Kiosk` (so two kiosks in one process, as in tests, never
share state, and nothing outlives the kiosk that made it). The start-up pre-warm fills the same
store, so the first real showing finds its work done.

Failure modes: none at run time; a value is kept until :meth:`ExhibitStore.clear` or until
``max_items`` newer keys push it out (least recently used first), so a key that varies without
bound (screen size, file path) cannot grow memory over months of hot reloads.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")


class ExhibitStore:
    """A small least-recently-used map ``key → value`` for one exhibit name.

    Args:
        name: the exhibit's config name (for logs and repr).
        max_items: values kept at most; the least recently used goes first (default 64).
    """

    def __init__(self, name: str, max_items: int = 64) -> None:
        self.name = name
        self.max_items = max_items
        self._items: OrderedDict[Hashable, Any] = OrderedDict()

    def get(self, key: Hashable, default: Any = None) -> Any:
        """The value kept under ``key`` (now the most recently used), or ``default``."""
        if key not in self._items:
            return default
        self._items.move_to_end(key)
        return self._items[key]

    def put(self, key: Hashable, value: T) -> T:
        """Keep ``value`` under ``key`` and return it."""
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self.max_items:
            self._items.popitem(last=False)
        return value

    def get_or_make(self, key: Hashable, make: Callable[[], T]) -> T:
        """The value under ``key``, made by ``make()`` (and kept) the first time it is asked for.

        ``make`` raising leaves the store unchanged.
        """
        if key in self._items:
            return self.get(key)
        return self.put(key, make())

    def keys(self) -> list[Hashable]:
        """The keys, least recently used first (for tests and diagnostics)."""
        return list(self._items)

    def clear(self) -> None:
        self._items.clear()

    def __contains__(self, key: Hashable) -> bool:
        return key in self._items

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"ExhibitStore({self.name!r}, {len(self._items)}/{self.max_items} items)"
