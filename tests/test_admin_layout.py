"""The admin panel fits every screen: each button lies wholly on screen, none overlap."""

import pytest

from runtime.admin import AdminPanel
from runtime.admin_settings import AdminConfig


@pytest.mark.parametrize("size", [(320, 180), (800, 480), (1280, 720), (1920, 1080),
                                  (1080, 1920), (3840, 2160)])
@pytest.mark.parametrize("confirming", [False, True])
def test_every_panel_button_is_on_screen(size, confirming):
    panel = AdminPanel(AdminConfig(), size, ["numbers", "city"], can_calibrate=True)
    panel.mode = "panel"
    panel.confirm_exit_until = 5.0 if confirming else 0.0
    buttons = panel._layout()
    labels = [b.label for b in buttons]
    assert ("yes, exit to desktop" in labels) == confirming
    w, h = size
    rects = [b.rect for b in buttons]
    for label, (x, y, bw, bh) in zip(labels, rects, strict=True):
        assert 0 <= x and x + bw <= w and 0 <= y and y + bh <= h, (label, (x, y, bw, bh), size)
        assert bh >= 10, (label, bh)
    for (_, y0, _, h0), (_, y1, _, _) in zip(rects, rects[1:], strict=False):
        assert y0 + h0 <= y1  # one column, top to bottom, no overlap
