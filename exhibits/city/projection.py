"""Latitude/longitude → screen pixels for the city map, and the constellation's edges.

Projection: equirectangular with the longitude scaled by ``cos(mean latitude)`` (at Gwangju's
35.2° N a degree of longitude is 0.82 of a degree of latitude), north up, fitted into the screen
minus margins (title at the top, the caption/progress strip at the bottom) with the landmarks'
bounding box padded so no landmark sits on the edge. Aspect is preserved: one kilometre is the
same number of pixels east-west and north-south. Over a city (~20 km) the distortion of this
projection is far below a pixel.

Constellation: the landmarks joined by a minimum spanning tree (every landmark reachable, no
loops) plus a few of the shortest remaining edges that cross no other edge, so the figure reads as
a constellation rather than a path.

Pure numpy; no pygame. Failure modes: fewer than one landmark raises ``ValueError``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

EARTH_KM_PER_DEG = 111.195  # mean Earth radius 6371.0 km × π / 180


@dataclass(frozen=True)
class Margins:
    """Screen fractions kept free around the map: left, top, right, bottom."""

    left: float = 0.07
    top: float = 0.15
    right: float = 0.07
    bottom: float = 0.17


class MapProjection:
    """Maps (lat, lon) degrees to screen pixels ``(x, y)``, origin top-left.

    Args:
        lats / lons: the landmarks' coordinates (degrees); the fit covers them all.
        size: screen ``(width, height)`` in pixels.
        margins: screen fractions left free (title, caption strip).
        pad: fraction of the landmarks' extent added on every side (room for icons).
    """

    def __init__(self, lats, lons, size: tuple[int, int], margins: Margins = Margins(),
                 pad: float = 0.08):
        lats, lons = np.asarray(lats, float), np.asarray(lons, float)
        if lats.size == 0 or lats.shape != lons.shape:
            raise ValueError("need at least one landmark with both lat and lon")
        self.size = (int(size[0]), int(size[1]))
        w, h = self.size
        self.lat0 = float(lats.mean())
        self.kx = math.cos(math.radians(self.lat0))  # shrink longitude to true east-west length
        # local "flat" coordinates in degrees of latitude: east = +u, north = +v
        u, v = lons * self.kx, lats
        span_u = max(float(np.ptp(u)), 1e-4)
        span_v = max(float(np.ptp(v)), 1e-4)
        # pad the box; a near-1-D layout still gets some height so the fit stays sane
        pu = pad * max(span_u, 0.25 * span_v)
        pv = pad * max(span_v, 0.25 * span_u)
        self.u0, self.u1 = float(u.min()) - pu, float(u.max()) + pu
        self.v0, self.v1 = float(v.min()) - pv, float(v.max()) + pv
        box_x0, box_y0 = margins.left * w, margins.top * h
        box_w = w * (1.0 - margins.left - margins.right)
        box_h = h * (1.0 - margins.top - margins.bottom)
        self.scale = min(box_w / (self.u1 - self.u0), box_h / (self.v1 - self.v0))  # px / degree
        used_w = (self.u1 - self.u0) * self.scale
        used_h = (self.v1 - self.v0) * self.scale
        self.x0 = box_x0 + (box_w - used_w) / 2
        self.y0 = box_y0 + (box_h - used_h) / 2
        self.map_rect = (self.x0, self.y0, used_w, used_h)

    def to_screen(self, lat, lon) -> np.ndarray:
        """Screen pixels ``(..., 2)`` float for degrees ``lat``, ``lon`` (scalars or arrays)."""
        lat, lon = np.asarray(lat, float), np.asarray(lon, float)
        x = self.x0 + (lon * self.kx - self.u0) * self.scale
        y = self.y0 + (self.v1 - lat) * self.scale  # north up
        return np.stack([x, y], axis=-1)

    def to_latlon(self, x, y) -> np.ndarray:
        """Inverse of :meth:`to_screen`: ``(..., 2)`` array of (lat, lon)."""
        x, y = np.asarray(x, float), np.asarray(y, float)
        lon = ((x - self.x0) / self.scale + self.u0) / self.kx
        lat = self.v1 - (y - self.y0) / self.scale
        return np.stack([lat, lon], axis=-1)

    @property
    def px_per_km(self) -> float:
        return self.scale / EARTH_KM_PER_DEG


def _segments_cross(p1, p2, p3, p4) -> bool:
    """Proper crossing of segments p1p2 and p3p4 (sharing an end point is not a crossing)."""
    def orient(a, b, c) -> float:
        return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])

    if {tuple(p1), tuple(p2)} & {tuple(p3), tuple(p4)}:
        return False
    d1, d2 = orient(p3, p4, p1), orient(p3, p4, p2)
    d3, d4 = orient(p1, p2, p3), orient(p1, p2, p4)
    return d1 * d2 < 0 and d3 * d4 < 0


def constellation_edges(points, extra: int = 2) -> list[tuple[int, int]]:
    """Edges ``(i, j)``, ``i < j``, joining ``points`` (N, 2): an MST plus ``extra`` short edges.

    Deterministic for given points (ties broken by index).
    """
    pts = np.asarray(points, float)
    n = len(pts)
    if n < 2:
        return []
    d = np.hypot(*(pts[:, None, :] - pts[None, :, :]).transpose(2, 0, 1))
    # Prim's algorithm
    edges: list[tuple[int, int]] = []
    best = d[0].copy()
    parent = np.zeros(n, int)
    best[0] = np.inf
    done = np.zeros(n, bool)
    done[0] = True
    for _ in range(n - 1):
        cand = np.where(done, np.inf, best)
        j = int(np.argmin(cand))
        edges.append(tuple(sorted((int(parent[j]), j))))
        done[j] = True
        closer = (d[j] < best) & ~done
        best[closer] = d[j][closer]
        parent[closer] = j
    rest = sorted((d[i, j], i, j) for i in range(n) for j in range(i + 1, n)
                   if (i, j) not in edges)
    for _, i, j in rest:
        if extra <= 0:
            break
        if any(_segments_cross(pts[i], pts[j], pts[a], pts[b]) for a, b in edges):
            continue
        edges.append((i, j))
        extra -= 1
    return edges
