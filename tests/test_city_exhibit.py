"""City exhibit: discovery by light and by touch, bilingual cards, attract mode, celebration,
golden frames, the models' code paths, and ten minutes of simulated crowds.

Everything runs headless on the fake clock at small sizes. Goldens run in safe mode (no model
threads: the pictograms are the procedural drawings and the glow the numpy texture), so they are
identical with or without trained weights and independent of thread timing; the model paths are
checked by behaviour below.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pygame
import pytest

from golden import assert_matches_golden
from runtime.config import default_config
from runtime.events import VisitorEvent
from runtime.headless import frame_rgb, offscreen_kiosk
from runtime.sources import ReplaySource, SimulatedVisitors

SIZE = (320, 180)
FPS = 60
ACC, CEMETERY, PARK, SUMMIT, SONGJEONG, STATION, GIST = range(7)


class FakeAudio:
    """Records chimes (the sound engine's API, silently)."""

    def __init__(self, fail: bool = False):
        self.calls: list[tuple[str, dict]] = []
        self.fail = fail

    def chime(self, name: str = "discover", velocity: float = 1.0, **kw) -> None:
        self.calls.append((name, kw))
        if self.fail:
            raise RuntimeError("sound card unplugged")


class FakeAnalytics:
    def __init__(self):
        self.events: list[tuple[str, str, str]] = []

    def record(self, kind: str, exhibit: str, value: float = 1.0, label: str = "") -> None:
        self.events.append((kind, exhibit, label))


def city_config(**city):
    cfg = default_config()
    settings = dataclasses.replace(cfg.exhibit("city"), **city)
    return dataclasses.replace(cfg, exhibits={**cfg.exhibits, "city": settings})


class Run:
    """A kiosk pinned to the city exhibit on the fake clock."""

    def __init__(self, events=(), *, size=SIZE, safe_mode=True, audio=None, analytics=None,
                 sources=None, cfg=None, **city):
        self.audio, self.analytics = audio, analytics or FakeAnalytics()
        srcs = list(sources or [])
        if events:
            srcs.append(ReplaySource(list(events), keep_source=True))
        self.kiosk, self.clock = offscreen_kiosk(cfg or city_config(**city), "city", size,
                                                 sources=srcs, safe_mode=safe_mode,
                                                 audio=audio, analytics=self.analytics)
        self.t = 0.0

    @property
    def ex(self):
        return self.kiosk.current.exhibit

    def frame(self, pg_events=()):
        self.kiosk.frame(list(pg_events))
        self.clock.advance(1 / FPS)
        self.t += 1 / FPS

    def until(self, t: float):
        while self.t < t - 1e-9:
            self.frame()

    def tap(self, xy, finger: int = 0):
        down = pygame.event.Event(pygame.FINGERDOWN, touch_id=1, finger_id=finger, x=xy[0],
                                  y=xy[1], dx=0.0, dy=0.0, pressure=0.0)
        up = pygame.event.Event(pygame.FINGERUP, touch_id=1, finger_id=finger, x=xy[0], y=xy[1],
                                dx=0.0, dy=0.0, pressure=0.0)
        self.frame([down])
        self.frame([up])

    def rgb(self) -> np.ndarray:
        return frame_rgb(self.kiosk.presenter.surface)

    def close(self):
        assert not self.kiosk.failures, self.kiosk.last_error
        self.kiosk.stop()


def landmark_pos(i: int, size=SIZE) -> tuple[float, float]:
    """Normalised screen position of landmark ``i`` as the exhibit projects it."""
    from exhibits.city.landmarks import read_landmarks
    from exhibits.city.projection import MapProjection
    from runtime.assets import ASSETS_DIR

    lms = read_landmarks(ASSETS_DIR / "landmarks" / "gwangju.csv")
    proj = MapProjection([lm.lat for lm in lms], [lm.lon for lm in lms], size)
    x, y = proj.to_screen(lms[i].lat, lms[i].lon)
    return float(x / size[0]), float(y / size[1])


def walk(vid: str, points, t0: float = 0.0, speed: float = 0.25, source: str = "camera",
         stay_s: float = 0.0, leave: bool = True) -> list[VisitorEvent]:
    """A visitor walking through ``points`` (normalised) at ``speed`` screen widths per s."""
    events = [VisitorEvent("enter", vid, source, points[0], t=t0, size=(0.06, 0.2))]
    t = t0
    for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
        n = max(1, int(np.hypot(x1 - x0, y1 - y0) / speed * 30))
        for k in range(1, n + 1):
            t += 1 / 30
            u = k / n
            events.append(VisitorEvent("move", vid, source, (x0 + (x1 - x0) * u,
                                                             y0 + (y1 - y0) * u), t=t,
                                       size=(0.06, 0.2)))
    if stay_s:
        t += stay_s
        events.append(VisitorEvent("move", vid, source, points[-1], t=t, size=(0.06, 0.2)))
    if leave:
        events.append(VisitorEvent("leave", vid, source, points[-1], t=t + 1 / 30))
    return events


# --- discovery -----------------------------------------------------------------------------------

def test_light_that_reaches_a_landmark_discovers_it(pygame_headless):
    audio = FakeAudio()
    acc = landmark_pos(ACC)
    start = (acc[0], 0.97)  # walk up from the bottom edge to the ACC and stand there
    run = Run(walk("cam:1", [start, acc], stay_s=2.0, leave=False), audio=audio)
    try:
        run.until(0.5)
        assert run.ex.found == {}  # still far away
        run.until(4.0)
        ex = run.ex
        assert set(ex.found) == {ACC}
        assert ex.found[ACC].owner == "cam:1"
        assert [c.index for c in ex.cards] == [ACC]
        assert ("landmark_discovered", "city", "1") in run.analytics.events
        assert [name for name, _ in audio.calls] == ["discover"]
        assert ex.light.level_at(*acc) > 0.5  # the city shines where the visitor is
        # the card is bilingual and sits beside the landmark, not on the visitor
        card = ex.cards[0]
        x, y, w, h = card.rect
        px, py = acc[0] * SIZE[0], acc[1] * SIZE[1]
        assert not (x <= px <= x + w and y <= py <= y + h)
    finally:
        run.close()


def test_the_trail_fades_slowly_behind_a_visitor(pygame_headless):
    a, b = (0.3, 0.9), (0.7, 0.9)  # along the bottom, away from every landmark
    run = Run(walk("cam:2", [a, b], speed=0.4, leave=False), trail_s=10.0)
    try:
        run.until(1.2)
        ex = run.ex
        behind = ex.light.level_at(0.4, 0.9)
        assert behind > 0.1  # a trail where the visitor walked...
        run.until(4.0)
        later = ex.light.level_at(0.4, 0.9)
        assert 0.02 < later < behind  # ...fading slowly, not at once
        assert ex.found == {}
    finally:
        run.close()


def test_a_touch_discovers_a_landmark_and_a_touch_closes_its_card(pygame_headless):
    audio = FakeAudio()
    run = Run(audio=audio)
    try:
        run.until(0.2)
        run.tap(landmark_pos(SONGJEONG))
        run.until(0.6)
        ex = run.ex
        assert set(ex.found) == {SONGJEONG}
        assert ex.found[SONGJEONG].owner.startswith("touch:")
        assert [c.index for c in ex.cards] == [SONGJEONG]
        x, y, w, h = ex.cards[0].rect
        run.tap(((x + w / 2) / SIZE[0], (y + h / 2) / SIZE[1]), finger=1)
        run.frame()
        assert ex.cards == []
        # touching the landmark again reopens its card (counted as info_opened)
        run.tap(landmark_pos(SONGJEONG), finger=2)
        run.frame()
        assert [c.index for c in ex.cards] == [SONGJEONG]
        assert ("info_opened", "city", "5") in run.analytics.events
        assert [n for n, _ in audio.calls] == ["discover"]
    finally:
        run.close()


def test_cards_close_by_themselves(pygame_headless):
    run = Run(card_s=3.0)
    try:
        run.until(0.1)
        run.tap(landmark_pos(GIST))
        run.until(2.0)
        assert [c.index for c in run.ex.cards] == [GIST]
        run.until(3.5)
        assert run.ex.cards == []
        assert GIST in run.ex.found  # the discovery stays for the visit
    finally:
        run.close()


def test_a_card_moves_off_another_visitor(pygame_headless):
    run = Run(card_yield_s=0.5)
    try:
        run.until(0.1)
        run.tap(landmark_pos(STATION))
        run.until(0.5)
        ex = run.ex
        card = ex.cards[0]
        x, y, w, h = card.target
        spot = ((x + w / 2) / SIZE[0], (y + h / 2) / SIZE[1])
        # someone else walks in and stands right where the card is
        ex.on_visitor(VisitorEvent("enter", "cam:9", "camera", spot, t=0.5, size=(0.05, 0.2)))
        run.until(1.5)
        from exhibits.city.cards import circle_overlap

        if ex.cards:  # moved away, or closed when nowhere was free
            (cx, cy, r), = ex._visitor_areas(card.owner)
            assert circle_overlap(ex.cards[0].target, cx, cy, r) == 0
    finally:
        run.close()


def test_finding_every_landmark_celebrates_and_a_visit_end_resets(pygame_headless):
    audio = FakeAudio()
    run = Run(audio=audio, celebration_s=2.0)
    try:
        run.until(0.1)
        for i in range(7):
            run.tap(landmark_pos(i), finger=i)
            run.until(run.t + 0.2)
        ex = run.ex
        assert set(ex.found) == set(range(7))
        assert ex.celebrate_t is not None
        assert [n for n, _ in audio.calls].count("discover") == 7
        assert [n for n, _ in audio.calls][-1] == "celebrate"
        assert all(ex._edge_lit(a, b) == 1.0 for a, b in ex.edges)
        labels = sorted(lab for k, _, lab in run.analytics.events if k == "landmark_discovered")
        assert labels == ["1", "2", "3", "4", "5", "6", "7"]
        run.until(run.t + 3.0)
        assert ex.celebrate_t is not None  # calm, fully lit state after the celebration
        ex.on_visit_end()
        assert ex.found == {} and ex.cards == [] and ex.celebrate_t is None
    finally:
        run.close()


def test_audio_failures_never_reach_the_visitor(pygame_headless):
    run = Run(audio=FakeAudio(fail=True))
    try:
        run.until(0.1)
        run.tap(landmark_pos(PARK))
        run.until(0.5)
        assert PARK in run.ex.found
    finally:
        run.close()


def test_attract_mode_ghosts_light_the_constellation(pygame_headless):
    run = Run()
    try:
        run.until(3.0)
        ex = run.ex
        assert ex.quiet and ex.ctx.visit.attract
        assert ex.found == {}
        lit = ex.light.bbox()
        assert lit is not None  # the ghost walkers leave light behind them
        # ghosts are on the constellation's edges
        for g in ex.ghosts:
            assert (g.a, g.b) in ex.edges or (g.b, g.a) in ex.edges
        assert ex.brightness < 0.6  # the map is dim while nobody is there
    finally:
        run.close()


# --- cards and text ------------------------------------------------------------------------------

def test_re_entering_reuses_the_static_layout_and_a_new_palette_does_not(pygame_headless):
    """The kiosk re-enters the exhibit at every rotation: badges and cards are made once."""
    run = Run()
    first = run.ex
    again = run.kiosk._factory("city", run.kiosk.context("city"))
    again.enter()
    try:
        assert again.badges is first.badges and again._card_surfs is first._card_surfs
    finally:
        again.leave()
        run.close()
    dusk = Run(palette="dusk")
    try:
        assert dusk.ex._card_surfs is not first._card_surfs
        assert dusk.ex.badges == first.badges  # same screen and labels: same layout
    finally:
        dusk.close()


def test_cards_are_bilingual_with_hangul_glyphs(hangul_font, pygame_headless):
    from exhibits.city.cards import card_width, render_card, wrap
    from exhibits.city.landmarks import read_landmarks
    from exhibits.city.settings import PALETTES
    from runtime.assets import ASSETS_DIR

    assets = hangul_font
    font = assets.font(24)

    def glyph(ch):
        return pygame.surfarray.array2d(font.render(ch, True, (255, 255, 255)))

    # distinct Hangul syllables render as distinct glyphs (a font without Hangul draws boxes)
    assert not np.array_equal(glyph("광"), glyph("주"))
    assert glyph("광").any()
    for screen in ((1920, 1080), (1280, 720)):
        h = screen[1]
        f_desc = assets.font(max(8, int(h * 0.021)))
        inner = card_width(screen) - 2 * max(6, int(h * 0.018))
        for lm in read_landmarks(ASSETS_DIR / "landmarks" / "gwangju.csv"):
            ko, en = wrap(f_desc, lm.desc_ko, inner), wrap(f_desc, lm.desc_en, inner)
            assert 1 <= len(ko) <= 2 and 1 <= len(en) <= 2  # two short lines per language
            assert " ".join(ko) == lm.desc_ko and " ".join(en) == lm.desc_en  # nothing cut
            card = render_card(lm, assets, screen, PALETTES["night"], (255, 214, 120),
                               "출처 · Source")
            assert card.get_width() == card_width(screen)
            assert card.get_height() > 7 * f_desc.get_height()  # names, 2+2 lines, source


# --- goldens -------------------------------------------------------------------------------------

def scripted_visit() -> list[VisitorEvent]:
    """A person walks from the bottom to the ACC, another crosses the west of the map."""
    acc = landmark_pos(ACC)
    events = walk("cam:1", [(acc[0] + 0.05, 0.98), acc], t0=0.0, stay_s=3.0, leave=False)
    events += walk("cam:2", [(0.02, 0.55), (0.3, 0.62), (0.45, 0.4)], t0=0.3, speed=0.2)
    return events


def test_golden_frames(hangul_font, update_goldens, pygame_headless):
    run = Run(scripted_visit())
    shots = {}
    try:
        for t in (0.02, 2.5, 3.5):
            run.until(t)
            shots[t] = run.rgb()
        run.until(3.6)
        for i in range(7):  # then every landmark by touch: the celebration
            run.tap(landmark_pos(i), finger=i)
        run.until(5.0)
        shots[5.0] = run.rgb()
    finally:
        run.close()
    for t, rgb in shots.items():
        assert_matches_golden(f"city_{int(round(t * 1000)):04d}ms", rgb, update_goldens)


def test_golden_attract_mode(hangul_font, update_goldens, pygame_headless):
    run = Run()
    try:
        run.until(6.0)
        rgb = run.rgb()
    finally:
        run.close()
    assert_matches_golden("city_attract_6000ms", rgb, update_goldens)


# --- models --------------------------------------------------------------------------------------

def random_nca_weights(tmp_path, monkeypatch):
    """Untrained landmarks NCA weights saved like the real ones, and the catalog pointed at them."""
    import torch

    import models.catalog
    from models.nca import NCA, NCAConfig

    path = tmp_path / "nca_landmarks.pt"
    model = NCA(NCAConfig(targets=models.catalog.list_targets("landmarks")),
                generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        model.w2.weight.normal_(0, 0.02, generator=torch.Generator().manual_seed(1))
    model.save(path)
    real = models.catalog.weights_path
    monkeypatch.setattr(models.catalog, "weights_path",
                        lambda name: path if name == "landmarks" else real(name))
    return path


def test_the_model_paths_run_with_untrained_weights(tmp_path, monkeypatch, pygame_headless):
    """CPPN glow worker + landmarks NCA worker: the exhibit's real code path, without training."""
    import time

    random_nca_weights(tmp_path, monkeypatch)
    run = Run(safe_mode=False)
    try:
        ex = run.ex
        assert ex.glow.using_model and ex.pictos.alive
        assert ex.pictos.grows(ACC)
        run.until(0.1)
        run.tap(landmark_pos(ACC))
        deadline = time.perf_counter() + 5.0
        while ex.pictos.worker.ticks < 12 and time.perf_counter() < deadline:
            run.frame()
            time.sleep(0.01)
        atlas, fid = ex.pictos.latest_rgba()
        assert atlas.shape == (44, 44 * 7, 4)
        assert ex._icon_surface(ACC, 1.0) is not None  # the NCA's frame, scaled to the icon
        texture, tid = ex.glow.latest()
        assert texture.shape == (ex.light.rows, ex.light.cols, 3) and tid >= 1
        assert ex.glow.worker.error is None and ex.pictos.worker.error is None
        run.until(run.t + 0.5)
    finally:
        run.close()
    assert ex.glow.worker is None and ex.pictos.worker is None  # leave() stopped both threads


def test_renders_with_the_models_are_repeatable(tmp_path, monkeypatch, pygame_headless):
    """On the simulated clock the CPPN glow and the landmarks NCA step inline: two runs with one
    seed give identical frames, with the model paths live (not only safe mode)."""
    random_nca_weights(tmp_path, monkeypatch)
    frames = []
    for _ in range(2):
        run = Run(safe_mode=False)
        try:
            ex = run.ex
            assert ex.glow.using_model and ex.pictos.alive
            assert ex.glow.worker.inline and ex.pictos.worker.inline
            run.until(0.1)
            run.tap(landmark_pos(ACC))
            run.until(1.5)
            assert ex.pictos.worker.ticks >= 30  # 24 ticks/s of 2 steps, on the fake clock
            frames.append(run.rgb())
        finally:
            run.close()
    assert np.array_equal(frames[0], frames[1])


def test_without_weights_the_pictograms_are_drawn(tmp_path, monkeypatch, pygame_headless, caplog):
    import models.catalog

    monkeypatch.setattr(models.catalog, "weights_path", lambda name: tmp_path / "missing.pt")
    run = Run(safe_mode=False)
    try:
        ex = run.ex
        assert not ex.pictos.grows(ACC)
        run.until(0.1)
        run.tap(landmark_pos(ACC))
        run.until(2.0)
        icon = ex._icon_surface(ACC, 1.0)
        assert icon.get_width() == ex.icon_px
    finally:
        run.close()
    warnings = [r for r in caplog.records if "weights" in r.getMessage()]
    assert len(warnings) == 1


def test_trained_landmark_weights_grow_the_pictograms():
    from models.catalog import weights_path

    path = weights_path("landmarks")
    if not path.is_file():
        pytest.skip(f"trained weights {path.name} not shipped (no training run has met "
                    "eval_nca's quality bar yet; issue 15)")
    import torch

    from models.nca import NCA, NCACanvas

    canvas = NCACanvas(NCA.load(path), 44, 44, seed=0)
    canvas.plant("mountain", 22, 22)
    with torch.inference_mode():
        canvas.step(96)
    assert canvas.alive_count() > 150  # a 32-cell pictogram, not a lone seed


# --- crowds --------------------------------------------------------------------------------------

def test_ten_minutes_of_simulated_crowds(pygame_headless):
    """Waves of up to six visitors for 10 minutes (fake clock, 20 fps, tiny screen): no errors,
    visits end and reset, memory structures stay bounded."""
    cfg = city_config(idle_s=15.0, light_cells=64)
    cfg = dataclasses.replace(cfg, display=dataclasses.replace(cfg.display, fps=20),
                              visits=dataclasses.replace(cfg.visits, idle_s=12.0, warning_s=3.0))
    crowd = SimulatedVisitors(7, max_visitors=6, arrival_s=1.0, busy_s=70.0, quiet_s=40.0)
    kiosk, clock = offscreen_kiosk(cfg, "city", (160, 90), sources=[crowd], safe_mode=True)
    found_max, cards_max = 0, 0
    try:
        for _ in range(600 * 20):
            kiosk.frame()
            clock.advance(1 / 20)
            ex = kiosk.current.exhibit
            found_max = max(found_max, len(ex.found))
            cards_max = max(cards_max, len(ex.cards))
        assert not kiosk.failures, kiosk.last_error
        assert kiosk.visit.visits >= 4
        assert found_max >= 3 and cards_max <= 3
        assert len(ex.bursts) < 20 and len(ex.colours) <= 6 and len(ex._texts) <= 257
        assert np.isfinite(ex.light.glow).all() and ex.light.glow.max() <= 1.0 + 1e-6
    finally:
        kiosk.stop()
