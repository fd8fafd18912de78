"""Growing Neural Cellular Automata (Mordvintsev et al., Distill 2020), conditional on a seed code.

Two forms of one model:

- :class:`NCA` (``nn.Module``): the paper's formulation, batched and dense, used for training and as
  the plain reference. State ``x`` is ``(B, 16, H, W)`` float32: channels 0..3 are premultiplied
  RGBA in [0, 1] (after clamping), 4..15 are hidden. One step: perception = identity + Sobel x/y per
  channel (depthwise 3×3, zero padding) -> 1×1 conv 48->192, ReLU -> 1×1 conv 192->12 (zero-init,
  no bias: RGBA + the 8 free hidden channels) -> stochastic update (each cell fires with
  probability ``fire_rate``) -> genome inheritance (below) -> alive masking (a cell lives if it or a
  neighbour had alpha > 0.1 before and after the update). Parameters: 11,712 (hidden 192: ten
  targets per model need more room than the paper's one; 7,808 at the earlier hidden 128).
- :class:`NCACanvas`: inference on one big grid (e.g. 192×108 cells for 1080p), many patterns.
  It computes the update only for cells that are alive before the step and fire in it (every other
  cell is unchanged or zeroed by alive masking anyway), so its result equals the dense step for the
  same random draws, at a cost proportional to the living area instead of the grid. With
  ``rest_after`` a pattern that has settled rests (is frozen and costs nothing) until damage to its
  living cells wakes it to heal: see :class:`NCACanvas`.

Conditional growth: target ``k`` grows from a single seed cell. Its alpha and free hidden channels
are 1 (as in the paper: it marks the centre) and its last ``genome`` (default 4) hidden channels
hold ``codes[k]``, the binary code of ``k + 1`` (0/1 values, stored with the weights). The learned
update never writes the genome channels: a cell without a code takes the 3×3 maximum of its living
neighbours' codes (:meth:`NCA.inherit_genome`), so a cell that comes alive inherits the code of the
pattern it joins and every living cell knows which target it belongs to. Why: with the code only in
the seed cell (our first attempt) the network had to carry it outwards through learned dynamics,
and ten digits trained for two hours came out as one blurred average (MSE 0.02–0.06); an inherited
genome makes the conditioning exact, also after damage, because the surviving cells still carry it.
Cells keep their code once they have one, so two patterns that grow into each other stay
themselves; only cells born where they meet may get both codes (bitwise OR).

Randomness: every random draw takes an explicit ``torch.Generator`` on the state's device.
Failure modes: loading weights with a different architecture raises from ``load_state_dict``;
unknown target keys raise ``KeyError`` naming the known keys.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

CHANNELS = 16  # RGBA + 12 hidden
ALIVE_THRESHOLD = 0.1


@dataclass(frozen=True)
class NCAConfig:
    """Architecture of one NCA model (saved next to its weights)."""

    targets: tuple[str, ...]  # target keys, in code order
    channels: int = CHANNELS
    hidden: int = 192
    fire_rate: float = 0.5
    alive_threshold: float = ALIVE_THRESHOLD
    target_size: int = 32  # cells per side of a target
    grid: int = 40  # cells per side of the training grid (target + margin)
    genome: int = 4  # last hidden channels holding the inherited target code

    def __post_init__(self):
        if not 1 <= self.genome <= self.channels - 4:
            raise ValueError(f"genome must be 1..{self.channels - 4} channels, got {self.genome}")
        if len(self.targets) >= 2**self.genome:
            raise ValueError(f"{len(self.targets)} targets need more than {self.genome} genome "
                             "channels (codes are k + 1 in binary)")

    @property
    def free(self) -> int:
        """Channels the update network writes: RGBA + the free hidden channels."""
        return self.channels - self.genome


def pool3x3(p: torch.Tensor, op=torch.maximum) -> torch.Tensor:
    """``op`` over each cell's 3×3 neighbourhood, from shifted slices of ``p``, a tensor padded by
    one cell on its last two dims: ``(..., H + 2, W + 2)`` -> ``(..., H, W)``.

    ``torch.maximum`` on values >= 0 zero-padded is ``max_pool2d(·, 3, 1, 1)``;
    ``torch.logical_or`` on a bool tensor is a 3×3 dilation. Why slices: on the CPU they cost a
    fifth of ``max_pool2d`` (~12% of a training step, and most of a canvas step's genome).
    """
    r = op(op(p[..., :-2], p[..., 1:-1]), p[..., 2:])
    return op(op(r[..., :-2, :], r[..., 1:-1, :]), r[..., 2:, :])


def perception_filters(channels: int = CHANNELS) -> torch.Tensor:
    """Depthwise perception kernels, ``(3 * channels, 1, 3, 3)``: identity, Sobel x, Sobel y.

    Output channel ``3 * c + f`` is filter ``f`` applied to state channel ``c``.
    """
    ident = torch.tensor([[0.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 0.0]])
    sobel_x = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]]) / 8.0
    filt = torch.stack([ident, sobel_x, sobel_x.T])  # (3, 3, 3)
    return filt.repeat(channels, 1, 1)[:, None]  # (3C, 1, 3, 3)


class NCA(nn.Module):
    """Dense, batched NCA: the paper's formulation. See the module docstring."""

    def __init__(self, config: NCAConfig, generator: torch.Generator | None = None):
        """Build the model; initial weights are drawn from ``generator`` (a CPU generator).

        Without one, a generator seeded 0 is used (weights are then replaced by a load anyway).
        """
        super().__init__()
        self.config = config
        c, h = config.channels, config.hidden
        self.register_buffer("filters", perception_filters(c), persistent=False)
        self.w1 = nn.Conv2d(3 * c, h, 1)
        self.w2 = nn.Conv2d(h, config.free, 1, bias=False)
        # torch's default Conv2d init, but from our generator (same draws, same order)
        g = generator if generator is not None else torch.Generator().manual_seed(0)
        with torch.no_grad():
            nn.init.kaiming_uniform_(self.w1.weight, a=math.sqrt(5), generator=g)
            bound = 1 / math.sqrt(3 * c)
            nn.init.uniform_(self.w1.bias, -bound, bound, generator=g)
            nn.init.kaiming_uniform_(self.w2.weight, a=math.sqrt(5), generator=g)
        nn.init.zeros_(self.w2.weight)  # start as "do nothing", as in the paper
        n, g_n = len(config.targets), config.genome
        codes = torch.tensor([[float((k + 1) >> i & 1) for i in range(g_n)] for k in range(n)])
        self.register_buffer("codes", codes.reshape(n, g_n))  # fixed: seeds carry no gradients

    # -- state helpers ------------------------------------------------------------------------
    def target_index(self, key: str) -> int:
        try:
            return self.config.targets.index(key)
        except ValueError:
            raise KeyError(f"unknown target {key!r}; known: {list(self.config.targets)}") from None

    def seed_vector(self, k: int) -> torch.Tensor:
        """State of the seed cell of target ``k``: (C,) = [0, 0, 0, 1, 1 … 1, codes[k]].

        Alpha and the free hidden channels are 1 as in the paper: the genome spreads to every
        cell, so without this mark nothing would tell the growing pattern where its centre is.
        """
        v = torch.ones(self.config.channels, device=self.codes.device)
        v[:3] = 0.0
        v[self.config.free:] = self.codes[k]
        return v

    def seed(self, ks: torch.Tensor, size: int | None = None) -> torch.Tensor:
        """Seed states ``(B, C, size, size)`` for target indices ``ks`` (B,), seed in the centre."""
        size = size or self.config.grid
        x = torch.zeros(len(ks), self.config.channels, size, size, device=self.codes.device)
        x[:, 3:self.config.free, size // 2, size // 2] = 1.0
        x[:, self.config.free:, size // 2, size // 2] = self.codes[ks]
        return x

    def target_of(self, cell: torch.Tensor) -> int | None:
        """Target index whose code a cell's state ``(C,)`` carries, or None (no/merged code)."""
        bits = (cell[self.config.free:] > 0.5).to(torch.int64).cpu()
        value = int(sum(int(b) << i for i, b in enumerate(bits.tolist()))) - 1
        return value if 0 <= value < len(self.config.targets) else None

    # -- dynamics -----------------------------------------------------------------------------
    def alive(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 1, H, W) bool: alpha > threshold in the 3×3 neighbourhood.

        The same test as ``max_pool2d(alpha, 3) > threshold``, written as a boolean dilation of
        shifted slices: max-pooling was ~6% of a training step on the CPU.
        """
        return pool3x3(F.pad(x[:, 3:4] > self.config.alive_threshold, (1, 1, 1, 1)),
                       torch.logical_or)

    def perceive(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) -> (B, 3C, H, W): the paper's depthwise convolution (dense reference)."""
        return F.conv2d(x, self.filters, padding=1, groups=self.config.channels)

    def step(self, x: torch.Tensor, generator: torch.Generator,
             fire_rate: float | None = None, living: bool = False) -> torch.Tensor:
        """One NCA step of the (B, C, H, W) state; returns the new state (not in place).

        ``living=True`` runs the update network only on the cells that are alive before the step
        and fire in it (:meth:`living_free`): every other cell's update is multiplied by zero
        anyway, so the state is the same (to float rounding) and so are the gradients, at a cost
        proportional to the living, firing area (about a third of a 40×40 training grid).
        """
        fire_rate = self.config.fire_rate if fire_rate is None else fire_rate
        pre = self.alive(x)
        b, _, h, w = x.shape
        fire = torch.rand(b, 1, h, w, generator=generator, device=x.device) <= fire_rate
        free = self.config.free
        with torch.no_grad():  # codes are constants: the genome carries no gradient
            genome = self.inherit_genome(x)
        if living:
            new_free = self.living_free(x, pre & fire)
        else:
            new_free = x[:, :free] + self.w2(F.relu(self.w1(self.perceive(x)))) * fire
        x = torch.cat([new_free, genome], dim=1)
        return x * (pre & self.alive(x))

    def living_free(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """(B, free, H, W): the free channels after the update network ran on the cells where
        ``mask`` (B, 1, H, W) bool is set (the others unchanged). Differentiable.

        Why this shape: on the CPU a training step is bound by passes over the whole grid, not
        by the network's arithmetic. Perception is computed for the chosen cells only, from their
        3×3 neighbourhoods gathered out of one channels-last copy of the zero-padded state, and
        the updates go back with one out-of-place ``index_put``; the dense work left per step is
        that copy, the scatter's copy, the concatenation and the masks.
        """
        b, c, h, w = x.shape
        free = self.config.free
        wp = w + 2
        cells = F.pad(x, (1, 1, 1, 1)).permute(0, 2, 3, 1).reshape(-1, c)  # (B(H+2)(W+2), C)
        bi, yi, xi = mask[:, 0].nonzero(as_tuple=True)
        centre = bi * ((h + 2) * wp) + (yi + 1) * wp + (xi + 1)  # (N,) rows of ``cells``
        offsets = torch.tensor([dy * wp + dx for dy in (-1, 0, 1) for dx in (-1, 0, 1)],
                               device=x.device)
        nb = cells.index_select(0, (centre[:, None] + offsets).reshape(-1)).view(-1, 9, c)
        filt = self.filters[:3, 0].reshape(3, 9)  # identity, Sobel x, Sobel y (same for every c)
        # one (N·C, 9) × (9, 3) product: column 3c + f of p is filter f on channel c, as conv
        p = nb.transpose(1, 2).reshape(-1, 9).mm(filt.t()).view(-1, 3 * c)
        hid = F.relu(torch.addmm(self.w1.bias, p, self.w1.weight[:, :, 0, 0].t()))
        d = hid.mm(self.w2.weight[:, :, 0, 0].t())  # (N, free)
        out = x[:, :free].permute(0, 2, 3, 1).index_put((bi, yi, xi), d, accumulate=True)
        return out.permute(0, 3, 1, 2)

    def inherit_genome(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) state -> (B, G, H, W) genome after this step.

        A cell that has a code keeps it; a cell without one takes the 3×3 maximum of its living
        (alpha > threshold) neighbours' codes. Keeping, not re-pooling, is what stops two patterns
        that grow into each other from mixing codes: only the few cells born where they meet get
        both (bitwise OR); established cells never change.
        """
        g = x[:, self.config.free:]
        living = (x[:, 3:4] > self.config.alive_threshold).to(g.dtype)
        inherited = pool3x3(F.pad(g * living, (1, 1, 1, 1)))  # codes are >= 0: zero padding
        return torch.where(g.amax(1, keepdim=True) > 0, g, inherited)

    def forward(self, x: torch.Tensor, steps: int, generator: torch.Generator,
                fire_rate: float | None = None, living: bool = False) -> torch.Tensor:
        for _ in range(steps):
            x = self.step(x, generator, fire_rate, living)
        return x

    # -- growth of the model itself ---------------------------------------------------------
    def widened(self, channels: int, generator: torch.Generator | None = None,
                scale: float = 1e-3) -> NCA:
        """A copy with ``channels`` state channels (more free hidden ones) that computes the same.

        Why: to test whether state capacity limits the model (ten targets share 8 free hidden
        channels where the paper grows one target with 12) without retraining from scratch.
        Function-preserving (Net2Net-style): the new hidden channels sit between the old free
        ones and the genome; the first layer's weights reading them are zero, so RGBA and every
        old channel follow exactly the old trajectory for the same random draws. The second
        layer's rows writing them are small random (uniform ±``scale``, from ``generator``), so the
        new channels carry values and the first layer gets gradients for them from the first
        training step (with both sides zero they would stay dead).
        Raises ``ValueError`` unless ``channels`` > the current count.
        """
        old = self.config
        if channels <= old.channels:
            raise ValueError(f"widen to more than {old.channels} channels, got {channels}")
        cfg = replace(old, channels=channels)
        wide = NCA(cfg).to(self.codes.device)
        added = channels - old.channels
        # old channel c -> new index: free channels keep theirs, the genome moves up by `added`
        idx = torch.tensor([c if c < old.free else c + added for c in range(old.channels)])
        cols = (3 * idx[:, None] + torch.arange(3)).reshape(-1)  # perception column 3c + filter
        g = generator if generator is not None else torch.Generator().manual_seed(0)
        with torch.no_grad():
            wide.w1.weight.zero_()
            wide.w1.weight[:, cols.to(wide.w1.weight.device)] = self.w1.weight
            wide.w1.bias.copy_(self.w1.bias)
            wide.w2.weight.zero_()
            wide.w2.weight[:old.free] = self.w2.weight
            new = (torch.rand(added, old.hidden, generator=g) * 2 - 1) * scale
            wide.w2.weight[old.free:, :, 0, 0] = new.to(wide.w2.weight.device)
        return wide.train(self.training)

    # -- persistence --------------------------------------------------------------------------
    def save(self, path: str | Path, extra: dict | None = None) -> None:
        """Write config + weights (float32 state dict) to ``path``."""
        sd = {k: v.detach().cpu().clone() for k, v in self.state_dict().items()}
        torch.save({"config": asdict(self.config), "state_dict": sd, **(extra or {})}, path)

    @classmethod
    def load(cls, path: str | Path, device: str | torch.device = "cpu") -> NCA:
        """Load a model written by :meth:`save` (weights only; no code is unpickled)."""
        blob = torch.load(path, map_location="cpu", weights_only=True)
        cfg = dict(blob["config"])
        cfg["targets"] = tuple(cfg["targets"])
        model = cls(NCAConfig(**cfg))
        model.load_state_dict(blob["state_dict"])
        return model.to(device).eval()


class NCACanvas:
    """Many NCA patterns on one big grid, stepped sparsely (only where cells are alive).

    Typical use (a 1080p screen at 10 px per cell)::

        canvas = NCACanvas(NCA.load(weights_path("digits")), width=192, height=108, seed=0)
        canvas.plant("7", cx=40, cy=50)     # a seed cell carrying digit 7's code
        canvas.step(4)                      # ~48 steps per second grow a digit in ~2 s
        canvas.damage(mask)                 # (108, 192) bool/float: cells >= 0.5 are erased
        rgba = canvas.rgba_uint8()          # (108, 192, 4) uint8, premultiplied, reused buffer

    State lives in a zero-bordered buffer ``(C, H + 2, W + 2)`` so neighbours never need padding.
    Not thread-safe: one thread steps it (see :mod:`models.engine`).

    **Resting patterns** (``rest_after``, steps; default None: every living cell updates forever,
    the paper's behaviour). Each :meth:`plant` gives its pattern a box of ``2 * reach + 1`` cells
    (default reach: half the target plus a 4-cell margin, 20 cells: the quality bar's 40-cell
    window). Only cells inside the box of an *awake* pattern update; a pattern rests
    ``rest_after`` steps after its plant or its last damage: from then on its cells stay exactly as
    they are and cost nothing, until :meth:`damage` erases one of its living cells, which wakes it
    for another ``rest_after`` steps to heal. Why: a grown pattern looks its best about 100-250
    steps after its seed; a minute later an NCA's stochastic updates may have smudged or swollen
    it, and the visitor came for the digit, not for its drift. Boxes also keep a pattern from
    growing into its neighbours. A pattern that rests with no living cell is forgotten (the list
    of boxes stays as long as the patterns on screen).
    """

    def __init__(self, model: NCA, width: int, height: int, seed: int = 0,
                 device: str | torch.device | None = None, sparse: bool = True,
                 rest_after: int | None = None, reach: int | None = None):
        self.device = torch.device(device) if device is not None else model.codes.device
        self.model = model.to(self.device).eval()
        self.width, self.height = int(width), int(height)
        self.sparse = sparse
        cfg = model.config
        self.channels, self.fire_rate, self.free = cfg.channels, cfg.fire_rate, cfg.free
        self.threshold = cfg.alive_threshold
        self.generator = torch.Generator(device=self.device).manual_seed(seed)
        h, w, c = self.height, self.width, self.channels
        self._xp = torch.zeros(c, h + 2, w + 2, device=self.device)
        self.x = self._xp[:, 1:-1, 1:-1]  # (C, H, W) view of the interior
        self._flat = self._xp.view(c, -1)
        wp = w + 2
        ys, xs = torch.meshgrid(torch.arange(h, device=self.device),
                                torch.arange(w, device=self.device), indexing="ij")
        self._pidx = ((ys + 1) * wp + xs + 1).reshape(-1)  # interior cell -> padded flat index
        self._offsets = torch.tensor([dy * wp + dx for dy in (-1, 0, 1) for dx in (-1, 0, 1)],
                                     device=self.device)
        f = perception_filters(1)[:, 0].reshape(3, 9).to(self.device)  # (3, 9)
        self._filt = f
        with torch.no_grad():
            self._w1 = model.w1.weight.detach()[:, :, 0, 0].contiguous()  # (hidden, 3C)
            self._b1 = model.w1.bias.detach()[:, None].contiguous()  # (hidden, 1)
            self._w2 = model.w2.weight.detach()[:, :, 0, 0].contiguous()  # (free, hidden)
            self._seeds = torch.stack([model.seed_vector(k) for k in range(len(cfg.targets))])
        self._rgba = np.zeros((h, w, 4), np.uint8)
        self.steps = 0
        self.version = 0  # changes whenever the state may have (a step that ran, plant, damage)
        if rest_after is not None and rest_after < 1:
            raise ValueError(f"rest_after must be >= 1 step or None, got {rest_after}")
        self.rest_after = rest_after
        self.reach = int(reach if reach is not None else cfg.target_size // 2 + 4)
        # Patterns' boxes (x0, y0, x1, y1), half-open, clipped to the grid, and each one's steps
        # left awake (0 = resting); the (H, W) awake mask is rebuilt when that set changes.
        self._boxes: list[tuple[int, int, int, int]] = []
        self._awake_left: list[int] = []
        self._awake = torch.zeros(h, w, dtype=torch.bool, device=self.device)
        self._win = (0, h, 0, w)  # (y0, y1, x0, x1): the cells a step works on

    @property
    def targets(self) -> tuple[str, ...]:
        return self.model.config.targets

    @property
    def rests(self) -> bool:
        """True when settled patterns rest (``rest_after`` is set)."""
        return self.rest_after is not None

    def awake_patterns(self) -> int:
        """Patterns still growing or healing (always 0 when nothing rests: see :attr:`rests`)."""
        return sum(1 for n in self._awake_left if n > 0)

    def resting_patterns(self) -> int:
        return sum(1 for n in self._awake_left if n == 0)

    def _register(self, cx: int, cy: int) -> None:
        """Give the pattern seeded at (cx, cy) its box, awake (replacing one at the same seed)."""
        r = self.reach
        box = (max(cx - r, 0), max(cy - r, 0), min(cx + r + 1, self.width),
               min(cy + r + 1, self.height))
        if box in self._boxes:
            self._awake_left[self._boxes.index(box)] = self.rest_after
        else:
            self._boxes.append(box)
            self._awake_left.append(self.rest_after)
        self._rebuild_awake()

    def _rebuild_awake(self) -> None:
        """Awake mask and the window a step works on: the awake boxes' bounding box plus one
        cell of context (their neighbours), clipped to the grid."""
        self._awake.zero_()
        y0, y1, x0, x1 = self.height, 0, self.width, 0
        for (bx0, by0, bx1, by1), left in zip(self._boxes, self._awake_left, strict=True):
            if left > 0:
                self._awake[by0:by1, bx0:bx1] = True
                y0, y1, x0, x1 = min(y0, by0), max(y1, by1), min(x0, bx0), max(x1, bx1)
        if y1 > y0:
            self._win = (max(y0 - 1, 0), min(y1 + 1, self.height),
                         max(x0 - 1, 0), min(x1 + 1, self.width))

    def _age(self) -> None:
        """One step older: patterns whose time is up rest; empty resting ones are forgotten."""
        changed = False
        for i, left in enumerate(self._awake_left):
            if left > 0:
                self._awake_left[i] = left - 1
                changed |= left == 1
        if changed:
            alive = self.x[3] > self.threshold
            keep = [i for i, (box, left) in enumerate(zip(self._boxes, self._awake_left,
                                                           strict=True))
                    if left > 0 or bool(alive[box[1]:box[3], box[0]:box[2]].any())]
            self._boxes = [self._boxes[i] for i in keep]
            self._awake_left = [self._awake_left[i] for i in keep]
            self._rebuild_awake()

    def plant(self, key: str, cx: int, cy: int) -> None:
        """Seed target ``key`` at cell (cx, cy) (column, row); the pattern grows around it."""
        k = self.model.target_index(key)
        if not (0 <= cx < self.width and 0 <= cy < self.height):
            raise ValueError(f"cell ({cx}, {cy}) outside the {self.width}×{self.height} canvas")
        self.x[:, cy, cx] = self._seeds[k]
        self.version += 1
        if self.rests:
            self._register(cx, cy)

    def damage(self, mask) -> None:
        """Erase cells where ``mask`` >= 0.5; ``mask`` is (H, W) bool/float numpy or torch.

        With resting patterns, every pattern that loses a living cell wakes to heal.
        """
        m = torch.as_tensor(np.asarray(mask) if not torch.is_tensor(mask) else mask,
                            device=self.device)
        if m.shape != (self.height, self.width):
            raise ValueError(f"damage mask shape {tuple(m.shape)} != {(self.height, self.width)}")
        erase = m.float() >= 0.5
        if self.rests and self._boxes:
            lost = erase & (self.x[3] > self.threshold)
            woke = False
            for i, (x0, y0, x1, y1) in enumerate(self._boxes):
                if self._awake_left[i] < self.rest_after and bool(lost[y0:y1, x0:x1].any()):
                    self._awake_left[i] = self.rest_after
                    woke = True
            if woke:
                self._rebuild_awake()
        self.x.mul_((~erase).to(self.x.dtype))
        self.version += 1

    def clear(self) -> None:
        """Erase every cell (and forget every pattern's box)."""
        self._xp.zero_()
        self.version += 1
        self._boxes, self._awake_left = [], []
        self._awake.zero_()

    def alive_count(self) -> int:
        """Number of cells with alpha > threshold."""
        return int((self.x[3] > self.threshold).sum())

    def _alive(self, win: tuple[int, int, int, int] | None = None) -> torch.Tensor:
        """(h, w) bool over window ``win`` (y0, y1, x0, x1; default the grid): some alpha >
        threshold in the 3×3 neighbourhood (= the max-pool test)."""
        y0, y1, x0, x1 = win or (0, self.height, 0, self.width)
        # the padded buffer's border is always empty
        return pool3x3(self._xp[3, y0:y1 + 2, x0:x1 + 2] > self.threshold, torch.logical_or)

    @torch.inference_mode()
    def step(self, n: int = 1) -> None:
        """Advance ``n`` steps. With resting patterns, a step where none is awake costs nothing
        (and draws no random numbers)."""
        for _ in range(n):
            if not self.rests:
                self._step_sparse() if self.sparse else self._step_dense()
                self.version += 1
            elif self.awake_patterns():
                self._step_sparse() if self.sparse else self._step_dense()
                self._age()
                self.version += 1
            self.steps += 1

    def _step_dense(self) -> None:
        if not self.rests:
            self.x.copy_(self.model.step(self.x[None], self.generator, self.fire_rate)[0])
            return
        # The dense reference of the sparse rule below: the step on the window (its one-cell
        # rim of context is zero-padded here, so rim cells come out wrong, and are put back with
        # every other cell outside an awake box).
        y0, y1, x0, x1 = self._win
        x = self.x[:, y0:y1, x0:x1]
        y = self.model.step(x[None], self.generator, self.fire_rate)[0]
        x.copy_(torch.where(self._awake[y0:y1, x0:x1], y, x))

    def _step_sparse(self) -> None:
        """One step on the window (the whole grid unless patterns rest: then the awake boxes and
        their one-cell rim, so a step costs in proportion to what is awake)."""
        c = self.channels
        y0, y1, x0, x1 = self._win
        win = self._win
        pre = self._alive(win)
        fire = torch.rand(1, 1, y1 - y0, x1 - x0, generator=self.generator, device=self.device)
        # Only cells that are alive *and* fire this step change: compute the update for those.
        upd = (fire[0, 0] <= self.fire_rate).logical_and_(pre)
        awake = self._awake[y0:y1, x0:x1] if self.rests else None
        if awake is not None:
            upd.logical_and_(awake)
        pidx = self._pidx.view(self.height, self.width)[y0:y1, x0:x1]
        idx = pidx.masked_select(upd)  # (N,) padded flat indices
        genome = self._inherit_genome(win)  # from the state before this step's update, as dense
        if idx.numel():
            nb = self._flat.index_select(1, (self._offsets[:, None] + idx[None]).reshape(-1))
            p = torch.matmul(self._filt, nb.view(c, 9, -1)).view(3 * c, -1)  # (3C, N)
            hid = torch.addmm(self._b1, self._w1, p).relu_()  # (hidden, N)
            self._flat[: self.free].index_add_(1, idx, torch.mm(self._w2, hid))  # dx: (free, N)
        keep = pre & self._alive(win)
        x = self.x[:, y0:y1, x0:x1]
        if awake is not None:  # cells outside every awake box keep their state exactly
            genome = torch.where(awake, genome, x[self.free:])
            keep |= ~awake
        x[self.free:] = genome
        x.mul_(keep.to(x.dtype))

    def _inherit_genome(self, win: tuple[int, int, int, int]) -> torch.Tensor:
        """(G, h, w): :meth:`NCA.inherit_genome` over window ``win`` (y0, y1, x0, x1) of the
        padded grid (the border is always zero).

        Pools the already padded buffer rather than calling the model's version, which pads a
        copy first. The sparse == dense test keeps the two the same rule.
        """
        y0, y1, x0, x1 = win
        xp = self._xp[:, y0:y1 + 2, x0:x1 + 2]
        g = xp[self.free:]  # (G, h+2, w+2)
        inherited = pool3x3(g * (xp[3] > self.threshold).to(g.dtype))
        own = self.x[self.free:, y0:y1, x0:x1]
        return torch.where(own.amax(0, keepdim=True) > 0, own, inherited)

    def rgba_uint8(self, out: np.ndarray | None = None) -> np.ndarray:
        """Premultiplied RGBA as (H, W, 4) uint8 (into ``out`` or a buffer reused per call)."""
        out = self._rgba if out is None else out
        with torch.inference_mode():
            img = self.x[:4].clamp(0.0, 1.0).mul(255.0).add_(0.5).to(torch.uint8)
            out[...] = img.permute(1, 2, 0).cpu().numpy()
        return out
