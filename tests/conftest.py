"""Shared test set-up: headless SDL, CPU torch, the shared data folder, golden-image options.

Every test runs on SDL's dummy video/audio drivers unless it starts its own Xvfb. Tests that need
``../shared/data`` (the real clips) skip with a reason when it is absent.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import exhibits  # noqa: F401 - registers the shipped exhibits with the runtime, as kiosk.py does

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")  # CPU torch in tests: deterministic
# One intra-op thread, as the kiosk runs models (configure_cpu): on a loaded 2-core machine
# torch's default thread pool turns microsecond matmuls into milliseconds of spinning.
os.environ.setdefault("OMP_NUM_THREADS", "1")

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-goldens", action="store_true",
                     help="rewrite golden images from the current output (look at them first)")


@pytest.fixture
def registered():
    """``registered(spec)`` registers a test's :class:`runtime.exhibit.ExhibitSpec` with the
    runtime for this test only (it is removed afterwards) and returns it."""
    from runtime.registry import REGISTRY, register

    names: list[str] = []

    def add(spec):
        register(spec)
        names.append(spec.name)
        return spec

    yield add
    for name in names:
        REGISTRY.pop(name, None)


@pytest.fixture
def update_goldens(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-goldens"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real test clips not found at {SHARED_DATA} (shared/ beside the repo)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def pygame_headless():
    """pygame with the dummy display initialised (and a 1×1 mode so surfaces can convert)."""
    from runtime.headless import _init_pygame

    _init_pygame()
    import pygame

    return pygame


@pytest.fixture(scope="session")
def assets():
    from runtime.assets import Assets

    return Assets()


@pytest.fixture
def hangul_font(assets):
    if not assets.has_hangul:
        pytest.skip("no Korean font installed (apt-get install fonts-nanum); Hangul would be boxes")
    return assets
