"""City's discoveries: which landmarks this visit found, the celebration, bursts of light.

A landmark is discovered when a visitor's light reaches it (the light's intensity at the
landmark, :func:`~exhibits.city.light.light_intensity`, passes ``discover_threshold``) or a
finger touches it. Then its pictogram starts growing, its card opens, a burst of light rings
out, a chime sounds (panned to where it is) and ``landmark_discovered`` is counted with the
landmark's id. Once every landmark is found the celebration begins: every connection lit, sparks
running along them (leaving light behind), a burst at each landmark in turn and a chime, for
``celebration_s``; then the map stays fully lit until the visit resets.

Nothing is discovered while the map is quiet (the kiosk's attract mode, between visits); the
exhibit calls :meth:`Discovery.reset` when the kiosk's visit ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from exhibits.city.light import LightField, light_intensity
from exhibits.city.settings import CitySettings

GROW_S = 1.6  # a discovered landmark's badge eases in over this long
BURST_S = 1.4  # a burst's ring widens and fades over this long
EDGE_LIGHT_S = 0.8  # a connection between two found landmarks lights up over this long
SPARK_SPEED = 0.45  # celebration sparks: connection lengths per second


def ease(u: float) -> float:
    """Ease-out (cubic) of ``u`` clamped to 0..1."""
    u = min(1.0, max(0.0, u))
    return 1.0 - (1.0 - u) ** 3


@dataclass
class Found:
    """A landmark discovered in this visit."""

    t: float
    colour: tuple[int, int, int]
    owner: str


class Discovery:
    """This visit's discoveries; see the module docstring.

    Args:
        norm: ``(N, 2)`` landmark positions, normalised 0..1.
        edges: the constellation's connections ``(a, b)``.
        light: the light field sparks and visitors light.
        pictos: the pictograms (:class:`~exhibits.city.pictograms.Pictograms`).
        deck: the open cards (:class:`~exhibits.city.cards.OpenCards`).
        kit: sound and analytics (:class:`exhibits.kit.Kit`).
    """

    def __init__(self, settings: CitySettings, palette: dict, landmarks: list, norm: Any,
                 edges: list[tuple[int, int]], light: LightField, pictos: Any, deck: Any,
                 kit: Any) -> None:
        self.settings, self.palette, self.landmarks = settings, palette, landmarks
        self.norm, self.edges, self.light = norm, edges, light
        self.pictos, self.deck, self.kit = pictos, deck, kit
        self.found: dict[int, Found] = {}
        self.celebrate_t: float | None = None
        self.bursts: list[tuple[float, float, float, tuple[int, int, int]]] = []  # x, y, t0, rgb

    def discover(self, i: int, owner: str, colour: tuple[int, int, int], t: float) -> None:
        """Landmark ``i`` shines for this visit (light or touch of ``owner``)."""
        if i in self.found:
            return
        self.found[i] = Found(t, colour, owner)
        self.pictos.grow(i)
        self.deck.open(i, owner, colour, t)
        x, y = self.norm[i]
        self.bursts.append((float(x), float(y), t, colour))
        self.kit.sound("chime", "discover", pan=float(x) * 2 - 1)
        self.kit.record("landmark_discovered", self.landmarks[i].id)
        if len(self.found) == len(self.landmarks) and self.celebrate_t is None:
            self.celebrate_t = t
            if self.settings.celebration:
                self.kit.sound("chime", "celebrate")
                for j, f in self.found.items():
                    self.bursts.append((float(self.norm[j][0]), float(self.norm[j][1]),
                                        t + 0.15 * j, f.colour))

    def reach(self, owner: str, x: float, y: float, colour: tuple[int, int, int],
              aspect: float, t: float) -> None:
        """A visitor's light at ``(x, y)`` (normalised) discovers every landmark it reaches."""
        s = self.settings
        for i, (lx, ly) in enumerate(self.norm):
            if i in self.found:
                continue
            level = light_intensity((x - lx) * aspect, y - ly, s.light_radius)
            if level >= s.discover_threshold:
                self.discover(i, owner, colour, t)

    def update(self, t: float) -> None:
        """Celebration sparks leave light along every connection; old bursts go."""
        s = self.settings
        if self.celebrate_t is not None and s.celebration:
            age = t - self.celebrate_t
            if age < s.celebration_s:
                for k, (a, b) in enumerate(self.edges):
                    u = (age * SPARK_SPEED + k * 0.13) % 1.0
                    (ax, ay), (bx, by) = self.norm[a], self.norm[b]
                    colour = self.found[a].colour if a in self.found else self.palette["lit"]
                    self.light.deposit(float(ax + (bx - ax) * u), float(ay + (by - ay) * u),
                                       tuple(v / 255.0 for v in colour), strength=0.9,
                                       radius_scale=0.35)
        self.bursts = [b for b in self.bursts if t - b[2] < BURST_S]

    def celebrating(self, t: float) -> bool:
        """True during the celebration's ``celebration_s`` (not the calm, lit state after)."""
        s = self.settings
        return (self.celebrate_t is not None and s.celebration
                and t - self.celebrate_t < s.celebration_s)

    def edge_lit(self, a: int, b: int, t: float) -> float:
        """0..1 how lit the connection a–b is at ``t``."""
        if self.celebrate_t is not None:
            return 1.0
        if a in self.found and b in self.found:
            return ease((t - max(self.found[a].t, self.found[b].t)) / EDGE_LIGHT_S)
        return 0.0

    def reset(self) -> None:
        """A new visit: nothing found, no celebration, pictograms back to seeds."""
        self.found.clear()
        self.celebrate_t = None
        self.pictos.clear()
