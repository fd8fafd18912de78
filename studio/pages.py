"""The Studio's pages and their handlers (see :mod:`studio.app` for the guards).

Every change goes to the draft first (POST, then a redirect back to the page, which shows each
problem beside its field); nothing reaches ``config.toml`` but :meth:`Store.publish` and
:meth:`Store.rollback`.
"""

from __future__ import annotations

import json
import re
import secrets
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from studio import forms
from studio import landmarks as lm
from studio.auth import COOKIE, PRE_COOKIE, same
from studio.fit import measure
from studio.i18n import LANGS

REPORT_FILES = ("index.html", "daily.csv", "visits_per_hour.png", "visit_durations.png",
                "interactions_per_exhibit.png", "landmarks_discovered.png")


def problem_map(problems) -> dict[str, list[str]]:
    """Problems by the key of the field they belong to (list indexes dropped)."""
    out: dict[str, list[str]] = {}
    for p in problems:
        key = re.sub(r"(\[\d+\])+$", "", p.path)
        out.setdefault(key, []).append(p.message + (f" (line {p.line})" if p.line else ""))
    return out


def page_of(path: str) -> str:
    """The Studio page where a problem's key path is edited."""
    if path.startswith("exhibits.city.landmarks_file"):
        return "/landmarks"
    m = re.match(r"exhibits\.(\w+)", path)
    if m:
        return f"/exhibit/{m.group(1)}"
    if path.split(".")[0].split("[")[0] in ("playlist", *forms.PLAYLIST_SECTIONS):
        return "/playlist"
    return "/publish"


def _cookie(resp: Response, name: str, value: str, max_age: int | None = None) -> None:
    resp.set_cookie(name, value, max_age=max_age, httponly=True, samesite="strict", path="/")


def routes(studio) -> list[Route]:
    store, auth = studio.store, studio.auth

    def need_login(request: Request):
        return None if studio.session(request) else RedirectResponse("/login", 303)

    # --- login -----------------------------------------------------------------------------------
    async def login_page(request: Request, error: str = "", values: dict | None = None,
                         status: int = 200) -> Response:
        pre = request.cookies.get(PRE_COOKIE) or secrets.token_urlsafe(24)
        lang = studio.lang(request)
        resp = studio.render(request, "login.html", status, unavailable=auth.unavailable(),
                             error=error, error_values=values or {}, pre=pre,
                             locked=auth.locked_for(), draft={}, lang_code=lang)
        _cookie(resp, PRE_COOKIE, pre)
        return resp

    async def login(request: Request) -> Response:
        if request.method == "GET":
            return await login_page(request)
        form = await request.form(max_files=0, max_fields=10)
        if not same(form.get("pre", ""), request.cookies.get(PRE_COOKIE, "")) or \
                not studio.same_origin(request):
            return await login_page(request, "login.csrf", status=403)
        token, why, values = await run_in_threadpool(auth.login, form.get("pin", ""),
                                                     form.get("who", ""))
        if token is None:
            return await login_page(request, why, values, 403)
        resp = RedirectResponse("/status", 303)
        _cookie(resp, COOKIE, token)
        resp.delete_cookie(PRE_COOKIE, path="/")
        return resp

    async def logout(request: Request) -> Response:
        got = await studio.posted(request)
        if isinstance(got, Response):
            return got
        auth.logout(request.cookies.get(COOKIE))
        resp = RedirectResponse("/login", 303)
        resp.delete_cookie(COOKIE, path="/")
        return resp

    async def lang(request: Request) -> Response:
        code = request.path_params["code"]
        back = request.query_params.get("next", "/status")
        resp = RedirectResponse(back if back.startswith("/") and not back.startswith("//")
                                else "/status", 303)
        resp.set_cookie("studio_lang", code if code in LANGS else "ko", samesite="strict",
                        httponly=True, path="/", max_age=365 * 86400)
        return resp

    # --- settings pages (forms from the schema) --------------------------------------------------
    async def settings_page(request: Request) -> Response:
        page = "playlist" if request.url.path == "/playlist" else \
            f"exhibit:{request.path_params['name']}"
        from exhibits import REGISTRY

        if page != "playlist" and page.split(":")[1] not in REGISTRY:
            return Response("no such exhibit", 404)
        if request.method == "POST":
            got = await studio.posted(request)
            if isinstance(got, Response):
                return got
            _, form = got
            data = store.draft_data()
            changes = forms.read_form(forms.all_fields(forms.page_sections(page, data)), form)
            if page == "playlist":
                rows = forms.read_playlist(form, forms.playlist_rows(data))
                if rows is not None:
                    changes[("playlist",)] = rows
            try:
                rewritten = await run_in_threadpool(store.edit, changes)
            except ValueError as err:
                return studio.render(request, "error.html", 409, message=str(err))
            msg = "saved.rewritten" if rewritten else "saved" if changes else "nochange"
            return RedirectResponse(f"{request.url.path}?msg={msg}", 303)
        if (r := need_login(request)) is not None:
            return r
        data = store.draft_data()
        sections = forms.page_sections(page, data)
        problems = store.problems()
        errors = problem_map(problems)
        shown = {f.key for f in forms.all_fields(sections)}
        if page == "playlist":
            shown |= {k for k in errors if k.startswith("playlist")}
        others = [(p, page_of(p.path)) for p in problems
                  if re.sub(r"(\[\d+\])+$", "", p.path) not in shown]
        fits = {}
        for _, _, fields in sections:
            for f in fields:
                if f.partner is not None or f.name.endswith("_ko"):
                    en = f.partner.value if f.partner is not None else None
                    m = measure(f.key, str(f.value), str(en) if en is not None else None)
                    if m is not None:
                        fits[f.key] = m
        title = None
        if page != "playlist":
            spec = REGISTRY[page.split(":")[1]]
            title = (spec.title_ko, spec.title_en)
        return studio.render(request, "settings.html", page=page, sections=sections,
                             errors=errors, others=others, fits=fits, title=title,
                             playlist=forms.playlist_rows(data) if page == "playlist" else [],
                             exhibits=list(REGISTRY), csrf=studio.session(request).csrf)

    async def fit(request: Request) -> Response:
        if studio.session(request) is None:
            return JSONResponse({"error": "log in"}, 403)
        q = request.query_params
        m = measure(q.get("key", ""), q.get("ko", "")[:400],
                    q.get("en")[:400] if "en" in q else None)
        return JSONResponse(m or {})

    # --- landmarks -------------------------------------------------------------------------------
    async def landmarks(request: Request) -> Response:
        if request.method == "POST":
            got = await studio.posted(request)
            if isinstance(got, Response):
                return got
            _, form = got
            if store.landmarks_file()[1] is None:
                return RedirectResponse("/landmarks", 303)
            rows = lm.rows_from_form(form)
            try:
                await run_in_threadpool(store.save_landmarks, lm.write_rows(rows))
            except ValueError as err:
                return studio.render(request, "error.html", 413, message=str(err))
            return RedirectResponse("/landmarks?msg=saved", 303)
        if (r := need_login(request)) is not None:
            return r
        name, path = store.landmarks_file()
        text = store.landmarks_text()
        rows = lm.read_rows(text)
        cells, row_errors, whole = lm.check(text, name)
        return studio.render(request, "landmarks.html", name=name, editable=path is not None,
                             rows=rows, columns=lm.COLUMNS, cells=cells, row_errors=row_errors,
                             whole=whole, svg=lm.map_svg(rows),
                             draft_file=store.landmarks_draft_path.exists(),
                             csrf=studio.session(request).csrf)

    # --- preview ---------------------------------------------------------------------------------
    async def preview(request: Request) -> Response:
        from exhibits import REGISTRY

        if request.method == "POST":
            got = await studio.posted(request)
            if isinstance(got, Response):
                return got
            _, form = got
            exhibit = form.get("exhibit", "")
            if exhibit not in REGISTRY:
                return Response("no such exhibit", 400)
            stills = []
            for s in form.get("stills", "").split(",")[:6]:
                try:
                    stills.append(round(float(s), 2))
                except ValueError:
                    continue
            ok = await run_in_threadpool(studio.previews.start, exhibit, stills)
            return RedirectResponse("/preview" + ("" if ok else "?msg=pv.busy"), 303)
        if (r := need_login(request)) is not None:
            return r
        return studio.render(request, "preview.html", exhibits=REGISTRY,
                             job=studio.previews.status(), seconds=studio.previews.seconds,
                             csrf=studio.session(request).csrf)

    async def preview_status(request: Request) -> Response:
        if studio.session(request) is None:
            return JSONResponse({"error": "log in"}, 403)
        return JSONResponse(studio.previews.status())

    async def preview_file(request: Request) -> Response:
        if studio.session(request) is None:
            return Response("log in", 403)
        path = studio.previews.file(request.path_params["job"], request.path_params["name"])
        if path is None:
            return Response("not found", 404)
        kind = "video/webm" if path.suffix == ".webm" else "image/png"
        return FileResponse(path, media_type=kind)

    # --- check and publish, history --------------------------------------------------------------
    async def publish(request: Request) -> Response:
        if request.method == "POST":
            got = await studio.posted(request)
            if isinstance(got, Response):
                return got
            session, form = got
            if form.get("action") == "discard":
                store.discard()
                return RedirectResponse("/publish?msg=pub.discarded", 303)
            written, problems = await run_in_threadpool(store.publish, session.who)
            if problems:
                return studio.render(request, "publish.html", 409, refused=True,
                                     problems=[(p, page_of(p.path)) for p in problems],
                                     diff=store.draft_diff(), csrf=session.csrf)
            return RedirectResponse("/publish?msg=pub.done", 303)
        if (r := need_login(request)) is not None:
            return r
        problems = store.problems()
        return studio.render(request, "publish.html", refused=False,
                             problems=[(p, page_of(p.path)) for p in problems],
                             diff=store.draft_diff() if store.has_draft() else "",
                             lm_changed=store.landmarks_draft_path.exists(),
                             base_changed=store.base_changed(),
                             csrf=studio.session(request).csrf)

    async def history(request: Request) -> Response:
        if (r := need_login(request)) is not None:
            return r
        return studio.render(request, "history.html", versions=store.history(),
                             csrf=studio.session(request).csrf)

    async def version(request: Request) -> Response:
        vid = int(request.path_params["vid"])
        if request.method == "POST":
            got = await studio.posted(request)
            if isinstance(got, Response):
                return got
            session, _ = got
            written, problems = await run_in_threadpool(store.rollback, vid, session.who)
            if problems:
                return studio.render(request, "error.html", 409,
                                     message="; ".join(str(p) for p in problems))
            return RedirectResponse(f"/history?msg=hist.rolled&id={vid}", 303)
        if (r := need_login(request)) is not None:
            return r
        v = store.version(vid)
        if v is None:
            return Response("no such version", 404)
        return studio.render(request, "diff.html", version=v, diff=store.diff(v))

    # --- status and the curator report -----------------------------------------------------------
    def read_health(port: int) -> tuple[dict | None, str]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1.5) as r:
                return json.loads(r.read(256 * 1024)), ""
        except urllib.error.HTTPError as err:  # 503: frozen or starting, still JSON
            try:
                return json.loads(err.read(256 * 1024)), ""
            except ValueError:
                return None, f"HTTP {err.code}"
        except (OSError, ValueError) as err:
            return None, str(getattr(err, "reason", err))[:120]

    def report_dir() -> Path:
        return store.state_dir / "report"

    async def status(request: Request) -> Response:
        if request.method == "POST":
            got = await studio.posted(request)
            if isinstance(got, Response):
                return got
            cmd = [sys.executable, "-m", "studio.nice_run", "15", "kiosk.py", "report",
                   "--out", str(report_dir()), "--config", str(store.config_path)]
            done = await run_in_threadpool(
                subprocess.run, cmd, cwd=Path(__file__).resolve().parent.parent,
                capture_output=True, text=True, timeout=120, check=False)
            msg = (done.stdout + done.stderr).strip().splitlines()[-1:] or [""]
            return RedirectResponse("/status?report=" + ("ok" if done.returncode == 0 else
                                                         "failed") + "&why=" +
                                    urllib.request.quote(msg[0][:200]), 303)
        if (r := need_login(request)) is not None:
            return r
        import tomllib

        try:
            published = tomllib.loads(store.published_bytes().decode("utf-8"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError):
            published = {}
        port = published.get("health", {}).get("port", 0)
        health, why = (None, "") if not port else await run_in_threadpool(read_health, port)
        last = next((v for v in store.history() if v.file == "config.toml"), None)
        reports = [f for f in REPORT_FILES[2:] if (report_dir() / f).exists()]
        return studio.render(request, "status.html", port=port, health=health, why=why,
                             playlist=forms.playlist_rows(published), last=last, reports=reports,
                             report_state=request.query_params.get("report", ""),
                             report_why=request.query_params.get("why", ""),
                             csrf=studio.session(request).csrf)

    async def report_file(request: Request) -> Response:
        if studio.session(request) is None:
            return Response("log in", 403)
        name = request.path_params["name"]
        path = report_dir() / name
        if name not in REPORT_FILES or not path.is_file():
            return Response("not found", 404)
        return FileResponse(path)

    async def home(request: Request) -> Response:
        return RedirectResponse("/status" if studio.session(request) else "/login", 303)

    return [
        Route("/", home),
        Route("/login", login, methods=["GET", "POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/lang/{code}", lang),
        Route("/status", status, methods=["GET", "POST"]),
        Route("/report/{name}", report_file),
        Route("/playlist", settings_page, methods=["GET", "POST"]),
        Route("/exhibit/{name}", settings_page, methods=["GET", "POST"]),
        Route("/api/fit", fit),
        Route("/landmarks", landmarks, methods=["GET", "POST"]),
        Route("/preview", preview, methods=["GET", "POST"]),
        Route("/preview/status", preview_status),
        Route("/preview/file/{job}/{name}", preview_file),
        Route("/publish", publish, methods=["GET", "POST"]),
        Route("/history", history),
        Route("/history/{vid:int}", version, methods=["GET", "POST"]),
    ]
