"""``kiosk.py doctor``'s audio lines: is there PortAudio, an output device, the configured one?

Both functions never raise. They only enumerate devices (no stream is opened), so they are safe
to run beside a running kiosk.
"""

from __future__ import annotations

from runtime.audio.devices import INSTALL_HINT, describe, portaudio, resolve
from runtime.audio.settings import AudioConfig

Result = tuple[str, str, str]  # (status, component, detail)

NO_DEVICE_HINT = ("plug in the speakers/USB sound card and check `aplay -l` (Linux) lists it; "
                  "the kiosk runs silent and retries until one appears")


def list_devices() -> list[str]:
    """One line per PortAudio device (index, name, host API, channels, rate, defaults), or one
    line saying why there are none."""
    sd, why = portaudio()
    if sd is None:
        return [why]
    try:
        lines = describe(sd)
    except Exception as err:  # noqa: BLE001
        return [f"PortAudio failed to list devices: {err}"]
    return lines or ["PortAudio lists no devices (no sound card, or ALSA cannot see it)"]


def check_audio(config: AudioConfig | None = None) -> Result:
    """``(status, "audio", detail)``: ``ok``, ``missing`` or ``off``, with how to fix it."""
    config = config or AudioConfig()
    if not config.enabled:
        return ("off", "audio", "[audio] enabled = false: the kiosk is silent by design")
    sd, why = portaudio()
    if sd is None:
        return ("missing", "audio", f"{why} (the kiosk runs silent without it)")
    try:
        outs = [d for d in sd.query_devices() if d["max_output_channels"] > 0]
    except Exception as err:  # noqa: BLE001
        return ("missing", "audio", f"PortAudio failed to list devices: {err}; "
                f"reinstall with: {INSTALL_HINT}")
    if not outs:
        return ("missing", "audio", f"no output device; {NO_DEVICE_HINT}")
    try:
        _, name = resolve(sd, config.output, "output")
    except Exception as err:  # noqa: BLE001
        return ("missing", "audio", f"[audio] output = {config.output!r}: {err}; set it to "
                "\"default\", an index or part of a name from the device list")
    detail = f"output {name!r} ({config.sample_rate_hz} Hz, {config.block_frames} frames)"
    if config.mic_enabled:
        try:
            _, mic = resolve(sd, config.mic_input, "input")
            detail += f"; microphone {mic!r}"
        except Exception as err:  # noqa: BLE001
            return ("missing", "audio", f"{detail}; [audio] mic_input = "
                    f"{config.mic_input!r}: {err} (exhibits work by touch without it)")
    return ("ok", "audio", detail)
