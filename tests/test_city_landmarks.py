"""City exhibit: the curators' landmark file, its validator, and the [exhibits.city] settings."""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

import pytest

from exhibits.city.landmarks import COLUMNS, load_landmarks, parse_landmarks
from exhibits.city.settings import CitySettings
from models.catalog import list_targets
from runtime.assets import ASSETS_DIR
from runtime.config import default_config, load_config

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ASSETS_DIR / "landmarks" / "gwangju.csv"


def shipped_rows() -> list[list[str]]:
    with SHIPPED.open(encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


def to_csv(rows: list[list[str]]) -> str:
    import io

    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def test_the_shipped_file_is_valid_and_complete():
    landmarks, problems = load_landmarks(SHIPPED)
    assert problems == []
    assert [lm.id for lm in landmarks] == ["1", "2", "3", "4", "5", "6", "7"]
    kinds = list_targets("landmarks")
    for lm in landmarks:
        assert lm.kind in kinds
        assert lm.name_ko and lm.name_en and lm.desc_ko and lm.desc_en
        assert lm.source and lm.coord_source.startswith("http")
    assert {lm.label_en for lm in landmarks} >= {"ACC", "GIST"}


def test_the_shipped_coordinates_are_the_sourced_ones(shared_data):
    """Coordinates, names and kinds come unchanged from the lead's sourced list."""
    with (shared_data / "gwangju_landmarks.csv").open(encoding="utf-8", newline="") as f:
        sourced = {r["id"]: r for r in csv.DictReader(f)}
    landmarks, _ = load_landmarks(SHIPPED)
    assert {lm.id for lm in landmarks} == set(sourced)
    for lm in landmarks:
        src = sourced[lm.id]
        assert (lm.lat, lm.lon) == (float(src["lat"]), float(src["lon"]))
        assert (lm.name_ko, lm.name_en, lm.kind) == (src["name_ko"], src["name_en"], src["kind"])
        assert lm.coord_source == src["source"]


def bad(rows_edit) -> list[str]:
    rows = shipped_rows()
    rows_edit(rows)
    _, problems = parse_landmarks(to_csv(rows), "landmarks/test.csv")
    return problems


def test_a_bad_latitude_is_refused_with_row_and_column():
    def edit(rows):
        rows[3][COLUMNS.index("lat")] = "abc"  # the third landmark = spreadsheet row 4

    assert bad(edit) == ["landmarks/test.csv row 4, column lat: must be a number 33..39 (Korea), "
                         "got 'abc'"]


@pytest.mark.parametrize(("column", "value", "expect"), [
    ("lon", "200", "column lon: must be a number 124..132 (Korea), got '200'"),
    ("lat", "nan", "column lat: must be a number 33..39"),
    ("kind", "castle", "column kind: must be one of culture_center"),
    ("name_ko", "Mudeungsan", "column name_ko: must be written in Korean (Hangul)"),
    ("desc_en", "광주의 산", "column desc_en: must be written in English"),
    ("desc_ko", "", "column desc_ko: must not be empty"),
    ("source", " ", "column source: must not be empty"),
    ("desc_ko", "가" * 80, "column desc_ko: must be at most 64 characters"),
    ("id", "a b", "column id: must be a short key without spaces"),
])
def test_each_column_is_checked(column, value, expect):
    def edit(rows):
        rows[5][COLUMNS.index(column)] = value

    problems = bad(edit)
    assert len(problems) == 1, problems
    assert problems[0].startswith("landmarks/test.csv row 6, ")
    assert expect in problems[0]


def test_duplicate_ids_and_broken_rows_are_named():
    def edit(rows):
        rows[2][0] = "1"
        rows[4] = rows[4][:5]

    problems = bad(edit)
    assert "landmarks/test.csv row 3, column id: duplicate id '1' (first used in row 2)" in problems
    assert any(p.startswith("landmarks/test.csv row 5: has 5 values, the header has 10")
               for p in problems)


def test_a_wrong_header_is_named():
    def edit(rows):
        rows[0][COLUMNS.index("lat")] = "latitude"

    problems = bad(edit)
    assert problems[0].startswith("landmarks/test.csv row 1: missing column(s) lat")
    assert "unknown column(s) 'latitude'" in problems[1]


def test_unreadable_files(tmp_path):
    _, problems = load_landmarks(tmp_path / "none.csv", "landmarks/none.csv")
    assert problems and "cannot read" in problems[0]
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes(",".join(COLUMNS).encode() + b"\n1,\xe9\n")
    _, problems = load_landmarks(latin1, "landmarks/latin1.csv")
    assert problems == ["landmarks/latin1.csv row 2: not UTF-8 text (save the file as CSV UTF-8)"]
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + SHIPPED.read_bytes())  # Excel's "CSV UTF-8" is fine
    assert load_landmarks(bom)[1] == []


def test_kiosk_check_refuses_a_bad_landmark_file(tmp_path):
    from runtime.check import check

    rows = shipped_rows()
    rows[4][COLUMNS.index("kind")] = "pagoda"
    bad_file = tmp_path / "bad.csv"
    bad_file.write_text(to_csv(rows), encoding="utf-8")
    cfg_file = tmp_path / "config.toml"
    cfg_file.write_text(f'schema_version = 1\n[exhibits.city]\nlandmarks_file = "{bad_file}"\n',
                        encoding="utf-8")
    lines: list[str] = []
    assert check(cfg_file, render=False, out=lines.append) == 2
    assert any(f"exhibits.city.landmarks_file: {bad_file} row 5, column kind: must be one of"
               in line for line in lines), lines


def test_the_default_settings_validate_and_watch_the_landmark_file():
    settings = default_config().exhibit("city")
    assert isinstance(settings, CitySettings)
    assert settings.check() == []
    assert settings.asset_files() == [SHIPPED]

    from runtime.assets import Assets

    assert settings.check_assets(Assets()) == []


def test_progress_texts_may_only_use_found_and_total():
    s = dataclasses.replace(CitySettings(), progress_en="{found} of {all}")
    assert [k for k, _ in s.check()] == ["progress_en"]


@pytest.mark.parametrize("path", sorted((ROOT / "configs").glob("city-*.toml")),
                         ids=lambda p: p.name)
def test_alternative_city_configs_are_valid(path):
    from runtime.check import asset_problems

    cfg = load_config(path)
    assert any(e.exhibit == "city" for e in cfg.playlist)
    assert asset_problems(cfg) == []


def test_there_is_an_alternative_city_config():
    assert list((ROOT / "configs").glob("city-*.toml"))
