"""PortAudio access: import sounddevice safely, list devices, resolve ``[audio] output``.

``sounddevice`` loads the PortAudio library when imported; without it (``libportaudio2`` not
installed) the import raises ``OSError``. Everything here turns that into a value the caller
can report (:func:`portaudio`), so the kiosk runs silent instead of failing.

Device specs (``[audio] output`` / ``mic_input``): ``"default"`` (PortAudio's default device of
that direction), an index as listed by ``kiosk.py doctor`` (``"3"``), or a case-insensitive
part of the device name (``"USB"``); an exact name wins over a partial one. Device indices are
not stable across replugging, names mostly are: prefer names in a gallery's config.

PortAudio enumerates devices once, when it initialises; :func:`refresh` re-initialises it so a
device plugged in later is seen. It must only be called while this process has no open stream.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

INSTALL_HINT = "sudo apt-get install libportaudio2"


def portaudio() -> tuple[ModuleType | None, str]:
    """``(sounddevice module, "")`` or ``(None, why it cannot be used)``; never raises."""
    try:
        import sounddevice as sd
    except OSError as err:
        return None, f"PortAudio library not found ({err}); install: {INSTALL_HINT}"
    except Exception as err:  # noqa: BLE001 - a broken install must not stop the kiosk
        return None, f"cannot import sounddevice ({err}); run `make venv`"
    return sd, ""


def refresh(sd: ModuleType) -> None:
    """Re-initialise PortAudio so devices plugged in since start-up are listed."""
    # sounddevice documents _terminate/_initialize for exactly this (query_devices' notes).
    sd._terminate()
    sd._initialize()


def _devices(sd: ModuleType) -> list[dict[str, Any]]:
    return [dict(d) for d in sd.query_devices()]


def default_index(sd: ModuleType, kind: str) -> int:
    """PortAudio's default device index for ``kind`` (``"output"`` or ``"input"``); −1 if none."""
    pair = sd.default.device
    idx = pair[1] if kind == "output" else pair[0]
    try:
        idx = int(idx)
    except (TypeError, ValueError):
        return -1
    if idx < 0:
        # sounddevice keeps -1 when no default was chosen; ask PortAudio itself.
        try:
            idx = int(sd.query_devices(kind=kind)["index"])
        except Exception:  # noqa: BLE001
            return -1
    return idx


def resolve(sd: ModuleType, spec: str, kind: str) -> tuple[int, str]:
    """Resolve a device spec to ``(index, name)``; raise ``LookupError`` saying what exists.

    ``kind`` is ``"output"`` or ``"input"``: only devices with channels of that kind count.
    """
    key = "max_output_channels" if kind == "output" else "max_input_channels"
    devices = _devices(sd)
    usable = [d for d in devices if d.get(key, 0) > 0]
    names = ", ".join(f"{d['index']}: {d['name']}" for d in usable) or "none"
    spec = (spec or "default").strip()
    if spec.lower() == "default":
        idx = default_index(sd, kind)
        if idx < 0 or idx >= len(devices) or devices[idx].get(key, 0) <= 0:
            raise LookupError(f"no default {kind} device (PortAudio lists: {names})")
        return idx, str(devices[idx]["name"])
    if spec.isdigit():
        idx = int(spec)
        if idx < len(devices) and devices[idx].get(key, 0) > 0:
            return idx, str(devices[idx]["name"])
        raise LookupError(f"no {kind} device with index {idx} (PortAudio lists: {names})")
    exact = [d for d in usable if d["name"].lower() == spec.lower()]
    partial = [d for d in usable if spec.lower() in d["name"].lower()]
    found = exact or partial
    if not found:
        raise LookupError(f"no {kind} device named like {spec!r} (PortAudio lists: {names})")
    return int(found[0]["index"]), str(found[0]["name"])


def describe(sd: ModuleType) -> list[str]:
    """One line per device: ``"3: USB Audio (ALSA) in 0, out 2, 48000 Hz [default out]"``."""
    lines = []
    apis = [a["name"] for a in sd.query_hostapis()]
    d_in, d_out = default_index(sd, "input"), default_index(sd, "output")
    for d in _devices(sd):
        tags = [t for t, on in (("default in", d["index"] == d_in),
                                ("default out", d["index"] == d_out)) if on]
        api = apis[d["hostapi"]] if 0 <= d["hostapi"] < len(apis) else "?"
        lines.append(f"{d['index']}: {d['name']} ({api}) in {d['max_input_channels']}, "
                     f"out {d['max_output_channels']}, {d['default_samplerate']:.0f} Hz"
                     + (f" [{', '.join(tags)}]" if tags else ""))
    return lines
