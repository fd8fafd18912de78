"""The explicit exhibit registry: every exhibit the kiosk can show, by config name.

Adding an exhibit = a package under ``exhibits/`` with a settings dataclass (importable without
pygame or torch) and an exhibit class, plus one entry here (start from ``exhibits/_template``;
the README's "Add an exhibit" has the steps). Nothing is discovered implicitly. An exhibit that
lives elsewhere (a test's, a gallery's own) is added with :func:`register` before the config is
read. Shared plumbing for exhibits is in :mod:`exhibits.kit`.

Attributes:
    REGISTRY: ``{name: ExhibitSpec}`` in the order technicians see them.
"""

from __future__ import annotations

from exhibits.city.settings import CitySettings
from exhibits.diagnostic.settings import DiagnosticSettings
from exhibits.numbers.settings import NumbersSettings
from runtime.exhibit import ExhibitSpec

REGISTRY: dict[str, ExhibitSpec] = {
    spec.name: spec
    for spec in (
        ExhibitSpec(
            name="numbers",
            title_ko="수의 언어",
            title_en="Language of the Universe: Numbers",
            config_cls=NumbersSettings,
            factory="exhibits.numbers.exhibit:NumbersExhibit",
        ),
        ExhibitSpec(
            name="city",
            title_ko="빛나는 광주 탐험",
            title_en="Shining Gwangju: City Exploration",
            config_cls=CitySettings,
            factory="exhibits.city.exhibit:CityExhibit",
        ),
        ExhibitSpec(
            name="diagnostic",
            title_ko="진단 화면",
            title_en="Diagnostic test pattern",
            config_cls=DiagnosticSettings,
            factory="exhibits.diagnostic.exhibit:DiagnosticExhibit",
        ),
    )
}


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
