"""Logging set-up: one line per state change to stderr and a rotating file.

The file lives in ``[runtime] log_dir`` (relative paths resolve against the config file's
folder): ``kiosk.log``, rotated at 5 MB, 5 old files kept, so months of unattended running never
fill a disk. Failure mode: an unwritable log folder logs to stderr only, with a warning.
"""

from __future__ import annotations

import logging
import logging.handlers
import sys
from pathlib import Path

FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


def setup_logging(level: str = "info", log_dir: Path | None = None) -> Path | None:
    """Configure the ``kiosk`` logger; returns the log file path, or None when file-less."""
    root = logging.getLogger("kiosk")
    root.setLevel(level.upper())
    for h in list(root.handlers):
        root.removeHandler(h)
        h.close()
    console = logging.StreamHandler(sys.stderr)
    console.setFormatter(logging.Formatter(FORMAT))
    root.addHandler(console)
    root.propagate = False
    if log_dir is None:
        return None
    try:
        log_dir.mkdir(parents=True, exist_ok=True)
        path = log_dir / "kiosk.log"
        fh = logging.handlers.RotatingFileHandler(path, maxBytes=5_000_000, backupCount=5,
                                                  encoding="utf-8")
    except OSError as err:
        root.warning("cannot write logs to %s (%s); logging to stderr only", log_dir, err)
        return None
    fh.setFormatter(logging.Formatter(FORMAT))
    root.addHandler(fh)
    return path
