"""The Studio web app: login, the pages, and the guards every request passes.

Built with Starlette (server-rendered Jinja2 pages, a few lines of our own JavaScript, no build
step). :func:`create_app` wires a :class:`~studio.store.Store` (draft, validation, publish,
history), :class:`~studio.auth.Auth` (PIN login, lockout, sessions) and
:class:`~studio.preview.Previews` (preview renders) to the routes in :mod:`studio.pages`.

Guards, for every request: the ``Host`` header must name this server (a web page elsewhere cannot
reach it by DNS rebinding); bodies over :data:`MAX_BODY` bytes are refused; responses carry a
strict Content-Security-Policy (scripts, styles and media from the Studio only; no framing).
For every POST: a logged-in session (else the login page), the form's CSRF token must match the
session's, and an ``Origin`` header, when sent, must be this server. Session cookies are HttpOnly
and SameSite=Strict.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.staticfiles import StaticFiles

from runtime.assets import ASSETS_DIR
from studio.auth import COOKIE, Auth, Session, same
from studio.i18n import LANGS, WORDS, t
from studio.preview import Previews
from studio.store import Store

HERE = Path(__file__).resolve().parent
MAX_BODY = 512 * 1024  # the largest form is the landmark table: a few KiB per row
CSP = ("default-src 'self'; img-src 'self' data:; media-src 'self'; style-src 'self'; "
       "script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")


class Guards:
    """Pure ASGI: body size limit and security headers."""

    def __init__(self, app, limit: int = MAX_BODY):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.limit):
            return await PlainTextResponse("request too large", 413)(scope, receive, send)
        seen = 0

        async def limited():
            nonlocal seen
            msg = await receive()
            seen += len(msg.get("body", b""))
            if seen > self.limit:
                raise ValueError("request body over the limit")
            return msg

        async def secured(msg):
            if msg["type"] == "http.response.start":
                msg.setdefault("headers", [])
                msg["headers"] += [(b"content-security-policy", CSP.encode()),
                                   (b"x-frame-options", b"DENY"),
                                   (b"x-content-type-options", b"nosniff"),
                                   (b"referrer-policy", b"same-origin"),
                                   (b"cache-control", b"no-store")]
            await send(msg)

        await self.app(scope, limited, secured)


class Studio:
    """Everything a request handler needs (attached to ``app.state.studio``)."""

    def __init__(self, config_path: Path, state_dir: Path | None, assets_root: Path,
                 host: str, port: int, preview_s: float, preview_timeout_s: float,
                 session_idle_s: float):
        self.store = Store(config_path, state_dir, assets_root)
        self.auth = Auth(self.store.config_path, self.store.state_dir, session_idle_s)
        self.previews = Previews(self.store, preview_s, preview_timeout_s)
        self.host, self.port = host, port
        self.env = Environment(loader=FileSystemLoader(HERE / "templates"),
                               autoescape=select_autoescape(["html"]), trim_blocks=True,
                               lstrip_blocks=True)

    # --- per-request helpers ---------------------------------------------------------------------
    @staticmethod
    def lang(request: Request) -> str:
        lang = request.cookies.get("studio_lang", "ko")
        return lang if lang in LANGS else "ko"

    def session(self, request: Request) -> Session | None:
        return self.auth.session(request.cookies.get(COOKIE))

    def render(self, request: Request, template: str, status: int = 200, **values) -> Response:
        lang = self.lang(request)
        session = self.session(request)
        msg = request.query_params.get("msg", "")
        if msg in WORDS and "flash" not in values:
            try:
                values["flash"] = t(lang, msg, id=request.query_params.get("id", ""))
            except (KeyError, IndexError):
                values["flash"] = ""
        if session is not None and "draft" not in values:
            problems = self.store.problems()
            values["draft"] = {"has": self.store.has_draft(), "problems": len(problems)}
        body = self.env.get_template(template).render(
            lang=lang, t=lambda key, **kw: t(lang, key, **kw), session=session,
            path=request.url.path, **values)
        return HTMLResponse(body, status)

    def same_origin(self, request: Request) -> bool:
        origin = request.headers.get("origin")
        if not origin or origin == "null":
            return origin is None
        return urlsplit(origin).netloc == request.headers.get("host", "")

    async def posted(self, request: Request):
        """``(session, form)`` of a guarded POST, or a Response refusing it."""
        session = self.session(request)
        if session is None:
            return RedirectResponse("/login", 303)
        form = await request.form(max_files=0, max_fields=4000)
        if not same(form.get("csrf", ""), session.csrf) or not self.same_origin(request):
            return self.render(request, "error.html", 403, message=t(self.lang(request),
                                                                      "csrf"))
        return session, form


def create_app(config_path: Path, *, state_dir: Path | None = None,
               assets_root: Path = ASSETS_DIR, host: str = "127.0.0.1", port: int = 8790,
               preview_s: float = 4.0, preview_timeout_s: float = 180.0,
               session_idle_s: float = 1800.0) -> Starlette:
    """The Studio for ``config_path`` (see the module docstring)."""
    from studio.pages import routes

    studio = Studio(Path(config_path), state_dir, assets_root, host, port, preview_s,
                    preview_timeout_s, session_idle_s)
    hosts = sorted({host, "127.0.0.1", "localhost", "[::1]", "::1"})
    app = Starlette(routes=routes(studio) + [],
                    middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=hosts),
                                Middleware(Guards)])
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.state.studio = studio
    return app
