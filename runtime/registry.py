"""The exhibit registry the runtime reads: every exhibit the kiosk can show, by config name.

The runtime never imports the exhibits; they register with it. Importing the :mod:`exhibits`
package registers the shipped ones (``kiosk.py``, the Studio's preview worker, the test set-up
and the bench scripts do so before they read a config); an exhibit kept elsewhere calls
:func:`register` itself. Order is registration order, the order technicians see them.

Failure modes: :func:`register` raises ``ValueError`` when a name is taken by a different
exhibit. Reading a config (or starting a kiosk) with nothing registered is a programming error,
not a curator's: :func:`require` raises ``RuntimeError`` saying what to import, instead of
refusing every ``[exhibits.NAME]`` table as unknown.

Attributes:
    REGISTRY: ``{name: ExhibitSpec}``; :data:`exhibits.REGISTRY` is this same dict.
"""

from __future__ import annotations

from runtime.exhibit import ExhibitSpec

REGISTRY: dict[str, ExhibitSpec] = {}


def register(spec: ExhibitSpec) -> ExhibitSpec:
    """Add ``spec`` to :data:`REGISTRY` and return it (registering the same spec twice is fine).

    Register before the config is read: ``[exhibits.NAME]`` tables and playlist entries are
    checked against the registry, and a config read earlier has no settings for ``NAME``.
    Raises ``ValueError`` when ``spec.name`` already names a different exhibit.
    """
    have = REGISTRY.get(spec.name)
    if have is not None and have != spec:
        raise ValueError(f"exhibit name {spec.name!r} is taken by {have.factory}")
    REGISTRY[spec.name] = spec
    return spec


def require() -> dict[str, ExhibitSpec]:
    """:data:`REGISTRY`; ``RuntimeError`` when no exhibit has been registered yet."""
    if not REGISTRY:
        raise RuntimeError("no exhibits are registered: import the exhibits package (kiosk.py "
                           "does) or call runtime.registry.register() before reading a config")
    return REGISTRY
