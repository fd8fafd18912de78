"""The explicit exhibit registry: every exhibit the kiosk can show, by config name.

Adding an exhibit = a package under ``exhibits/`` with a settings dataclass (importable without
pygame or torch) and an exhibit class, plus one entry here. Nothing is discovered implicitly.

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
