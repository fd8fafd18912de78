"""Where frames go: a real display (window or fullscreen), SDL's dummy display, or memory."""

from __future__ import annotations

import pygame

TITLE = "Gwangju AI Art Kiosk"


class Presenter:
    """``surface`` is drawn on; :meth:`present` shows it; :meth:`resize` follows a new config."""

    surface: pygame.Surface

    def present(self) -> None:
        raise NotImplementedError

    def resize(self, size: tuple[int, int], *, fullscreen: bool, vsync: bool,
               hide_cursor: bool) -> None:
        raise NotImplementedError

    def close(self) -> None:
        pass


class DisplayPresenter(Presenter):
    """A real window/fullscreen display, or SDL's dummy driver when headless.

    Fullscreen uses ``SCALED`` so the configured render size fills any screen resolution and
    pointer coordinates stay in render pixels.
    """

    def __init__(self, size: tuple[int, int], *, fullscreen: bool, vsync: bool,
                 hide_cursor: bool):
        pygame.display.init()
        self.resize(size, fullscreen=fullscreen, vsync=vsync, hide_cursor=hide_cursor)
        pygame.display.set_caption(TITLE)

    def resize(self, size: tuple[int, int], *, fullscreen: bool, vsync: bool,
               hide_cursor: bool) -> None:
        flags = pygame.FULLSCREEN | pygame.SCALED if fullscreen else 0
        try:
            self.surface = pygame.display.set_mode(size, flags, vsync=1 if vsync and flags else 0)
        except pygame.error:
            # Some drivers refuse vsync; a tear is better than no picture.
            self.surface = pygame.display.set_mode(size, flags)
        pygame.mouse.set_visible(not hide_cursor)

    def present(self) -> None:
        pygame.display.flip()

    def close(self) -> None:
        pygame.display.quit()


class OffscreenPresenter(Presenter):
    """An in-memory surface (renders, golden images, tests): presenting is a no-op."""

    def __init__(self, size: tuple[int, int]):
        self.surface = pygame.Surface(size)

    def resize(self, size: tuple[int, int], **_: bool) -> None:
        self.surface = pygame.Surface(size)

    def present(self) -> None:
        pass
