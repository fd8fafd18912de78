"""``python -m studio.nice_run N ARGS...``: run ``python ARGS...`` at nice level ``N``.

The Studio starts its helpers (the curator report) through this so they never compete with the
running kiosk for the CPU; an argument list, never a shell.
"""

from __future__ import annotations

import os
import sys

if __name__ == "__main__":
    try:
        os.nice(int(sys.argv[1]))
    except (OSError, ValueError, IndexError):
        pass
    os.execv(sys.executable, [sys.executable, *sys.argv[2:]])
