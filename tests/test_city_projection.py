"""City exhibit: landmarks land in the right relative places; the constellation is sound."""

from __future__ import annotations

import math

import numpy as np
import pytest

from exhibits.city.landmarks import read_landmarks
from exhibits.city.projection import (
    EARTH_KM_PER_DEG,
    MapProjection,
    _segments_cross,
    constellation_edges,
)
from runtime.assets import ASSETS_DIR

SIZES = [(1920, 1080), (1280, 720), (320, 180), (1080, 1920), (1024, 768)]


def shipped() -> tuple[dict[str, int], list, np.ndarray]:
    landmarks = read_landmarks(ASSETS_DIR / "landmarks" / "gwangju.csv")
    by_name = {lm.name_en: i for i, lm in enumerate(landmarks)}
    return by_name, landmarks, np.array([[lm.lat, lm.lon] for lm in landmarks])


@pytest.mark.parametrize("size", SIZES)
def test_landmarks_are_in_the_right_relative_places(size):
    by_name, _, ll = shipped()
    proj = MapProjection(ll[:, 0], ll[:, 1], size)
    xy = proj.to_screen(ll[:, 0], ll[:, 1])
    acc = xy[by_name["Asia Culture Center (ACC)"]]
    station = xy[by_name["Gwangju Station"]]
    songjeong = xy[by_name["Gwangju Songjeong Station"]]
    summit = xy[by_name["Mudeungsan (summit)"]]
    cemetery = xy[by_name["May 18th National Cemetery"]]
    # ACC is south of Gwangju Station (screen y grows downwards), and a little east
    assert acc[1] > station[1] and acc[0] > station[0]
    # Songjeong Station is far west: the westernmost, well away from the city centre
    assert songjeong[0] == xy[:, 0].min()
    assert station[0] - songjeong[0] > 0.4 * (xy[:, 0].max() - xy[:, 0].min())
    # Mudeungsan is east: the summit and the park are the two easternmost points
    east = set(np.argsort(xy[:, 0])[-2:])
    assert east == {by_name["Mudeungsan (summit)"], by_name["Mudeungsan National Park"]}
    assert summit[0] > acc[0]
    # the cemetery is the northernmost landmark
    assert cemetery[1] == xy[:, 1].min()


@pytest.mark.parametrize("size", SIZES)
def test_the_map_fits_inside_the_screen_margins(size):
    _, _, ll = shipped()
    proj = MapProjection(ll[:, 0], ll[:, 1], size)
    xy = proj.to_screen(ll[:, 0], ll[:, 1])
    w, h = size
    assert (xy[:, 0] > 0.07 * w).all() and (xy[:, 0] < 0.93 * w).all()
    assert (xy[:, 1] > 0.15 * h).all() and (xy[:, 1] < 0.83 * h).all()  # title and strip free
    # the fit fills the limiting dimension (not a postage stamp)
    span = np.ptp(xy, axis=0)
    assert span[0] > 0.6 * w or span[1] > 0.5 * h


def test_the_projection_preserves_aspect():
    """A kilometre is the same number of pixels east-west as north-south."""
    lat0 = 35.17
    proj = MapProjection([lat0 - 0.05, lat0 + 0.05], [126.85, 126.95], (1920, 1080))
    km = 5.0
    dlat = km / EARTH_KM_PER_DEG
    dlon = km / (EARTH_KM_PER_DEG * math.cos(math.radians(lat0)))
    o = proj.to_screen(lat0, 126.9)
    north = proj.to_screen(lat0 + dlat, 126.9)
    east = proj.to_screen(lat0, 126.9 + dlon)
    d_north, d_east = np.hypot(*(north - o)), np.hypot(*(east - o))
    assert d_north == pytest.approx(d_east, rel=1e-9)
    assert d_north == pytest.approx(km * proj.px_per_km, rel=1e-9)
    assert north[1] < o[1] and east[0] > o[0]  # north up, east right


def test_to_latlon_inverts_to_screen():
    _, _, ll = shipped()
    proj = MapProjection(ll[:, 0], ll[:, 1], (1280, 720))
    xy = proj.to_screen(ll[:, 0], ll[:, 1])
    np.testing.assert_allclose(proj.to_latlon(xy[:, 0], xy[:, 1]), ll, atol=1e-9)


def test_the_constellation_joins_everything_without_crossings():
    _, landmarks, ll = shipped()
    proj = MapProjection(ll[:, 0], ll[:, 1], (1920, 1080))
    pts = proj.to_screen(ll[:, 0], ll[:, 1])
    edges = constellation_edges(pts, extra=2)
    n = len(landmarks)
    assert len(edges) == n - 1 + 2 and len(set(edges)) == len(edges)
    reached, frontier = {0}, [0]
    while frontier:
        i = frontier.pop()
        for a, b in edges:
            for u, v in ((a, b), (b, a)):
                if u == i and v not in reached:
                    reached.add(v)
                    frontier.append(v)
    assert reached == set(range(n))
    for k, (a, b) in enumerate(edges):
        for c, d in edges[k + 1:]:
            assert not _segments_cross(pts[a], pts[b], pts[c], pts[d])
    assert constellation_edges(pts, extra=2) == edges  # deterministic
