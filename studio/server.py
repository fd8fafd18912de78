"""``python kiosk.py studio``: serve the Studio with uvicorn until Ctrl+C or SIGTERM.

Reads ``[studio]`` (host, port, preview length and limits) from the config; ``--host`` and
``--port`` override it. Failure modes: an invalid config still serves the Studio with the
defaults of ``[studio]`` (so the curator can fix it there); a port in use is one line on stderr
and exit 1; a host that is not an IP address is refused (exit 2).
"""

from __future__ import annotations

import ipaddress
import sys
import tomllib
from pathlib import Path

from runtime.settings import build
from studio.settings import StudioConfig


def studio_settings(config_path: Path) -> StudioConfig:
    """``[studio]`` of the config, or its defaults when the file or the table is invalid."""
    try:
        table = tomllib.loads(Path(config_path).read_text(encoding="utf-8")).get("studio", {})
        cfg = build(StudioConfig, table, "studio", []) if isinstance(table, dict) else None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError, ValueError):
        cfg = None
    return cfg or StudioConfig()


def serve(config_path: Path, host: str | None = None, port: int | None = None,
          state_dir: Path | None = None) -> int:
    import uvicorn

    from studio.app import create_app

    s = studio_settings(config_path)
    host, port = host or s.host, port or s.port
    try:
        ipaddress.ip_address(host)
    except ValueError:
        print(f"--host must be an IP address (127.0.0.1, or this PC's LAN address), got {host!r}",
              file=sys.stderr)
        return 2
    app = create_app(Path(config_path), state_dir=state_dir, host=host, port=port,
                     preview_s=s.preview_s, preview_timeout_s=s.preview_timeout_s,
                     session_idle_s=s.session_idle_s)
    shown = f"[{host}]" if ":" in host else host
    print(f"Curator Studio on http://{shown}:{port}/ (config: {config_path}); Ctrl+C stops it")
    if not ipaddress.ip_address(host).is_loopback:
        print("note: listening beyond this PC; plain HTTP, so only on a trusted network")
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False,
                            server_header=False, proxy_headers=False)
    server = uvicorn.Server(config)
    try:
        server.run()
    except OSError as err:
        print(f"cannot serve on {host}:{port}: {err}", file=sys.stderr)
        return 1
    finally:
        app.state.studio.previews.stop()
    return 0 if server.started else 1
