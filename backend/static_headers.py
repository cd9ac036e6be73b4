"""Headers WhiteNoise adds to static files (WHITENOISE_ADD_HEADERS_FUNCTION)."""

REPORTER_SCRIPTS = "sanad/web/"
# A worker runs under the policy its own script is served with (not the page's): the workers compile
# WebAssembly and fetch nothing. On a script the page imports, the header is ignored.
WORKER_POLICY = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'"


def reporter_scripts_not_stored(headers, path: str, url: str) -> None:
    """The reporter's page's files (backend/static/sanad/web/): no-store, as the page itself is, so that
    a phone's browser cache holds no sign that it ever loaded them (they are small: about 60 KB
    gzipped); and its scripts, which may run as workers, under a policy of their own."""
    if REPORTER_SCRIPTS in url:
        headers["Cache-Control"] = "no-store"
        if url.endswith(".js"):
            headers["Content-Security-Policy"] = WORKER_POLICY
