"""The Curator Studio in a real browser (Debian's chromium through chromedriver and Selenium),
against a real Studio server and, for publishing, a real headless kiosk that hot-reloads.

Skipped, saying why, when chromium or chromedriver is missing (``make sysdeps`` installs them).
Set ``STUDIO_SHOTS=/some/folder`` to also save a screenshot of every page visited.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

from runtime.pins import hash_pin
from studio.tomledit import set_values

ROOT = Path(__file__).resolve().parent.parent
PIN = "2580"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None or DRIVER is None,
                       reason="needs Debian's chromium and chromium-driver (make sysdeps)"),
]
SHOTS = os.environ.get("STUDIO_SHOTS")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_config(tmp_path: Path, *, pin: str | None = PIN, health_port: int = 0) -> Path:
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    changes = {("display", "size_px"): [320, 180], ("display", "fps"): 30,
               ("display", "fullscreen"): False, ("audio", "enabled"): False,
               ("analytics", "enabled"): False, ("camera", "source"): "none",
               ("runtime", "log_dir"): str(tmp_path / "logs"), ("health", "port"): health_port,
               ("playlist",): [{"exhibit": "numbers", "duration_s": 600}]}
    if pin:
        changes[("admin", "pin_hash")] = hash_pin(pin, iterations=10_000)
    text, _ = set_values(text, changes)
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def wait_for(predicate, timeout_s: float, what: str, interval_s: float = 0.1):
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        got = predicate()
        if got:
            return got
        time.sleep(interval_s)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--window-size=1280,1000",
                "--autoplay-policy=no-user-gesture-required", "--lang=ko",
                f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service(DRIVER), options=opts)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


class StudioServer:
    def __init__(self, config: Path):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = open(config.parent / "studio.log", "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "kiosk.py", "studio", "--config", str(config), "--port",
             str(self.port)], cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT)

        def up() -> bool:
            assert self.proc.poll() is None, (config.parent / "studio.log").read_text()
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return True
            except OSError:
                return False

        wait_for(up, 60, "the Studio server")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


@pytest.fixture
def studio_factory():
    servers: list[StudioServer] = []

    def start(config: Path) -> StudioServer:
        servers.append(StudioServer(config))
        return servers[-1]

    yield start
    for s in servers:
        s.stop()


def shot(driver, name: str) -> None:
    if not SHOTS:
        return
    Path(SHOTS).mkdir(parents=True, exist_ok=True)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1280, max(700, min(int(height) + 40, 5000)))
    driver.save_screenshot(str(Path(SHOTS) / f"{name}.png"))
    driver.set_window_size(1280, 1000)


def login(driver, base: str, pin: str = PIN, who: str = "Mina") -> None:
    from selenium.webdriver.common.by import By

    driver.get(base + "/login")
    driver.find_element(By.ID, "who").send_keys(who)
    driver.find_element(By.ID, "pin").send_keys(pin)
    button = driver.find_element(By.ID, "login")
    button.click()
    wait_for(lambda: _gone(button), 20, "the login answer")


def _gone(element) -> bool:
    """True once ``element``'s page has been replaced (the form's answer has loaded)."""
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException

    try:
        element.is_enabled()
        return False
    except StaleElementReferenceException:
        return True
    except WebDriverException as err:
        # Asked mid-navigation, Chromium may answer "Node with given id does not belong to the
        # document" (an inspector error, not Selenium's stale-element one): the page is going.
        if "does not belong to the document" in str(err):
            return True
        raise


def text_of(driver, element_id: str) -> str:
    from selenium.webdriver.common.by import By

    found = driver.find_elements(By.ID, element_id)
    return found[0].text if found else ""


def test_edit_preview_publish_to_a_running_kiosk_and_roll_back(browser, studio_factory,
                                                              tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    health_port = free_port()
    config = write_config(tmp_path, health_port=health_port)
    original = config.read_bytes()
    log_file = tmp_path / "logs" / "kiosk.log"
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy"}
    kiosk = subprocess.Popen([sys.executable, "kiosk.py", "run", "--config", str(config),
                              "--visitors", "none"], cwd=ROOT, env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        studio = studio_factory(config)
        d = browser
        login(d, studio.base)
        assert d.current_url.endswith("/status")

        def kiosk_log() -> str:
            return log_file.read_text(encoding="utf-8") if log_file.exists() else ""

        wait_for(lambda: "kiosk started" in kiosk_log(), 120, "the headless kiosk to start")
        d.get(studio.base + "/status")
        wait_for(lambda: d.find_elements(By.ID, "health-exhibit") or d.refresh(), 20,
                 "the kiosk's health on the status page", 1.0)
        assert "numbers" in text_of(d, "health-exhibit")
        shot(d, "01-status")

        # Numbers: sequence e, palette warm, a Korean caption (measured live in the kiosk font)
        d.get(studio.base + "/exhibit/numbers")
        Select(d.find_element(By.ID, "exhibits.numbers.sequence")).select_by_value("e")
        d.find_element(By.ID, "exhibits.numbers.palette-warm").click()
        caption = d.find_element(By.ID, "exhibits.numbers.grew_ko")
        fit_before = text_of(d, "fit-exhibits.numbers.grew_ko")
        assert "%" in fit_before
        caption.clear()
        caption.send_keys("{n}번째 숫자가 자랐어요 — 자연상수 e")
        wait_for(lambda: text_of(d, "fit-exhibits.numbers.grew_ko") not in ("", fit_before), 10,
                 "the live fit check")
        d.find_element(By.ID, "save").click()
        wait_for(lambda: text_of(d, "flash"), 10, "the save")
        assert d.find_element(By.ID, "exhibits.numbers.palette-warm").is_selected()
        assert config.read_bytes() == original  # saved to the draft only
        shot(d, "02-numbers-ko")
        d.find_element(By.ID, "lang-en").click()
        assert "Playlist & hours" in d.find_element(By.TAG_NAME, "nav").text
        shot(d, "03-numbers-en")
        d.find_element(By.ID, "lang-ko").click()

        # Preview of the draft: a video of the warm palette plays in the page
        d.get(studio.base + "/preview")
        Select(d.find_element(By.ID, "preview-exhibit")).select_by_value("numbers")
        d.find_element(By.ID, "preview-start").click()
        wait_for(lambda: d.find_elements(By.ID, "preview-progress"), 10, "the progress bar")
        shot(d, "04-preview-rendering")
        wait_for(lambda: d.find_elements(By.ID, "preview-video")
                 or d.find_elements(By.ID, "preview-error"), 300, "the preview render", 1.0)
        assert not d.find_elements(By.ID, "preview-error"), text_of(d, "preview-error")
        wait_for(lambda: d.execute_script(
            "const v = document.getElementById('preview-video');"
            "return v.readyState >= 2 && v.currentTime > 0.5 && !v.paused"), 30,
            "the video to play")
        r, g, b = d.execute_script(
            "const v = document.getElementById('preview-video');"
            "const c = document.createElement('canvas'); c.width = v.videoWidth;"
            "c.height = v.videoHeight; const x = c.getContext('2d'); x.drawImage(v, 0, 0);"
            "const p = x.getImageData(0, 0, c.width, c.height).data; let s = [0, 0, 0];"
            "for (let i = 0; i < p.length; i += 4) { s[0] += p[i]; s[1] += p[i+1];"
            " s[2] += p[i+2]; } const n = p.length / 4; return s.map(v => v / n);")
        assert r > 1.5 * b and r > g, f"not the warm palette: mean RGB {r:.0f} {g:.0f} {b:.0f}"
        shot(d, "05-preview-done")

        # Publish: the running kiosk picks the new file up within 3 s
        d.get(studio.base + "/publish")
        assert d.find_elements(By.ID, "no-problems")
        assert '+sequence = "e"' in text_of(d, "draft-diff")
        shot(d, "06-publish")
        applied = kiosk_log().count("config applied")
        d.find_element(By.ID, "publish").click()
        t0 = time.monotonic()
        wait_for(lambda: kiosk_log().count("config applied") > applied, 10,
                 "the kiosk to apply the published config", 0.05)
        picked_up_s = time.monotonic() - t0
        assert picked_up_s <= 3.0, f"the kiosk took {picked_up_s:.1f} s"
        published = tomllib.loads(config.read_text(encoding="utf-8"))["exhibits"]["numbers"]
        assert (published["sequence"], published["palette"]) == ("e", "warm")
        assert published["grew_ko"] == "{n}번째 숫자가 자랐어요 — 자연상수 e"
        assert kiosk.poll() is None

        # History: who and when, a diff, and a rollback to the file as it was, byte for byte
        d.get(studio.base + "/history")
        rows = d.find_elements(By.CSS_SELECTOR, "#history tbody tr")
        assert len(rows) == 2 and "Mina" in rows[0].text
        shot(d, "07-history")
        d.get(studio.base + "/history/2")
        assert '+palette = "warm"' in text_of(d, "version-diff")
        shot(d, "08-diff")
        d.get(studio.base + "/history")
        d.find_element(By.ID, "rollback-1").click()
        wait_for(lambda: text_of(d, "flash"), 10, "the rollback")
        assert config.read_bytes() == original
    finally:
        kiosk.terminate()
        try:
            kiosk.wait(15)
        except subprocess.TimeoutExpired:
            kiosk.kill()


def test_an_invalid_value_shows_beside_its_field_and_cannot_be_published(
        browser, studio_factory, tmp_path):
    from selenium.webdriver.common.by import By

    config = write_config(tmp_path)
    original = config.read_bytes()
    studio = studio_factory(config)
    d = browser
    login(d, studio.base)
    d.get(studio.base + "/exhibit/numbers")
    box = d.find_element(By.ID, "exhibits.numbers.digit_px")
    box.clear()
    box.send_keys("5000")
    d.find_element(By.ID, "save").click()
    err = wait_for(lambda: d.find_elements(By.CSS_SELECTOR,
                                           "#field-exhibits\\.numbers\\.digit_px .error"),
                   10, "the error beside digit_px")[0]
    assert "160..540" in err.text and "5000" in err.text
    shot(d, "09-numbers-invalid")
    d.get(studio.base + "/publish")
    button = d.find_element(By.ID, "publish")
    assert not button.is_enabled()
    d.execute_script("arguments[0].disabled = false", button)  # a forced post is refused too
    button.click()
    wait_for(lambda: d.find_elements(By.ID, "publish-refused"), 10, "the refusal")
    assert config.read_bytes() == original
    shot(d, "10-publish-refused")

    # landmarks: a bad latitude shows in its cell; the map still places the other rows
    d.get(studio.base + "/landmarks")
    cell = d.find_element(By.CSS_SELECTOR, "input[name='cell[2][lat]']")
    cell.clear()
    cell.send_keys("abc")
    d.find_element(By.ID, "save").click()
    wait_for(lambda: d.find_elements(By.ID, "err-row4-lat"), 10, "the cell error")
    assert "must be a number" in text_of(d, "err-row4-lat")
    assert len(d.find_elements(By.CSS_SELECTOR, "svg.map circle")) >= 2
    shot(d, "11-landmarks-error")
    d.get(studio.base + "/playlist")
    shot(d, "12-playlist")
    d.get(studio.base + "/exhibit/city")
    shot(d, "13-city")


def test_three_wrong_pins_lock_the_login(browser, studio_factory, tmp_path):
    from selenium.webdriver.common.by import By

    studio = studio_factory(write_config(tmp_path))
    d = browser
    d.get(studio.base + "/login")
    shot(d, "14-login")
    for left in (2, 1):
        login(d, studio.base, pin="9876")
        assert f"남은 시도: {left}" in text_of(d, "login-error")
    login(d, studio.base, pin="9876")
    assert "잠겼습니다" in text_of(d, "login-error")
    login(d, studio.base, pin=PIN)  # the right PIN, but locked
    assert "잠겼습니다" in text_of(d, "login-error")
    shot(d, "15-login-locked")
    d.get(studio.base + "/status")
    assert d.current_url.endswith("/login") and not d.find_elements(By.ID, "health")


def test_without_a_pin_the_studio_says_how_to_set_one(browser, studio_factory, tmp_path):
    from selenium.webdriver.common.by import By

    studio = studio_factory(write_config(tmp_path, pin=None))
    d = browser
    d.get(studio.base + "/lang/en?next=/login")
    assert "kiosk.py pin NEW_PIN" in text_of(d, "login-unavailable")
    assert not d.find_elements(By.ID, "pin")
    shot(d, "16-login-no-pin")
    d.get(studio.base + "/lang/ko?next=/login")
