"""Build the reporter's page as one self-contained HTML file per language, for when the site is blocked.

    python manage.py reporter_page_file --api https://sanad.example.org --out dist/

writes sanad-ar.html, sanad-ckb.html and sanad-en.html: the page, its style, its script and both
workers inlined, talking to the reporter API at --api (which answers any origin, never with
credentials: CORS_* in config/settings.py). Each file carries the intake keys offered now and encrypts
to no other: a forged certificate for --api, or a changed server, cannot make it encrypt to a key of
theirs. After a new intake key, build and publish the files again (an old file then says it is out of
date). Each can be passed around (a messenger, a USB stick) and
opened from the phone's files. The output depends only on the checkout and --api, never on the date or
the machine, so anyone can rebuild it and compare: the command prints each file's SHA-256 for the
operator to publish where reporters can check it (README, "The self-contained file").
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.management.base import BaseCommand, CommandError
from django.template.loader import render_to_string
from django.utils import translation

from accounts.selectors import intake_keys_active
from reports.api import intake_keys_document
from reports.pages import reporter_context

PREFIX = "sanad"
# What must not appear inside an inline <script> or <style>: it would end it early, or change how
# the HTML parser reads the rest. The built files hold none today; a build that does is refused.
UNSAFE_INLINE = ("</script", "<!--", "<script", "</style")


def api_origin(address: str) -> str:
    """The reporter API's origin, as the page's engine accepts it (web/src/reporter.js, apiBase): https,
    or http on this machine only; no user, path, query or fragment."""
    try:
        parts = urlsplit(address)
        port = parts.port
    except ValueError:
        raise CommandError(f"--api: not an address: {address!r}") from None
    loopback = parts.hostname in {"localhost", "127.0.0.1", "::1"}
    if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
        raise CommandError("--api must be an https:// address (plain http only for localhost).")
    if (
        not parts.hostname
        or parts.username
        or parts.password
        or parts.query
        or parts.fragment
        or parts.path not in {"", "/"}
    ):
        raise CommandError("--api must be the server's origin alone, as https://sanad.example.org")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host}{f':{port}' if port else ''}"


def _built(name: str) -> str:
    path = finders.find(f"sanad/web/{name}")
    if not path:
        raise CommandError(f"sanad/web/{name} is not built: run `make web`.")
    text = Path(path).read_text(encoding="utf-8")
    if name.endswith((".css", "page.js")) and any(marker in text.lower() for marker in UNSAFE_INLINE):
        raise CommandError(f"sanad/web/{name} holds text that cannot be inlined in HTML ({UNSAFE_INLINE}).")
    return text


def _hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def page_file(language: str, api: str, keys: list[dict]) -> str:
    """The self-contained page in `language`, talking to `api` (an origin), encrypting only to `keys`."""
    script, css = _built("page.js"), _built("page.css")
    csp = "; ".join(
        [
            "default-src 'none'",
            f"script-src {_hash(script)} 'wasm-unsafe-eval'",
            "worker-src blob:",
            f"connect-src {api}",
            f"style-src {_hash(css)}",
            "img-src 'none'",
            "base-uri 'none'",
            "form-action 'none'",
        ]
    )
    offline = {
        "csp": csp,
        "css": css,
        "script": script,
        "pow_worker": _built("pow-worker.js"),
        "key_worker": _built("key-worker.js"),
        "prefix": PREFIX,
    }
    with translation.override(language):
        context = reporter_context(
            language,
            api=api,
            workers={"powWorker": "#pow-worker-src", "keyWorker": "#key-worker-src"},
            pinned_keys=keys,
        )
        return render_to_string("reports/reporter.html", {**context, "offline": offline})


class Command(BaseCommand):
    help = "Build the reporter's page as self-contained HTML files (one a language) that talk to --api."

    def add_arguments(self, parser):
        parser.add_argument("--api", required=True, help="the reporter API's origin, as https://sanad.example.org")
        parser.add_argument("--out", default=".", help="the folder to write sanad-<language>.html into")
        parser.add_argument(
            "--language", action="append", choices=[code for code, _name in settings.LANGUAGES], help="default: all"
        )

    def handle(self, *args, api, out, language, **options):
        origin = api_origin(api)
        keys = intake_keys_document(intake_keys_active())
        if not keys:
            raise CommandError("No intake key is offered yet (create_intake_key, then grant it): nothing to pin.")
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        for code in language or [code for code, _name in settings.LANGUAGES]:
            data = page_file(code, origin, keys).encode("utf-8")
            path = folder / f"{PREFIX}-{code}.html"
            path.write_bytes(data)
            # As sha256sum prints it, so `sha256sum -c` checks a copy against what was published.
            self.stdout.write(f"{hashlib.sha256(data).hexdigest()}  {path.name}")
        self.stderr.write("Pinned intake keys: " + ", ".join(key["key_id"] for key in keys))
