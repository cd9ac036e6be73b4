"""Extract the client's messages and build its catalogs, with Babel (needed here only, never at run time).

    .venv/bin/python -m client.i18n_build           # bring every file up to date
    .venv/bin/python -m client.i18n_build --check   # say what is out of date, exit 1 if anything is

bin/messages (`update()`) runs it with the server's catalogs.

1. Extracts `_()`, `N_()` and `ngettext()` from client/*.py (not its tests, not this file), with
   their `# Translators:` comments, into client/locale/sanad_client.pot.
2. Updates client/locale/{ar,ckb,en}/LC_MESSAGES/sanad_client.po from it, keeping every
   translation, without fuzzy matching (a changed English sentence starts untranslated) and
   without obsolete entries. English is the source language: its catalog stays empty, and
   exists so that LANGUAGE=en:ar means English.
3. Compiles each .po to the sanad_client.mo beside it, as backend.catalogs.compiled does: the
   committed .mo files are what the client loads, with the standard library's gettext.

Running it again changes nothing: the POT-Creation-Date is kept until the messages change,
locations carry no line numbers, and messages are sorted.
"""

from __future__ import annotations

import argparse
import datetime
import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

CLIENT = Path(__file__).resolve().parent
LOCALE = CLIENT / "locale"
DOMAIN = "sanad_client"
TEMPLATE = LOCALE / f"{DOMAIN}.pot"
KEYWORDS = {"_": None, "_f": None, "N_": {1: None, 2: (1, 2)}, "ngettext": (1, 2)}
METHOD_MAP = [("tests/**", "ignore"), ("locale/**", "ignore"), ("i18n_build.py", "ignore"), ("**.py", "python")]
COMMENT_TAGS = ("Translators:",)
# The GNU gettext plural rules (these exact expressions, whatever Babel's CLDR data says).
PLURAL_FORMS = {
    "ar": "nplurals=6; plural=n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 : "
    "n%100>=11 && n%100<=99 ? 4 : 5;",
    "ckb": "nplurals=2; plural=(n != 1);",
    "en": "nplurals=2; plural=(n != 1);",
}
NAMES = {"ar": "Arabic", "ckb": "Sorani Kurdish (Central Kurdish, Arabic script)", "en": "English"}
TEMPLATE_COMMENT = """\
# Messages of the Sanad reference client (client/): the template of its
# catalogs, made from the source by python -m client.i18n_build.
# Edit the source or the .po files, never this file.
#"""
CATALOG_COMMENT = """\
# {name} messages of the Sanad reference client (client/).
# python -m client.i18n_build keeps this file in step with the source
# and compiles it to sanad_client.mo beside it; commit both.
# Keep the placeholders as they are: {{name}} and %(name)s, %s, %r.
# Help texts go through argparse's %-formatting: a percent sign is %%.
#"""
ENGLISH_COMMENT = """\
# English messages of the Sanad reference client (client/).
# English is the language of the source: leave every msgstr empty.
# python -m client.i18n_build keeps this file in step with the source.
#"""


def _read(source: Path | bytes, locale: str | None = None) -> Catalog:
    data = source if isinstance(source, bytes) else source.read_bytes()
    return read_po(io.BytesIO(data), locale=locale, domain=DOMAIN, abort_invalid=True)


def _po_bytes(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    write_po(out, catalog, sort_output=True, include_lineno=False, ignore_obsolete=True, width=76)
    return out.getvalue()


def _mo_bytes(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def _languages() -> list[str]:
    return sorted(PLURAL_FORMS)


def po_path(language: str) -> Path:
    return LOCALE / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def extract() -> Catalog:
    """The template as the source has it now (its creation date: the existing template's, if any)."""
    template = Catalog(project=DOMAIN, version="1", charset="utf-8", fuzzy=True)
    template.header_comment = TEMPLATE_COMMENT
    found = extract_from_dir(
        str(CLIENT), METHOD_MAP, keywords=KEYWORDS, comment_tags=COMMENT_TAGS, strip_comment_tags=False
    )
    for filename, lineno, message, comments, context in found:
        location = "client/" + filename.replace("\\", "/")
        template.add(message, None, [(location, lineno)], auto_comments=comments, context=context)
    if TEMPLATE.exists():
        template.creation_date = _read(TEMPLATE).creation_date
    return template


def _template() -> tuple[Catalog, bytes]:
    """The template and its bytes; a new creation date only when its content changed."""
    template = extract()
    rendered = _po_bytes(template)
    if TEMPLATE.exists() and rendered == TEMPLATE.read_bytes():
        return template, rendered
    template.creation_date = datetime.datetime.now(datetime.UTC).replace(second=0, microsecond=0)
    return template, _po_bytes(template)


def updated(language: str, template: Catalog) -> Catalog:
    """The language's catalog brought in step with the template, its translations kept."""
    path = po_path(language)
    if path.exists():
        catalog = _read(path, locale=language)
    else:
        catalog = Catalog(locale=language, project=DOMAIN, version="1", charset="utf-8", fuzzy=False)
        catalog.header_comment = ENGLISH_COMMENT if language == "en" else CATALOG_COMMENT.format(name=NAMES[language])
    catalog.mime_headers = [("Plural-Forms", PLURAL_FORMS[language])]
    catalog.update(template, no_fuzzy_matching=True, update_header_comment=False)
    catalog.fuzzy = False
    return catalog


def compile_mo(po: Path) -> bytes:
    """The .mo for one .po file, as the build writes it."""
    return _mo_bytes(_read(po))


def outputs() -> dict[Path, bytes]:
    """Every file the build makes, with the content it should have."""
    template, rendered = _template()
    files = {TEMPLATE: rendered}
    for language in _languages():
        po = _po_bytes(updated(language, template))
        files[po_path(language)] = po
        files[po_path(language).with_suffix(".mo")] = _mo_bytes(_read(po))
    return files


def stale() -> list[Path]:
    """The files that the build would change (none when the catalogs are up to date)."""
    return [path for path, data in outputs().items() if not path.exists() or path.read_bytes() != data]


def update() -> list[Path]:
    """Write what is out of date; returns what was written."""
    written = []
    for path, data in outputs().items():
        if not path.exists() or path.read_bytes() != data:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m client.i18n_build", description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a file is out of date")
    args = parser.parse_args(argv)
    paths = stale() if args.check else update()
    for path in paths:
        print(("out of date: " if args.check else "wrote ") + str(path.relative_to(CLIENT.parent)))
    return 1 if args.check and paths else 0


if __name__ == "__main__":
    sys.exit(main())
