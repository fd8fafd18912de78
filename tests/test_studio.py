"""Curator Studio without a browser: the TOML writer, forms from the schema, the store (publish,
history, rollback), login and lockout, and the HTTP guards (through Starlette's test client)."""

from __future__ import annotations

import re
import shutil
import tomllib
from pathlib import Path

import pytest

from runtime.pins import hash_pin
from studio import landmarks as lm
from studio.auth import Auth
from studio.forms import all_fields, page_sections, read_form
from studio.store import Store
from studio.tomledit import dumps, literal, set_values

ROOT = Path(__file__).resolve().parent.parent
PIN = "2580"


def make_config(tmp_path: Path, pin: str | None = PIN, extra: str = "") -> Path:
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    if pin:
        pin_hash = hash_pin(pin, iterations=10_000)
        text = text.replace("[admin]\n", f'[admin]\npin_hash = "{pin_hash}"\n')
    text = text.replace('log_dir = "logs"', f'log_dir = "{tmp_path / "logs"}"')
    path = tmp_path / "config.toml"
    path.write_text(text + extra, encoding="utf-8")
    return path


# --- the writer ----------------------------------------------------------------------------------
def test_set_values_keeps_comments_and_changes_only_those_lines():
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    new, rewritten = set_values(text, {("exhibits", "numbers", "palette"): "warm",
                                       ("exhibits", "numbers", "grew_ko"): '{n}번째 "숫자"',
                                       ("playlist",): [{"exhibit": "city", "duration_s": 120}]})
    assert not rewritten
    assert 'palette = "warm"         # aurora, ink, warm, tide, gold' in new
    data = tomllib.loads(new)
    assert data["exhibits"]["numbers"]["grew_ko"] == '{n}번째 "숫자"'
    assert data["playlist"] == [{"exhibit": "city", "duration_s": 120}]
    import difflib

    removed = [d for d in difflib.ndiff(text.splitlines(), new.splitlines()) if d[:2] == "- "]
    # the palette line and the playlist block, nothing else
    assert len(removed) <= 7
    assert [d for d in removed if "#" in d] == [
        '- palette = "aurora"       # aurora, ink, warm, tide, gold']
    assert new.count("#") >= text.count("#") - 1  # comments survive


def test_set_values_rewrites_whole_file_when_the_line_editor_cannot():
    text = 'schema_version = 1\n[exhibits]\nnumbers.palette = "ink"  # dotted\n'
    new, rewritten = set_values(text, {("exhibits", "numbers", "palette"): "gold"})
    assert rewritten and tomllib.loads(new)["exhibits"]["numbers"]["palette"] == "gold"
    multi = 'schema_version = 1\n[input]\nignore_zones = [\n  [0, 0, 0.1, 0.1],\n]\n'
    new, rewritten = set_values(multi, {("input", "ignore_zones"): [[0.5, 0.5, 0.1, 0.1]]})
    assert rewritten and tomllib.loads(new)["input"]["ignore_zones"] == [[0.5, 0.5, 0.1, 0.1]]


@pytest.mark.parametrize("value", ["plain", 'q"uote\\', "줄\n바꿈\t\x01\x7f", "", 3, 2.5, True,
                                   [1, 2], [[255, 0, 10]], float("inf")])
def test_literals_round_trip(value):
    assert tomllib.loads("v = " + literal(value))["v"] == value
    assert tomllib.loads(dumps({"t": {"v": value}}))["t"]["v"] == value


# --- forms from the schema -----------------------------------------------------------------------
def test_every_setting_has_a_form_field_with_its_doc():
    import dataclasses

    from exhibits import REGISTRY

    for name, spec in REGISTRY.items():
        fields = {f.key: f for f in all_fields(page_sections(f"exhibit:{name}", {}))}
        declared = [f.name for f in dataclasses.fields(spec.config_cls) if "doc" in f.metadata]
        assert sorted(k.split(".")[-1] for k in fields) == sorted(declared), name
        assert all(f.doc for f in fields.values())
    numbers = {f.name: f for f in all_fields(page_sections("exhibit:numbers", {}))}
    assert numbers["palette"].kind == "palette" and numbers["palette"].swatches["warm"]
    assert numbers["sequence"].kind == "choice" and "e" in numbers["sequence"].choices
    assert numbers["digit_px"].kind == "int" and numbers["digit_px"].range == (160, 540)
    assert numbers["growth_s"].unit == "s" and numbers["sound"].kind == "bool"
    assert numbers["info_ko"].kind == "textarea" and numbers["grew_ko"].partner.name == "grew_en"
    city = {f.name: f for f in all_fields(page_sections("exhibit:city", {}))}
    assert city["visitor_colours"].kind == "colours" and city["palette"].swatches["night"]
    playlist = {f.key for f in all_fields(page_sections("playlist", {}))}
    assert {"schedule.tue", "visits.idle_s", "transition.kind"} <= playlist


def test_read_form_keeps_a_mistyped_number_for_the_validator():
    fields = all_fields(page_sections("exhibit:numbers", {}))

    class Form(dict):
        def getlist(self, key):
            return [f.key for f in fields] if key == "_field" else []

    form = Form({f.key: f.shown for f in fields if f.kind != "bool"})
    form.update({"exhibits.numbers.sound": "on", "exhibits.numbers.digit_px": "abc",
                 "exhibits.numbers.palette": "warm"})
    changes = read_form(fields, form)
    assert changes == {("exhibits", "numbers", "digit_px"): "abc",
                       ("exhibits", "numbers", "palette"): "warm"}


# --- the store -----------------------------------------------------------------------------------
def test_publish_records_history_and_rollback_restores_bytes(tmp_path):
    cfg = make_config(tmp_path)
    original = cfg.read_bytes()
    store = Store(cfg)
    store.edit({("exhibits", "numbers", "sequence"): "e"})
    assert cfg.read_bytes() == original  # a draft never touches the published file
    written, problems = store.publish("Mina")
    assert problems == [] and len(written) == 1
    assert tomllib.loads(cfg.read_text())["exhibits"]["numbers"]["sequence"] == "e"
    history = store.history()
    assert [v.action for v in history] == ["published", "found on disk before this change"]
    assert history[0].who == "Mina" and '+sequence = "e"' in store.diff(history[0])
    assert not list(tmp_path.glob(".config.toml.*"))  # no temporary file left behind
    version, problems = store.rollback(history[1].id, "Mina")
    assert problems == [] and cfg.read_bytes() == original
    assert store.history()[0].action == f"rollback to version {history[1].id}"


def test_publish_refuses_problems_and_hand_edits(tmp_path):
    cfg = make_config(tmp_path)
    original = cfg.read_bytes()
    store = Store(cfg)
    store.edit({("exhibits", "numbers", "digit_px"): 5000})
    written, problems = store.publish("Mina")
    assert written == [] and cfg.read_bytes() == original
    assert [p.path for p in problems] == ["exhibits.numbers.digit_px"]
    assert "160..540" in problems[0].message
    store.edit({("exhibits", "numbers", "digit_px"): 300})
    cfg.write_bytes(original + b"\n# edited by hand\n")
    written, problems = store.publish("Mina")
    assert written == [] and "changed on disk" in problems[0].message


def test_landmark_files_stay_under_assets(tmp_path):
    assets = tmp_path / "assets"
    (assets / "landmarks").mkdir(parents=True)
    shutil.copy(ROOT / "assets/landmarks/gwangju.csv", assets / "landmarks/gwangju.csv")
    cfg = make_config(tmp_path)
    store = Store(cfg, assets_root=assets)
    assert store.landmarks_file()[1] == (assets / "landmarks/gwangju.csv").resolve()
    store.edit({("exhibits", "city", "landmarks_file"): "../../../etc/passwd"})
    assert store.landmarks_file()[1] is None
    assert any(p.path == "exhibits.city.landmarks_file" and "assets/" in p.message
               for p in store.problems())
    with pytest.raises(ValueError):
        store.save_landmarks("x" * (300 * 1024))


def test_a_landmark_draft_is_published_and_rolled_back_under_assets(tmp_path):
    assets = tmp_path / "assets"
    (assets / "landmarks").mkdir(parents=True)
    csv_path = assets / "landmarks/gwangju.csv"
    shutil.copy(ROOT / "assets/landmarks/gwangju.csv", csv_path)
    original = csv_path.read_bytes()
    store = Store(make_config(tmp_path), assets_root=assets)
    rows = lm.read_rows(store.landmarks_text())
    rows[0]["desc_en"] = "Opened in 2015; a new line for the card."
    store.save_landmarks(lm.write_rows(rows))
    written, problems = store.publish("Mina")
    assert problems == [] and [v.file for v in written] == ["assets/landmarks/gwangju.csv"]
    assert b"a new line for the card" in csv_path.read_bytes()
    found = next(v for v in store.history() if v.action.startswith("found on disk"))
    store.rollback(found.id, "Mina")
    assert csv_path.read_bytes() == original


def test_config_and_landmark_problems_show_together(tmp_path):
    store = Store(make_config(tmp_path))
    rows = lm.read_rows(store.landmarks_text())
    rows[0]["lon"] = "200"
    store.save_landmarks(lm.write_rows(rows))
    store.edit({("exhibits", "numbers", "digit_px"): 5000})
    paths = [p.path for p in store.problems()]
    assert paths == ["exhibits.numbers.digit_px", "exhibits.city.landmarks_file"]


def test_landmark_errors_name_their_cell():
    text = (ROOT / "assets/landmarks/gwangju.csv").read_text(encoding="utf-8")
    rows = lm.read_rows(text)
    rows[2]["lat"] = "abc"
    rows.append({c: "" for c in lm.COLUMNS} | {"id": "new_place", "name_ko": "새 장소",
                "name_en": "New place", "lat": "35.15", "lon": "126.9", "kind": "tower",
                "desc_ko": "설명", "desc_en": "A place", "source": "a book"})
    cells, _, whole = lm.check(lm.write_rows(rows), "gwangju.csv")
    assert "must be a number" in cells[(4, "lat")][0]
    assert cells[(len(rows) + 1, "coord_source")] == ["must not be empty"]
    assert whole == []
    svg = lm.map_svg(lm.read_rows(text))
    assert svg.count("<circle") == len(lm.read_rows(text))


def test_caption_fit_is_measured_in_the_kiosk_font():
    from studio.fit import measure

    short = measure("exhibits.numbers.grew_ko", "{n}번째", "digit #{n}")
    long = measure("exhibits.numbers.grew_ko", "아주 긴 문장" * 20, "a very long caption " * 8)
    assert short["fits"] and not long["fits"] and long["width_px"] > long["room_px"]
    assert measure("exhibits.numbers.info_ko", "x") is None  # wrapped paragraphs: no rule


# --- login and lockout ---------------------------------------------------------------------------
def test_login_lockout_survives_a_restart_and_public_pins_never_work(tmp_path):
    cfg = make_config(tmp_path)
    auth = Auth(cfg, tmp_path)
    assert auth.login("1234", "x")[1] == "login.wrong"  # a public PIN: never, and it counts
    assert auth.login("1111", "x")[1] == "login.wrong"
    assert auth.login("9876", "x")[1] == "login.locked"
    again = Auth(cfg, tmp_path)  # the Studio restarted
    token, why, values = again.login(PIN, "x")
    assert token is None and why == "login.locked" and values["seconds"] > 200


def test_no_pin_means_no_login(tmp_path):
    auth = Auth(make_config(tmp_path, pin=None), tmp_path)
    assert auth.login(PIN, "x")[:2] == (None, "login.no_pin")
    from studio.i18n import t

    assert "kiosk.py pin" in t("en", "login.no_pin") and "kiosk.py pin" in t("ko", "login.no_pin")


# --- HTTP guards ---------------------------------------------------------------------------------
@pytest.fixture
def client(tmp_path):
    from starlette.testclient import TestClient

    from studio.app import create_app

    app = create_app(make_config(tmp_path), host="127.0.0.1", port=8790)
    return TestClient(app, base_url="http://127.0.0.1:8790")


def _login(client) -> str:
    page = client.get("/login")
    pre = re.search(r'name="pre" value="([^"]+)"', page.text).group(1)
    r = client.post("/login", data={"pre": pre, "pin": PIN, "who": "Mina"},
                    follow_redirects=False)
    assert r.status_code == 303
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    return re.search(r'name="csrf" value="([^"]+)"', client.get("/status").text).group(1)


def test_pages_need_a_login_and_forms_a_csrf_token(client):
    assert client.get("/exhibit/numbers", follow_redirects=False).headers["location"] == "/login"
    csrf = _login(client)
    page = client.get("/exhibit/numbers")
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    r = client.post("/publish", data={"action": "publish"})
    assert r.status_code == 403
    r = client.post("/publish", data={"action": "publish", "csrf": csrf},
                    headers={"Origin": "http://evil.example"})
    assert r.status_code == 403
    r = client.post("/publish", data={"action": "publish", "csrf": csrf})
    assert r.status_code == 409  # accepted, and refused only because there is no draft


def test_foreign_hosts_and_huge_bodies_are_refused(client):
    assert client.get("/login", headers={"Host": "attacker.example"}).status_code == 400
    r = client.post("/login", content=b"x" * (600 * 1024),
                    headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413
