"""Names a curator may use for our models, listed without importing torch or loading weights.

``kiosk.py check`` validates config names against these lists; the exhibits look models up by them.

- NCA models: ``digits`` (targets ``"0"`` … ``"9"``) and ``landmarks`` (one pictogram per landmark
  kind, e.g. ``"mountain"``, ``"railway_station"``). Target order is the order of the model's codes:
  never reorder a list without retraining.
- CPPN styles: named, seeded weight sets (see :mod:`models.cppn`).

Failure modes: :func:`list_targets` raises ``KeyError`` naming the known models for an unknown one.
"""

from __future__ import annotations

from pathlib import Path

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"

#: NCA model name -> target keys, in code order (index i is seeded with code i).
NCA_MODELS: dict[str, tuple[str, ...]] = {
    "digits": tuple(str(d) for d in range(10)),
    "landmarks": (
        # the kinds in the landmark data (gwangju_landmarks.csv) ...
        "culture_center",
        "cemetery_memorial",
        "mountain",
        "national_park",
        "railway_station",
        "university",
        # ... and a few more a curator may assign to new landmarks
        "museum",
        "tower",
        "tree",
        "star",
    ),
}

#: NCA model name -> steps after a pattern's seed (or its last damage) at which the exhibits let it
#: rest: :class:`models.nca.NCACanvas` ``rest_after``. 160 steps is ~3.3 s at the exhibits' 48
#: steps/s: measured on the digits model at 6,000 iterations, a pattern's error falls until ~160-250
#: steps (2.0 -> 1.5 × its bar) and then drifts up; the landmarks model at 1,500 iterations is at
#: its best at 160-190 steps and swells past 250. ``eval_nca`` measures "stable" the same way.
NCA_REST_AFTER: dict[str, int] = {"digits": 160, "landmarks": 160}

#: CPPN style name -> one-line description (parameters live in models.cppn.STYLES).
CPPN_STYLES: dict[str, str] = {
    "aurora": "slow green ribbons, like northern lights",
    "ink": "dark blue ink washes with pale highlights",
    "ember": "warm red-orange embers on near black",
    "tide": "cool teal and white interference bands",
    "moire": "grey-gold marbling, finer grained",
}


def list_targets(model: str) -> tuple[str, ...]:
    """Target keys of NCA model ``model`` (``"digits"`` or ``"landmarks"``), in code order."""
    try:
        return NCA_MODELS[model]
    except KeyError:
        raise KeyError(f"unknown NCA model {model!r}; known: {sorted(NCA_MODELS)}") from None


def list_styles() -> tuple[str, ...]:
    """Names of the CPPN styles a curator can pick."""
    return tuple(CPPN_STYLES)


def weights_path(model: str) -> Path:
    """Path of the shipped weights of NCA model ``model`` (may not exist yet)."""
    list_targets(model)
    return WEIGHTS_DIR / f"nca_{model}.pt"


def weights_summary(model: str, path: Path | None = None) -> tuple[str, str]:
    """``(state, one line)`` about NCA model ``model``'s weights, from their provenance file.

    ``state`` is ``"ok"`` (weights + provenance whose eval passed), ``"missing"`` (no weights:
    the exhibit shows its plain look) or ``"unchecked"`` (weights without a passing eval in their
    provenance, or an unreadable provenance). Reads JSON only: no torch, nothing loaded.
    """
    import json

    path = path or weights_path(model)
    if not path.is_file():
        return "missing", f"{model} NCA: no weights at {path.name} (the plain look is shown)"
    prov_path = path.with_name(path.stem + ".provenance.json")
    try:
        prov = json.loads(prov_path.read_text(encoding="utf-8"))
        cfg = prov.get("config", {})
        evald = prov.get("eval") or {}
        passed = bool((evald.get("summary") or {}).get("pass"))
        hours = float(prov.get("total_duration_s", prov.get("duration_s", 0))) / 3600
        line = (f"{model} NCA: {path.name}, {int(prov.get('total_iterations', 0)):,} iterations "
                f"({hours:.1f} h on {prov.get('device', '?')}), seed {prov.get('seed', '?')}, "
                f"hidden {cfg.get('hidden', '?')}, commit {str(prov.get('git_commit'))[:8]}, "
                f"quality bar {'passed' if passed else 'NOT passed'}")
    except (OSError, ValueError, TypeError, AttributeError) as err:
        return "unchecked", f"{model} NCA: {path.name} without a readable provenance ({err})"
    return ("ok" if passed else "unchecked"), line
