"""The Numbers exhibit: a scripted visit's golden frames, seeds, sequence order, damage and
regrowth, captions in Hangul, ⓘ, sound, attract mode and a crowd soak (the growers are in
test_numbers_growers.py, the rooms one at a time in test_numbers_rooms.py).

Everything runs on the fake clock with models stepped inline (``threaded=False``), so frames are
repeatable. Goldens use the plain-glyph grower (``weights=False``): they pass whether or not
trained NCA weights are committed; the NCA path is exercised with a randomly initialised model.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from pilot import Pilot
from recorders import AnalyticsRecorder

from golden import assert_matches_golden
from runtime.config import default_config
from runtime.events import VisitorEvent
from runtime.sources import SimulatedVisitors

SIZE = (320, 180)
FPS = 60
PI = "31415926535897932384626433832795028841971693993751"


class FakeAudio:
    """The sound API's shape; ``claps`` onsets are reported by the next ``onsets()`` call."""

    def __init__(self, fail: bool = False):
        self.fail = fail
        self.notes: list[tuple[int, float]] = []
        self.pulses = 0
        self.claps = 0

    def _maybe_fail(self):
        if self.fail:
            raise RuntimeError("sound card unplugged")

    def note(self, degree, velocity=0.8, duration_s=0.6, **kw):
        self._maybe_fail()
        self.notes.append((degree, velocity))

    def pulse(self, strength=1.0):
        self._maybe_fail()
        self.pulses += 1

    def chime(self, name="discover", velocity=1.0, **kw):
        self._maybe_fail()

    def fade_all(self, seconds=1.0):
        self._maybe_fail()

    def onsets(self):
        self._maybe_fail()
        n, self.claps = self.claps, 0
        return [object()] * n


def settings(**kw):
    return dataclasses.replace(default_config().exhibit("numbers"), **kw)


def numbers(events=(), *, size=SIZE, s=None, sources=(), analytics=None, kiosk_kw=None,
            cfg=None, **exhibit_kw) -> Pilot:
    """A pilot on Numbers with ``events`` scripted (absolute kiosk seconds): plain glyphs
    (``weights=False``), a small CPPN and the models stepped inline unless ``exhibit_kw`` say
    otherwise. ``pilot.made`` lists the exhibits the kiosk built."""
    from exhibits.numbers.exhibit import NumbersExhibit

    exhibit_kw.setdefault("weights", False)
    exhibit_kw.setdefault("cppn_width", 64)
    exhibit_kw.setdefault("threaded", False)
    cfg = cfg or default_config()
    made = []

    def factory(name, ctx):
        ex = NumbersExhibit(ctx, s or cfg.exhibit("numbers"), **exhibit_kw)
        made.append(ex)
        return ex

    pilot = Pilot(cfg, "numbers", size=size, sources=sources, script=events,
                  exhibit_factory=factory, analytics=analytics or AnalyticsRecorder(),
                  **(kiosk_kw or {}))
    pilot.made = made
    return pilot


def after(events=(), *, seconds, at=(), **kw):
    """Numbers through the frame drawn at ``seconds``; returns (exhibit, {t: frame drawn at t
    for t in ``at``}, kiosk), the kiosk stopped and the exhibit's last garden kept."""
    with numbers(events, **kw) as pilot:
        frames = pilot.advance_to(seconds + pilot.dt, shots=at)
        ex = pilot.made[-1]
        ex.final_garden = ex.planting.garden  # leave() lets the garden go
        ex.final_frame = ex.planting.garden.latest()[0].copy()
    return ex, frames, pilot.kiosk


def tap(t, pos, vid="touch:1"):
    return [VisitorEvent("enter", vid, "touch", pos, t=t),
            VisitorEvent("leave", vid, "touch", pos, t=t + 0.06)]


def walk(t0, t1, a, b, vid="sim:walker", size=(0.08, 0.22)):
    """A tracked person walking from a to b (normalized) between t0 and t1, then leaving."""
    n = max(2, round((t1 - t0) * 30))
    events = []
    for i in range(n + 1):
        f = i / n
        pos = (a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f)
        kind = "enter" if i == 0 else "move"
        events.append(VisitorEvent(kind, vid, "sim", pos, t=t0 + (t1 - t0) * f, size=size))
    events.append(VisitorEvent("leave", vid, "sim", b, t=t1 + 0.02, size=size))
    return events


def visitor_digits(ex):
    return [d for d in ex.planting.digits if d.by_visitor]


def captions(ex):
    """(sequence, newest digit, message, today's counter) as the caption band writes them."""
    return ex.captions.lines(ex.planting, ex.attract_mode.active)


# --- the scripted visit: plant, grow, damage, regrow ----------------------------------------
VISIT = tap(1.5, (0.22, 0.35)) + walk(4.1, 4.6, (0.0, 0.36), (0.45, 0.36))
MOMENTS = {"grow": 2.5, "grown": 4.0, "damaged": 4.7, "regrown": 10.0}


@pytest.fixture(scope="module")
def visit():
    return after(VISIT, seconds=max(MOMENTS.values()), at=list(MOMENTS.values()))


@pytest.mark.parametrize("moment", list(MOMENTS))
def test_golden_frames_of_a_scripted_visit(hangul_font, update_goldens, visit, moment):
    _, frames, _ = visit
    assert_matches_golden(f"numbers_visit_{moment}", frames[MOMENTS[moment]], update_goldens)


def alive_in(ex, d):
    """Living cells (alpha > 0.1) in digit d's box in the exhibit's last frame."""
    x0, y0, x1, y1 = d.box
    return int(np.count_nonzero(ex.final_frame[y0:y1, x0:x1, 3] > 26))


def test_a_walker_damages_a_digit_and_it_regrows():
    counts = {}
    for name, t in MOMENTS.items():
        ex, _, _ = after(VISIT, seconds=t)
        (mine,) = visitor_digits(ex)
        counts[name] = alive_in(ex, mine)
    assert 0 < counts["grow"] < counts["grown"]
    assert counts["damaged"] < 0.6 * counts["grown"]
    assert counts["regrown"] > 0.95 * counts["grown"]


def test_the_digit_grown_is_the_next_of_the_sequence():
    events = tap(1.5, (0.2, 0.3)) + tap(1.8, (0.75, 0.3), "touch:2") + tap(2.2, (0.2, 0.7), "t:3")
    rec = AnalyticsRecorder()
    ex, _, _ = after(events, seconds=2.5, analytics=rec)
    # the exhibit writes digits #1 and #2 itself on appearing; visitors continue from #3
    assert [d.number for d in ex.planting.digits] == [1, 2, 3, 4, 5]
    assert [d.value for d in ex.planting.digits] == [int(c) for c in PI[:5]]
    assert [d.number for d in visitor_digits(ex)] == [3, 4, 5]
    assert ex.planting.visitor_count == 3 and rec.count("seed_planted") == 3
    head, newest, msg, today = captions(ex)
    assert head.startswith("π = 3.141") and newest == "5"
    assert "5번째" in msg and "#5" in msg and "3" in today


def test_a_tap_plants_exactly_one_seed_and_does_not_erase_it():
    jitter = [VisitorEvent("enter", "touch:9", "touch", (0.5, 0.3), t=1.5),
              VisitorEvent("move", "touch:9", "touch", (0.503, 0.302), (0.003, 0.002), t=1.55),
              VisitorEvent("move", "touch:9", "touch", (0.501, 0.301), (-0.002, -0.001), t=1.6),
              VisitorEvent("leave", "touch:9", "touch", (0.501, 0.301), t=1.65)]
    rec = AnalyticsRecorder()
    ex, _, _ = after(jitter, seconds=4.0, analytics=rec)
    assert len(visitor_digits(ex)) == 1 and rec.count("seed_planted") == 1
    (d,) = visitor_digits(ex)
    assert d.alive_cells > 100  # grown and whole


def test_a_finger_dragged_through_a_digit_erases_cells_and_they_regrow():
    drag = [VisitorEvent("enter", "touch:5", "touch", (0.9, 0.9), t=3.0)]
    for i in range(1, 21):
        x = 0.9 - i * 0.04
        drag.append(VisitorEvent("move", "touch:5", "touch", (x, 0.42), (-0.04, 0), t=3 + i / 60))
    drag.append(VisitorEvent("leave", "touch:5", "touch", (0.1, 0.42), t=3.4))
    ex, _, _ = after(drag, seconds=3.4)  # the finger has just passed
    intro = [d for d in ex.planting.digits if not d.by_visitor]
    hurt = [alive_in(ex, d) for d in intro]
    ex2, _, _ = after(drag, seconds=7.5)
    healed = [alive_in(ex2, d) for d in ex2.planting.digits if not d.by_visitor]
    ex3, _, _ = after([], seconds=7.5)  # nobody came: attract mode adds digits after the intro
    whole = [alive_in(ex3, d) for d in ex3.planting.digits[:2]]
    assert all(h < 0.7 * w for h, w in zip(hurt, whole, strict=True))
    assert all(h > 0.95 * w for h, w in zip(healed, whole, strict=True))


def test_a_visitor_standing_still_plants_once_after_about_a_second():
    stand = [VisitorEvent("enter", "cam:1", "camera", (0.3, 0.3), t=1.0, size=(0.1, 0.3)),
             VisitorEvent("move", "cam:1", "camera", (0.301, 0.3), (0.001, 0), t=1.3,
                          size=(0.1, 0.3))]
    ex, _, _ = after(stand, seconds=2.2)
    assert len(visitor_digits(ex)) == 1
    ex, _, _ = after(stand, seconds=1.9)
    assert len(visitor_digits(ex)) == 0  # still=1.0 s after the last move at 1.3 s
    ex, _, _ = after(stand, seconds=6.0)
    assert len(visitor_digits(ex)) == 1  # standing on: no second seed


def test_old_digits_fade_when_the_canvas_is_full():
    events = []
    spots = [(x, y) for y in (0.25, 0.6) for x in (0.1, 0.3, 0.5, 0.7, 0.9)]
    for i, p in enumerate(spots):
        events += tap(1.5 + 0.2 * i, p, f"touch:{i}")
    ex, _, _ = after(events, seconds=6.0, s=settings(max_digits=4))
    assert len(ex.planting.digits) == 4
    assert [d.number for d in ex.planting.digits] == [9, 10, 11, 12]


def test_captions_render_hangul_glyphs_not_boxes(hangul_font, pygame_headless):
    pygame = pygame_headless
    ex, frames, _ = after(tap(1.5, (0.3, 0.3)), seconds=2.0, at=[2.0])
    head, newest, msg, today = captions(ex)
    text = msg + today
    assert "번째" in msg and "you grew digit #3" in msg and "오늘" in today
    font = hangul_font.font(32)

    def pixels(s):
        return pygame.surfarray.array_alpha(font.render(s, True, (255, 255, 255)))

    missing = pixels("\U000f0000")  # a private-use character: the font's "missing" box
    hangul = sorted({c for c in text if "\uac00" <= c <= "\ud7a3"})
    assert len(hangul) >= 6
    for c in hangul:
        got = pixels(c)
        assert got.shape != missing.shape or not np.array_equal(got, missing), c
    for c in "π·#":
        got = pixels(c)
        assert got.shape != missing.shape or not np.array_equal(got, missing), c
    band = frames[2.0][-27:]
    assert band.max() > 150  # the caption is drawn


def test_info_button_opens_how_it_works_and_any_touch_closes_it(hangul_font, update_goldens):
    from exhibits.numbers.exhibit import Layout

    size = (480, 270)
    lay = Layout.for_screen(size, settings().digit_px)
    button = (lay.button[0] / size[0], lay.button[1] / size[1])
    rec = AnalyticsRecorder()
    events = tap(1.5, (0.3, 0.35)) + tap(3.0, button, "touch:2")
    ex, frames, _ = after(events, seconds=3.8, size=size, analytics=rec, at=[3.8])
    assert ex.info.is_open and rec.count("info_opened") == 1
    assert len(visitor_digits(ex)) == 1  # the ⓘ tap planted nothing
    assert ex.final_garden.snapshot is not None and ex.final_garden.snapshot.shape == (8, 24, 24)
    assert_matches_golden("numbers_info", frames[3.8], update_goldens)
    ex, _, _ = after(events + tap(4.0, (0.5, 0.5), "touch:3"), seconds=4.2, size=size)
    assert not ex.info.is_open and len(visitor_digits(ex)) == 1  # closing planted nothing
    ex, _, _ = after(events, seconds=3.1 + 5.0, size=size, s=settings(info_timeout_s=5.0))
    assert not ex.info.is_open  # it closes by itself


def test_grown_digits_play_their_notes_and_a_clap_pulses():
    from exhibits.numbers.exhibit import NumbersExhibit

    audio = FakeAudio()
    ex, _, kiosk = after(tap(1.5, (0.3, 0.3)), seconds=4.0, kiosk_kw={"audio": audio})
    assert [deg for deg, _ in audio.notes] == [3, 1, 4]  # digit d → degree d, pentatonic
    assert audio.notes[-1][1] > audio.notes[0][1]  # a visitor's digit sounds louder
    assert ex.pulse() == 0.0
    audio.claps = 1
    ex.update(1 / 60)
    assert ex.pulse() > 0.9 and audio.pulses == 1
    assert isinstance(ex, NumbersExhibit)


def test_a_failing_sound_card_never_breaks_the_exhibit():
    ex, _, kiosk = after(tap(1.5, (0.3, 0.3)), seconds=4.0, kiosk_kw={"audio": FakeAudio(True)})
    assert not kiosk.failures and len(visitor_digits(ex)) == 1


def test_sound_off_plays_nothing():
    audio = FakeAudio()
    after(tap(1.5, (0.3, 0.3)), seconds=4.0, s=settings(sound=False), kiosk_kw={"audio": audio})
    assert audio.notes == []


def test_attract_mode_writes_the_sequence_and_invites_visitors():
    """Nobody comes: the kiosk's visit tracker never leaves attract mode (no visit starts)."""
    rec = AnalyticsRecorder()
    ex, _, kiosk = after([], seconds=11.0, s=settings(attract_seed_s=2.0), analytics=rec)
    assert kiosk.visit.attract and ex.attract_mode.active
    digits = ex.planting.digits
    assert [d.value for d in digits] == [int(c) for c in PI[: len(digits)]]
    # two on appearing (0.3 s, 1.1 s), then one every 2 s from the intro's last: 3.1 … 9.1 s
    assert [round(d.born_t, 1) for d in digits] == [0.3, 1.1, 3.1, 5.1, 7.1, 9.1]
    assert not visitor_digits(ex) and rec.count("seed_planted") == 0
    msg = captions(ex)[2]
    assert "다음 숫자" in msg and "Touch or wave to write the next digit of π" in msg
    xs = [d.cx for d in digits[2:]]
    assert xs == sorted(xs)  # reading order


def test_survives_ten_minutes_of_simulated_crowds():
    """10 simulated minutes (waves of up to 6 people, so visits end) at 160×90, stepped at 12
    frames per second to keep it fast (the models tick at their own rates in between)."""
    from runtime.config import default_config as base

    cfg = base()
    cfg = dataclasses.replace(cfg, display=dataclasses.replace(cfg.display, fps=12),
                              visits=dataclasses.replace(cfg.visits, idle_s=8.0, warning_s=2.0))
    crowd = SimulatedVisitors(7, max_visitors=6, arrival_s=1.0, busy_s=90.0, quiet_s=30.0)
    rec = AnalyticsRecorder()
    most = 0
    next_check_s = 0.0
    with numbers(cfg=cfg, size=(160, 90), sources=[crowd], analytics=rec,
                 cppn_width=16) as pilot:
        made = pilot.made
        while pilot.now < 600.0:
            pilot.frame()
            if pilot.now >= next_check_s:  # every 10 s of kiosk time
                next_check_s += 10.0
                digits = made[-1].planting.digits
                most = max(most, len(digits))
                assert len([d for d in digits if d.fade_t is None]) <= 12
                assert len(made[-1].kit.texts) <= 97
        assert not pilot.kiosk.failures, pilot.kiosk.last_error
    kiosk = pilot.kiosk
    ex = made[-1]
    assert len(made) == 1
    assert kiosk.visit.visits >= 4
    assert rec.count("seed_planted") == ex.planting.visitor_count > 20
    assert most >= 8
    assert ex.eraser.walkers.keys() <= set(ex.visitors)
