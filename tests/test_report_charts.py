"""Report charts are declared by exhibits (``ExhibitSpec.report_charts``): the runtime draws a
registered exhibit's per-label chart without knowing the exhibit, and refuses a chart of a kind
the exhibit does not declare or with an unsafe file name."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from runtime.analytics import Analytics, AnalyticsConfig
from runtime.exhibit import ExhibitSpec, LabelChart
from runtime.report import declared_charts, report


@dataclass(frozen=True)
class KiteSettings:
    pass


KITE = ExhibitSpec(name="kites", title_ko="연", title_en="Kites", config_cls=KiteSettings,
                   factory="nowhere:Kites", analytics_kinds=("kite_flown",),
                   report_charts=(LabelChart("kite_flown", "kites_flown.png", "Kites flown",
                                             "kite"),))


@pytest.fixture
def kites(registered):
    """The test exhibit, registered for one test only."""
    return registered(KITE)


def test_a_declared_chart_is_drawn_and_linked_and_citys_is_still_there(kites, tmp_path):
    db = tmp_path / "a.sqlite"
    now = [dt.datetime(2026, 11, 24, 10, 0)]
    a = Analytics(db, AnalyticsConfig(flush_s=0.05), wall_fn=lambda: now[0], kiosk="k1")
    a.start()
    for i in range(5):
        a.record("kite_flown", "kites", label=f"kite-{i % 2}")
    a.close()
    out = tmp_path / "report"
    files = {p.name for p in report(db, out)}
    assert {"kites_flown.png", "landmarks_discovered.png"} <= files
    assert (out / "kites_flown.png").stat().st_size > 1000
    page = (out / "index.html").read_text(encoding="utf-8")
    assert 'src="kites_flown.png"' in page and 'src="landmarks_discovered.png"' in page
    assert [c.file for c in declared_charts()][-1] == "kites_flown.png"  # registry order


def test_a_chart_must_count_a_declared_kind_and_name_a_plain_png():
    with pytest.raises(ValueError, match="not one of its analytics_kinds"):
        ExhibitSpec(name="x", title_ko="x", title_en="x", config_cls=KiteSettings, factory="a:b",
                    report_charts=(LabelChart("kite_flown", "k.png", "K", "k"),))
    with pytest.raises(ValueError, match="must be lowercase"):
        ExhibitSpec(name="x", title_ko="x", title_en="x", config_cls=KiteSettings, factory="a:b",
                    analytics_kinds=("kite_flown",),
                    report_charts=(LabelChart("kite_flown", "../k.png", "K", "k"),))
