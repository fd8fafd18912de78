"""Test doubles that remember what the kiosk told them (the analytics API's shape)."""

from __future__ import annotations


class AnalyticsRecorder:
    """Analytics that keeps every record as ``(kind, exhibit, label)`` in ``rows``."""

    def __init__(self):
        self.rows: list[tuple[str, str, str]] = []

    def record(self, kind, exhibit="", value=1.0, label=""):
        self.rows.append((kind, exhibit, label))

    def count(self, kind, exhibit="numbers"):
        """How many ``kind`` records ``exhibit`` made."""
        return sum(1 for k, e, _ in self.rows if k == kind and e == exhibit)

    def today(self):
        return {"visits": 0, "median_visit_s": 0.0}
