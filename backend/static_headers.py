"""Headers WhiteNoise adds to static files (WHITENOISE_ADD_HEADERS_FUNCTION)."""

REPORTER_SCRIPTS = "sanad/web/"


def reporter_scripts_not_stored(headers, path: str, url: str) -> None:
    """The reporter's page's scripts (backend/static/sanad/web/): no-store, as the page itself is, so that
    a phone's browser cache holds no sign that it ever loaded them. They are small (about 40 KB gzipped)."""
    if REPORTER_SCRIPTS in url:
        headers["Cache-Control"] = "no-store"
