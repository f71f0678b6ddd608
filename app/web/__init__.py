"""Serve the built web app (``app/web/dist``, built from ``web/`` and committed) next to the API.

The web app is a client of the public API like the CLI: this module only hands out files.

- ``/assets/*``: Vite's content-hashed files, cached for a year (``immutable``); a new build has new names.
- Any other GET that no route answers (``/``, ``/runs/3``, ...): the app's ``index.html``, never cached, so deep
  links can be shared and reloaded. Other files at the top of ``dist`` (an icon) are served as they are.
- Unknown paths under ``/api``, ``/docs``, ``/assets``... keep the JSON error shape, and so do other methods.
- Without a built bundle (a development checkout), those pages say how to build it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Scope

from app.api import errors

DIST = Path(__file__).parent / "dist"

# Paths that belong to the API or the docs: an unknown one is a JSON 404, never the app.
RESERVED_PREFIXES = ("/api/", "/api", "/docs", "/redoc", "/openapi.json", "/health", "/assets/", "/metrics")

IMMUTABLE = "public, max-age=31536000, immutable"
# React Flow positions nodes with inline styles, hence 'unsafe-inline' for styles only; scripts are files only.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "connect-src 'self'; font-src 'self' data:; object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "Cache-Control": "no-cache",
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

NOT_BUILT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Web app not built</title></head>
<body style="font-family: sans-serif; max-width: 44rem; margin: 3rem auto; line-height: 1.5">
<h1>The web app is not built in this checkout</h1>
<p>The server is running and its API answers under <a href="/docs">/docs</a>, but <code>app/web/dist</code>
is missing. Releases and the main branch carry the built app; to build it from <code>web/</code> (needs Node.js 20
and npm):</p>
<pre>npm ci --prefix web
npm run build --prefix web</pre>
<p>then reload this page.</p>
</body></html>
"""


class HashedAssets(StaticFiles):
    """Vite's ``/assets``: every name carries its content hash, so browsers may keep them for good."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            response.headers["Cache-Control"] = IMMUTABLE
        return response


def _reserved(path: str) -> bool:
    return any(path == prefix.rstrip("/") or path.startswith(prefix) for prefix in RESERVED_PREFIXES)


def _top_level_file(dist: Path, path: str) -> Path | None:
    """A file directly in ``dist`` named by the path (``/favicon.svg``), never outside it."""
    name = path.lstrip("/")
    if not name or "/" in name or name.startswith("."):
        return None
    candidate = dist / name
    return candidate if candidate.is_file() else None


def install(app: FastAPI, dist: Path = DIST) -> None:
    """Serve the app from ``dist``: assets under ``/assets``, ``index.html`` for every other unrouted GET."""
    if (dist / "assets").is_dir():
        app.mount("/assets", HashedAssets(directory=dist / "assets"), name="web-assets")

    async def not_found(request: Request, exc: Exception) -> Any:
        assert isinstance(exc, StarletteHTTPException)
        path = request.url.path
        if request.method not in ("GET", "HEAD") or _reserved(path):
            return await errors.http_error(request, exc)
        index = dist / "index.html"
        if not index.is_file():
            return HTMLResponse(NOT_BUILT, status_code=503, headers={"Cache-Control": "no-store"})
        file = _top_level_file(dist, path)
        if file is not None and file.name != "index.html":
            return FileResponse(file, headers={"Cache-Control": "public, max-age=3600"})
        return FileResponse(index, media_type="text/html", headers=PAGE_HEADERS)

    app.add_exception_handler(404, not_found)
