"""Logging set-up: one line per state change to stderr and a rotating, structured file.

The file lives in ``[runtime] log_dir`` (relative paths resolve against the config file's
folder): ``kiosk.log``, one JSON object per line (``ts``, ``level``, ``kiosk`` (the ``[kiosk]``
id, so lines gathered from a fleet stay attributable), ``logger``, ``msg``, and ``exc`` with the
traceback when there is one) so monitoring tools can parse it, rotated at 5 MB
with 5 old files kept, so months of unattended running never fill a disk. stderr gets the same
lines in plain text for people. Failure mode: an unwritable log folder logs to stderr only.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import sys
from pathlib import Path

FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


class JsonLines(logging.Formatter):
    """One JSON object per record: ts (ISO local time), level, kiosk (when set), logger, msg,
    exc."""

    def __init__(self, kiosk: str = "") -> None:
        super().__init__()
        self.kiosk = kiosk

    def format(self, record: logging.LogRecord) -> str:
        out = {"ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}",
               "level": record.levelname.lower()}
        if self.kiosk:
            out["kiosk"] = self.kiosk
        out.update(logger=record.name, msg=record.getMessage())
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


def setup_logging(level: str = "info", log_dir: Path | None = None,
                  kiosk: str = "") -> Path | None:
    """Configure the ``kiosk`` logger; returns the log file path, or None when file-less.

    ``kiosk``: this kiosk's id, written into every JSON line."""
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
    fh.setFormatter(JsonLines(kiosk))
    root.addHandler(fh)
    return path
