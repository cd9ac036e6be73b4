"""Sanad's translation catalogs: where they are, how they are kept up to date, and how they compile.

Three kinds, all under version control with their compiled .mo beside each .po:

- ``locale/{ar,ckb}/LC_MESSAGES/django.po``: every string of ours, extracted by Django's
  makemessages (which needs GNU gettext's xgettext and msgmerge; `make messages` runs it).
- ``backend/locale/{ar,ckb}/LC_MESSAGES/django.po``: Django's and DRF's own gaps: the strings of
  Django (core, admin, auth...) and of DRF that their own ar or ckb catalog leaves untranslated
  (DRF has no ckb catalog at all). `backend` is the first installed app, so its catalog is read
  before theirs; it holds only strings theirs lack, so it overrides nothing.
- ``client/locale/{ar,ckb}/LC_MESSAGES/sanad_client.po``: the reporters' command-line client,
  which must not need Django (see client/i18n.py).

The .mo files are compiled here with Babel (pure Python), so `make run` and `make test` need no
gettext tools, and a test checks that each committed .mo is exactly what its .po compiles to.
"""

from __future__ import annotations

import datetime
import io
import logging
from collections.abc import Iterator
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("ar", "ckb")
PROJECT = ROOT / "locale"
GAPS = ROOT / "backend" / "locale"
CLIENT = ROOT / "client" / "locale"

# gettext's plural rules (as CLDR and Django's own catalogs give them).
PLURAL_FORMS = {
    "ar": "nplurals=6; plural=n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 : n%100>=11 && n%100<=99 ? 4 : 5;",
    "ckb": "nplurals=2; plural=(n != 1);",
}
_PROJECT_COMMENT = (
    "# Sanad's own strings. Extracted by `make messages` (Django's makemessages): translate here,\n"
    "# never add or remove entries by hand.\n"
)
_GAPS_COMMENT = (
    "# Sanad: the strings of Django and Django REST framework that their own %(language)s catalogs\n"
    "# leave untranslated (backend/catalogs.py keeps this list; translate here, never upstream).\n"
)

# The catalogs whose gaps we fill: (name, directory holding <lang>/LC_MESSAGES/django.{po,mo}).
_UPSTREAM = (
    ("django", "django/conf/locale"),
    ("django.contrib.admin", "django/contrib/admin/locale"),
    ("django.contrib.auth", "django/contrib/auth/locale"),
    ("django.contrib.contenttypes", "django/contrib/contenttypes/locale"),
    ("django.contrib.sessions", "django/contrib/sessions/locale"),
    ("rest_framework", "rest_framework/locale"),
)


def po_files() -> list[Path]:
    """Every catalog of ours, in a stable order."""
    return sorted(
        path
        for base in (PROJECT, GAPS, CLIENT)
        for language in LANGUAGES
        for path in (base / language / "LC_MESSAGES").glob("*.po")
    )


def read(path: Path, *, strict: bool = True) -> Catalog:
    """A catalog; ours are read strictly (any malformed entry raises PoFileError)."""
    with path.open("rb") as handle:
        return read_po(handle, abort_invalid=strict)


# Babel stamps a catalog without a creation date with the time it is read: a fixed one keeps the compiled
# .mo the same from one run to the next (our headers carry no dates, see _with_headers).
_NO_DATE = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)


def compiled(po: Path) -> bytes:
    """The .mo that `po` compiles to (fuzzy entries left out, as gettext does), the same bytes every time."""
    catalog = read(po)
    if b"POT-Creation-Date:" not in po.read_bytes():
        catalog.creation_date = _NO_DATE
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def compile_all() -> list[Path]:
    """Write each .po's .mo; the ones that changed."""
    changed = []
    for po in po_files():
        mo = po.with_suffix(".mo")
        data = compiled(po)
        if not mo.exists() or mo.read_bytes() != data:
            mo.write_bytes(data)
            changed.append(mo)
    return changed


def _site_packages() -> Path:
    import django

    return Path(django.__file__).resolve().parent.parent


def _key(message) -> str:
    return message.id if isinstance(message.id, str) else message.id[0]


def _translated(message) -> bool:
    strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
    return bool(message.id) and not message.fuzzy and all(strings)


def _load(directory: Path, language: str) -> Catalog | None:
    logging.getLogger("babel").setLevel(logging.ERROR)  # upstream files carry harmless plural-count warnings
    po = directory / language / "LC_MESSAGES" / "django.po"
    if po.exists():
        return read(po, strict=False)  # upstream's files, as they are
    mo = po.with_suffix(".mo")
    if mo.exists():
        with mo.open("rb") as handle:
            return read_mo(handle)
    return None


def _extracted(package: Path) -> list:
    """The messages a package's Python code marks for translation (Babel's extractor), as catalog messages."""
    from babel.messages.extract import extract_from_dir

    keywords = {"_": None, "gettext": None, "gettext_lazy": None, "ngettext": (1, 2), "ngettext_lazy": (1, 2)}
    catalog = Catalog(locale="en")
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(package), method_map=[("**.py", "python")], keywords=keywords
    ):
        flags = ["python-brace-format"] if "{" in (message if isinstance(message, str) else message[0]) else []
        catalog.add(message, flags=flags)
    return [message for message in catalog if message.id]


def upstream_gaps(language: str) -> Iterator[tuple[str, object]]:
    """(catalog name, message) for each upstream message that `language` leaves untranslated. The
    reference list of messages is the union of the app's English and Arabic catalogs (DRF ships only
    .mo files, and its English one lacks messages its Arabic one has) and, for DRF, what its code marks."""
    packages = _site_packages()
    for name, relative in _UPSTREAM:
        directory = packages / relative
        if not directory.is_dir():
            continue
        reference: dict[str, object] = {}
        for candidate in ("en", "ar"):
            catalog = _load(directory, candidate)
            for message in catalog or ():
                if message.id and _key(message) not in reference:
                    reference[_key(message)] = message
        if name == "rest_framework":  # its catalogs lag its code: two of its messages are in none
            for message in _extracted(directory.parent):
                reference.setdefault(_key(message), message)
        own = _load(directory, language)
        done = {_key(m) for m in own if _translated(m)} if own else set()
        for key in sorted(reference):
            if key not in done:
                yield name, reference[key]


def update_gaps() -> list[Path]:
    """Bring backend/locale/<lang>/django.po to exactly the upstream gaps, keeping translations already made."""
    written = []
    for language in LANGUAGES:
        path = GAPS / language / "LC_MESSAGES" / "django.po"
        old = {_key(m): m for m in read(path) if m.id} if path.exists() else {}
        catalog = Catalog(
            locale=language,
            domain="django",
            project="Sanad",
            fuzzy=False,
        )
        for name, message in upstream_gaps(language):
            key = _key(message)
            string = old[key].string if key in old else ""
            if isinstance(message.id, tuple | list):
                forms = int(PLURAL_FORMS[language].split(";")[0].split("=")[1])
                previous = old[key].string if key in old and isinstance(old[key].string, tuple | list) else ()
                string = tuple(previous[i] if i < len(previous) else "" for i in range(forms))
            catalog.add(
                message.id,
                string,
                auto_comments=[f"from {name}"],
                context=message.context,
                flags=[f for f in message.flags if f != "fuzzy"],
            )
        out = io.BytesIO()
        write_po(out, catalog, width=100, omit_header=False, sort_output=True, include_lineno=False)
        data = _with_headers(out.getvalue(), language, _GAPS_COMMENT % {"language": language})
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_bytes() != data:
            path.write_bytes(data)
            written.append(path)
    return written


def _with_headers(po: bytes, language: str, comment: str) -> bytes:
    """`po` with a fixed header (no dates, no generator versions, not fuzzy), so that the file
    changes only when its messages do."""
    header = (
        comment + 'msgid ""\n'
        'msgstr ""\n'
        '"Project-Id-Version: Sanad\\n"\n'
        f'"Language: {language}\\n"\n'
        '"MIME-Version: 1.0\\n"\n'
        '"Content-Type: text/plain; charset=UTF-8\\n"\n'
        '"Content-Transfer-Encoding: 8bit\\n"\n'
        f'"Plural-Forms: {PLURAL_FORMS[language]}\\n"\n'
    ).encode()
    text = po.decode("utf-8")
    start = text.index('msgid ""')
    end = text.index("\n\n", start)
    return header + b"\n" + text[end:].lstrip("\n").encode()


def normalize_headers(paths) -> None:
    """Give catalogs written by makemessages our fixed header (see _with_headers)."""
    for path in paths:
        language = path.parent.parent.name
        data = path.read_bytes()
        cleaned = _with_headers(data, language, _PROJECT_COMMENT)
        if cleaned != data:
            path.write_bytes(cleaned)
