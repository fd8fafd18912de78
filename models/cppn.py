"""CPPN colour field: (x, y, r, latent z) -> RGB, steered by visitors, smooth over time.

A compositional pattern-producing network with seeded random weights (no training): each named
style (:data:`STYLES`; names in :data:`models.catalog.CPPN_STYLES`) fixes a weight seed, the
activations, the input scale and a colour palette, so a curator picks a look by name.

Per pixel: ``h1 = act(A @ [x, y, r] + B @ z(x, y))`` then hidden layers, then 2 sigmoid outputs
``(t, v)``: colour = palette(t) * (0.25 + 0.75 v). The latent ``z(x, y)`` is a global latent that
drifts slowly over time plus, around each visitor, a Gaussian bump carrying that visitor's own
latent offset (from its id and its motion). ``A @ [x, y, r]`` is fixed for a resolution, so it is
computed once; the latent part is a per-frame bias plus a separable Gaussian sum, so a frame costs
two small matmuls and the activations (about 5 ms for 320×180 on one core). Activations are ``sin``
and ``soft`` (softsign x / (1 + |x|), a tanh look-alike; torch's CPU tanh costs 3 ns per value).

Smoothness: visitor positions, strengths (fade in on arrival, out on departure) and the global
latent all follow their targets with exponential smoothing (time constant ``smooth_s``), so nothing
pops.

Evaluate at low resolution (e.g. 320×180) and upscale once when drawing.

Usage::

    field = CPPNField("aurora", 320, 180, seed=0)
    field.steer([Steer(visitor_id=3, x=0.4, y=0.6, vx=0.1, vy=0.0)])   # normalised 0..1, per s
    field.advance(1 / 30)                                                # seconds
    rgb = field.frame()                                                  # (180, 320, 3) uint8

Failure modes: an unknown style raises ``KeyError`` naming the known styles.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from models.catalog import CPPN_STYLES


@dataclass(frozen=True)
class CPPNStyle:
    """Parameters of one named look."""

    seed: int
    palette: tuple[tuple[int, int, int], ...]  # colour stops, 0..255
    hidden: int = 12
    layers: int = 3  # hidden layers, including the first
    activations: tuple[str, ...] = ("sin", "soft", "sin")
    scale: float = 2.0  # input coordinate scale: larger = finer pattern
    weight_std: float = 1.2
    latent: int = 8
    drift_hz: float = 0.03  # how fast the global latent wanders
    drift_amp: float = 0.8
    visitor_radius: float = 0.18  # Gaussian radius of a visitor's influence, in screen heights
    visitor_gain: float = 2.5


STYLES: dict[str, CPPNStyle] = {
    "aurora": CPPNStyle(11, ((4, 8, 24), (20, 90, 90), (60, 220, 140), (150, 90, 230))),
    "ink": CPPNStyle(47, ((3, 6, 20), (15, 30, 80), (40, 80, 160), (200, 215, 240)),
                     activations=("soft", "sin", "soft"), scale=1.5),
    "ember": CPPNStyle(37, ((6, 2, 2), (90, 15, 10), (220, 80, 20), (255, 200, 90)),
                       activations=("sin", "sin", "soft"), scale=1.8),
    "tide": CPPNStyle(41, ((2, 14, 24), (10, 80, 110), (60, 180, 190), (230, 250, 250)),
                      activations=("sin", "soft", "soft"), scale=2.6),
    "moire": CPPNStyle(53, ((10, 10, 12), (70, 66, 60), (180, 150, 90), (240, 230, 200)),
                       activations=("sin", "sin", "sin"), scale=3.5, weight_std=1.0),
}
assert tuple(STYLES) == tuple(CPPN_STYLES), "models.catalog.CPPN_STYLES must list STYLES"



def _softsign_(x: torch.Tensor, tmp: torch.Tensor) -> torch.Tensor:
    return x.div_(torch.abs(x, out=tmp).add_(1.0))


def _sin_(x: torch.Tensor, tmp: torch.Tensor) -> torch.Tensor:
    return x.sin_()


_ACTS = {"sin": _sin_, "soft": _softsign_}


@dataclass(frozen=True)
class Steer:
    """One visitor's influence: position normalised 0..1 (origin top-left), velocity per second."""

    visitor_id: int
    x: float
    y: float
    vx: float = 0.0
    vy: float = 0.0


class _Slot:
    """Smoothed state of one visitor's bump."""

    def __init__(self, s: Steer, latent: int, gen: torch.Generator):
        self.id = s.visitor_id
        self.x, self.y = s.x, s.y
        self.tx, self.ty = s.x, s.y
        self.vx = self.vy = 0.0
        self.strength, self.target_strength = 0.0, 1.0
        g = torch.Generator().manual_seed(1_000_003 * (s.visitor_id + 1) + gen.initial_seed())
        self.dz = torch.randn(latent, generator=g) / math.sqrt(latent)


# (style, width, height, generator seed, device) -> the field's first frame (see frame())
_FIRST_FRAMES: dict[tuple, np.ndarray] = {}


class CPPNField:
    """A CPPN field of one style at ``width``×``height`` pixels. Not thread-safe."""

    max_visitors = 8

    def __init__(self, style: str, width: int = 320, height: int = 180, seed: int = 0,
                 device: str | torch.device = "cpu", smooth_s: float = 0.6):
        try:
            self.style = STYLES[style]
        except KeyError:
            raise KeyError(f"unknown CPPN style {style!r}; known: {list(STYLES)}") from None
        st = self.style
        self.name, self.width, self.height = style, int(width), int(height)
        self.device = torch.device(device)
        self.smooth_s = smooth_s
        self.t = 0.0
        gen = torch.Generator().manual_seed(st.seed * 7919 + seed)
        self._key = (style, self.width, self.height, st.seed * 7919 + seed, str(self.device))
        self._gen = gen
        h, z = st.hidden, st.latent

        def rnd(*shape: int, fan_in: int) -> torch.Tensor:
            w = torch.randn(*shape, generator=gen) * st.weight_std / math.sqrt(fan_in)
            return w.to(self.device)

        self._a = rnd(3, h, fan_in=3) * 2.0  # coordinates -> hidden (pixels, h) = coords @ a
        self._b = rnd(z, h, fan_in=z)  # latent -> hidden
        self._bias = rnd(h, fan_in=1) * 0.5
        self._ws = [rnd(h, h, fan_in=h) for _ in range(st.layers - 1)]
        self._wo = rnd(h, 2, fan_in=h) * 2.0
        self._phase = (torch.rand(z, generator=gen) * 2 * math.pi).to(self.device)
        self._freq = (0.5 + torch.rand(z, generator=gen)).to(self.device) * st.drift_hz
        self._z_offset = torch.zeros(z, device=self.device)  # smoothed global steer
        self._z_target = torch.zeros(z, device=self.device)
        self._slots: dict[int, _Slot] = {}
        self._palette = torch.tensor(st.palette, dtype=torch.float32, device=self.device)
        self._stops = torch.arange(len(st.palette), dtype=torch.float32, device=self.device)

        ys = torch.linspace(-1.0, 1.0, self.height, device=self.device)
        aspect = self.width / self.height
        xs = torch.linspace(-aspect, aspect, self.width, device=self.device)
        gy, gx = torch.meshgrid(ys, xs, indexing="ij")
        coords = torch.stack([gx, gy, torch.sqrt(gx**2 + gy**2)], -1).reshape(-1, 3) * st.scale
        self._base = coords @ self._a  # (N, h): fixed for this resolution
        self._xs, self._ys = xs, ys  # screen coordinates for the visitor Gaussians
        n = self.width * self.height
        self._h = torch.empty(n, h, device=self.device)  # pre-allocated work buffers
        self._h2 = torch.empty(n, h, device=self.device)
        self._o = torch.empty(n, 2, device=self.device)
        self._rgbt = torch.empty(n, 3, device=self.device)
        self._rgb = np.zeros((self.height, self.width, 3), np.uint8)

    # -- steering ---------------------------------------------------------------------------
    def steer(self, visitors: list[Steer]) -> None:
        """Set the visitors that steer the field now; absent ones fade out, new ones fade in."""
        seen = set()
        for s in visitors[: self.max_visitors]:
            seen.add(s.visitor_id)
            slot = self._slots.get(s.visitor_id)
            if slot is None:
                slot = self._slots[s.visitor_id] = _Slot(s, self.style.latent, self._gen)
            slot.tx, slot.ty, slot.vx, slot.vy = s.x, s.y, s.vx, s.vy
            slot.target_strength = 1.0
        for vid, slot in self._slots.items():
            if vid not in seen:
                slot.target_strength = 0.0
        # collective motion nudges the global latent (steered "weather")
        if visitors:
            mvx = sum(s.vx for s in visitors) / len(visitors)
            mvy = sum(s.vy for s in visitors) / len(visitors)
            mx = sum(s.x for s in visitors) / len(visitors) - 0.5
            my = sum(s.y for s in visitors) / len(visitors) - 0.5
            k = self.style.latent
            drive = torch.tensor([mx, my, mvx, mvy] * (k // 4 + 1), device=self.device)[:k]
            self._z_target = drive * torch.linspace(1.5, 0.5, k, device=self.device)
        else:
            self._z_target = torch.zeros_like(self._z_target)

    set_latent_targets = steer  # alias: the name the exhibits' design notes use

    def advance(self, dt: float) -> None:
        """Move time on by ``dt`` seconds; every steered quantity eases toward its target."""
        dt = max(0.0, min(float(dt), 0.25))  # a long stall must not jump the pattern
        self.t += dt
        a = 1.0 - math.exp(-dt / self.smooth_s)
        self._z_offset += (self._z_target - self._z_offset) * a
        for vid in list(self._slots):
            s = self._slots[vid]
            s.x += (s.tx - s.x) * a
            s.y += (s.ty - s.y) * a
            s.strength += (s.target_strength - s.strength) * a
            if s.target_strength == 0.0 and s.strength < 1e-3:
                del self._slots[vid]

    # -- evaluation -------------------------------------------------------------------------
    def latent(self) -> torch.Tensor:
        """Global latent z(t), (latent,)."""
        st = self.style
        return st.drift_amp * torch.sin(2 * math.pi * self._freq * self.t + self._phase) \
            + self._z_offset

    @torch.inference_mode()
    def frame_tensor(self) -> torch.Tensor:
        """(H, W, 3) float RGB in [0, 1] for the current state."""
        st = self.style
        h = self._h
        torch.add(self._base, self.latent() @ self._b + self._bias, out=h)
        if self._slots:
            slots = list(self._slots.values())
            aspect = self.width / self.height
            px = torch.tensor([(s.x * 2 - 1) * aspect for s in slots], device=self.device)
            py = torch.tensor([s.y * 2 - 1 for s in slots], device=self.device)
            amp = torch.tensor([s.strength for s in slots], device=self.device)
            inv = 1.0 / (2 * (st.visitor_radius * 2) ** 2)
            gx = torch.exp(-((self._xs[:, None] - px[None]) ** 2) * inv)  # (W, V)
            gy = torch.exp(-((self._ys[:, None] - py[None]) ** 2) * inv) * amp  # (H, V)
            dz = torch.stack([s.dz for s in slots]).to(self.device) * st.visitor_gain  # (V, z)
            d = dz @ self._b  # (V, hidden)
            g = (gy[:, None, :] * gx[None, :, :]).reshape(-1, len(slots))  # (N, V)
            h.addmm_(g, d)
        other = self._h2
        _ACTS[st.activations[0]](h, other)
        for i, w in enumerate(self._ws):
            torch.mm(h, w, out=other)
            h, other = other, h
            _ACTS[st.activations[(i + 1) % len(st.activations)]](h, other)
        o = torch.mm(h, self._wo, out=self._o).sigmoid_()
        # piecewise-linear palette as "hat" weights (N, stops) @ palette (stops, 3): no gathers
        hats = (o[:, :1] * (len(self._palette) - 1) - self._stops).abs_().neg_().add_(1.0).relu_()
        rgb = torch.mm(hats, self._palette, out=self._rgbt)
        rgb.mul_(o[:, 1:2].mul(0.75 / 255.0).add_(0.25 / 255.0))
        return rgb.view(self.height, self.width, 3)

    def frame(self, out: np.ndarray | None = None) -> np.ndarray:
        """(H, W, 3) uint8 RGB (into ``out`` or a buffer reused per call).

        The first frame (time 0, never steered) depends only on the style, size, seed and
        device, so it is computed once per process and copied afterwards: an exhibit that starts
        a field at every showing publishes it without stalling that frame.
        """
        out = self._rgb if out is None else out
        first = self.t == 0.0 and not self._slots
        if first and self._key in _FIRST_FRAMES:
            out[...] = _FIRST_FRAMES[self._key]
            return out
        with torch.inference_mode():
            img = self.frame_tensor().mul_(255.0).add_(0.5).clamp_(0, 255).to(torch.uint8)
            out[...] = img.cpu().numpy()
        if first:
            if len(_FIRST_FRAMES) >= 8:
                _FIRST_FRAMES.clear()
            _FIRST_FRAMES[self._key] = out.copy()
        return out
