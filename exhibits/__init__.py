"""The explicit exhibit registry: every exhibit the kiosk can show, by config name.

Adding an exhibit = a package under ``exhibits/`` with a settings dataclass (importable without
pygame or torch) and an exhibit class, plus one entry here (start from ``exhibits/_template``;
the README's "Add an exhibit" has the steps). Nothing is discovered implicitly. An entry's
``analytics_kinds`` are the kinds its exhibit records (``kit.record(kind)``): analytics refuses
any kind nobody declared, and a new one needs no database migration. Importing this
package registers these with the runtime (:mod:`runtime.registry`, which never imports exhibits);
an exhibit that lives elsewhere (a test's, a gallery's own) is added with :func:`register` before
the config is read. Shared plumbing for exhibits is in :mod:`exhibits.kit`.

Attributes:
    REGISTRY: ``{name: ExhibitSpec}`` in the order technicians see them (the runtime's own dict,
        :data:`runtime.registry.REGISTRY`; :func:`register` is the runtime's too).
"""

from __future__ import annotations

from exhibits.city.settings import CitySettings
from exhibits.diagnostic.settings import DiagnosticSettings
from exhibits.numbers.settings import NumbersSettings
from runtime.exhibit import ExhibitSpec, LabelChart
from runtime.registry import REGISTRY, register

__all__ = ["REGISTRY", "register"]

for _spec in (
    ExhibitSpec(
        name="numbers",
        title_ko="수의 언어",
        title_en="Language of the Universe: Numbers",
        config_cls=NumbersSettings,
        factory="exhibits.numbers.exhibit:NumbersExhibit",
        analytics_kinds=("seed_planted", "info_opened"),
    ),
    ExhibitSpec(
        name="city",
        title_ko="빛나는 광주 탐험",
        title_en="Shining Gwangju: City Exploration",
        config_cls=CitySettings,
        factory="exhibits.city.exhibit:CityExhibit",
        analytics_kinds=("landmark_discovered", "info_opened"),
        report_charts=(LabelChart("landmark_discovered", "landmarks_discovered.png",
                                  "Landmarks discovered", "landmark"),),
    ),
    ExhibitSpec(
        name="diagnostic",
        title_ko="진단 화면",
        title_en="Diagnostic test pattern",
        config_cls=DiagnosticSettings,
        factory="exhibits.diagnostic.exhibit:DiagnosticExhibit",
    ),
):
    register(_spec)
del _spec
