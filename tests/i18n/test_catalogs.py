"""Every string of ours is translated into Arabic and Sorani Kurdish, and stays so.

- each ar and ckb catalog (ours, the Django/DRF gap catalogs, the client's) has no empty, fuzzy or
  obsolete entry, and each translation keeps its msgid's placeholders (Babel's checks);
- each committed .mo is exactly what its .po compiles to;
- the gap catalogs hold exactly the strings Django's and DRF's own catalogs leave untranslated;
- no template of ours has readable text outside a translation tag;
- every model field, model name and choice of ours has a translatable label.

That `make messages` leaves the catalogs unchanged (they match the source) is checked by .ci/run,
which needs GNU gettext.
"""

from __future__ import annotations

import re
import string
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.apps import apps
from django.template.base import Lexer, TokenType
from django.utils.functional import Promise

from backend import catalogs

ROOT = catalogs.ROOT
CATALOGS = catalogs.po_files()
LETTER = re.compile(r"[^\W\d_]")


def test_every_catalog_exists():
    names = {str(path.relative_to(ROOT)) for path in CATALOGS}
    assert names == {
        f"{base}/{language}/LC_MESSAGES/{domain}.po"
        for base, domain in (("locale", "django"), ("backend/locale", "django"), ("client/locale", "sanad_client"))
        for language in ("ar", "ckb")
    }


def _strings(message) -> tuple:
    return tuple(message.string) if isinstance(message.string, tuple | list) else (message.string,)


@pytest.mark.parametrize("po", CATALOGS, ids=lambda p: str(p.relative_to(ROOT)))
def test_catalog_is_complete(po: Path):
    catalog = catalogs.read(po)  # strict: a malformed entry fails here
    language = po.parent.parent.name
    assert catalog.plural_forms == catalogs.PLURAL_FORMS[language]
    untranslated = [m.id for m in catalog if m.id and not all(_strings(m))]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert not untranslated, f"{len(untranslated)} untranslated in {po}: {untranslated[:10]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy in {po}: {fuzzy[:10]}"
    assert not catalog.obsolete, f"obsolete entries in {po}: {list(catalog.obsolete)[:10]}"
    problems = [(m.id, [str(e) for e in errors]) for m, errors in catalog.check() if errors]
    assert not problems, f"placeholders differ from the msgid in {po}: {problems[:10]}"
    assert len(catalog) > 0


# --- Translations that cannot break the code or the page -------------------------------------------

PERCENT = re.compile(r"%(?:\((\w+)\))?[-#0 +]*(?:\d+|\*)?(?:\.(?:\d+|\*))?([a-zA-Z%])")
DUMMY = {"d": 7, "i": 7, "u": 7, "x": 7, "X": 7, "o": 7, "f": 1.5, "e": 1.5, "g": 1.5, "s": "S", "r": "R", "a": "A"}


def _percent_args(text: str):
    """Arguments that the msgid's %-placeholders take: a dict for named ones, else a tuple."""
    found = [(name, kind) for name, kind in PERCENT.findall(text) if kind != "%"]
    if any(name for name, _ in found):
        return {name: DUMMY.get(kind, "S") for name, kind in found if name}
    return tuple(DUMMY.get(kind, "S") for _, kind in found)


class _Anything:
    """A value any format spec accepts ({:X}, {:>5}...)."""

    def __format__(self, spec: str) -> str:
        return "S"


def _format(text: str) -> str:
    fields = _brace_fields(text)
    positional = sum(1 for name, _, _ in fields if name == "" or name.isdigit())
    return text.format(*[_Anything()] * (positional or 10), **{name: _Anything() for name, _, _ in fields if name})


def _formats(text: str) -> bool:
    try:
        _format(text)
    except (KeyError, ValueError, IndexError, AttributeError):
        return False
    return True


def _brace_fields(text: str) -> list[tuple[str, str, str | None]]:
    return [(name, spec, conv) for _, name, spec, conv in string.Formatter().parse(text) if name is not None]


def _placeholder_problems(message, catalog_path: Path) -> list[str]:
    """What would go wrong when the code fills in this translation: an exception, a placeholder lost
    or renamed (the secret a sentence carries, such as a receipt, must reach the reader)."""
    problems = []
    plural = isinstance(message.id, tuple | list)
    msgids = tuple(message.id) if plural else (message.id,)
    forms = [form for form in _strings(message) if form]
    if "python-format" in message.flags:
        args = _percent_args(msgids[-1])
        wanted = set(args) if isinstance(args, dict) else None
        for form in forms:
            try:
                form % args
            except (KeyError, ValueError, TypeError, IndexError) as exc:
                problems.append(f"{form!r}: {exc!r}")
                continue
            if wanted is not None:
                names = {name for name, kind in PERCENT.findall(form) if name}
                # In a plural, a form may leave out the count ("one report", "two reports" in Arabic).
                if names - wanted or (not plural and names != wanted):
                    problems.append(f"{form!r}: placeholders {sorted(names)} for {sorted(wanted)}")
    brace = "python-brace-format" in message.flags or (
        catalog_path.is_relative_to(catalogs.CLIENT)
        and _brace_fields(msgids[0])
        and "python-format" not in message.flags
    )
    if brace and _formats(msgids[-1]):  # literal braces (a JSON example) are not placeholders
        wanted = sorted(_brace_fields(msgids[-1]))
        for form in forms:
            try:
                fields = sorted(_brace_fields(form))
                _format(form)
            except (KeyError, ValueError, IndexError, AttributeError) as exc:
                problems.append(f"{form!r}: {exc!r}")
                continue
            if fields != wanted and not (plural and set(fields) < set(wanted)):
                problems.append(f"{form!r}: fields {fields} for {wanted}")
    return problems


TAG = re.compile(r"<[^>]*>")


def _markup_problems(message) -> list[str]:
    """A translation has the msgid's tags, exactly, and no <, >, " or & the msgid lacks: translated
    text is marked safe in templates and sits inside attribute values (value="...")."""
    msgid = message.id[-1] if isinstance(message.id, tuple | list) else message.id
    problems = []
    for form in _strings(message):
        if form and sorted(TAG.findall(form)) != sorted(TAG.findall(msgid)):
            problems.append(f"{form!r}: tags {TAG.findall(form)} for {TAG.findall(msgid)}")
        for char in '<>"&':
            if form and form.count(char) > msgid.count(char):
                problems.append(f"{form!r}: adds {char!r}")
    return problems


@pytest.mark.parametrize("po", CATALOGS, ids=lambda p: str(p.relative_to(ROOT)))
def test_translations_keep_placeholders_and_markup(po: Path):
    problems = []
    for message in catalogs.read(po):
        if message.id:
            problems += _placeholder_problems(message, po) + _markup_problems(message)
    assert not problems, "\n".join(problems[:20])


def test_the_placeholder_and_markup_checks_catch_what_breaks():
    from babel.messages.catalog import Message

    client_po = catalogs.CLIENT / "ar" / "LC_MESSAGES" / "x.po"
    django_po = catalogs.PROJECT / "ar" / "LC_MESSAGES" / "x.po"

    def bad(msgid, msgstr, flags=(), path=django_po):
        message = Message(msgid, msgstr, flags=flags)
        return _placeholder_problems(message, path) + _markup_problems(message)

    fmt = ("python-format",)
    assert bad("Receipt: {receipt}", "الإيصال:", path=client_po)  # the receipt would not be shown
    assert bad("Receipt: {receipt}", "الإيصال: {إيصال}", path=client_po)
    assert bad("Receipt: {receipt}", "الإيصال: {receipt!x}", path=client_po)
    assert not bad("Receipt: {receipt}", "الإيصال: {receipt}", path=client_po)
    assert bad('Method "{method}" not allowed.', "«{میتۆد}»", flags=("python-brace-format",))
    assert bad("(severity: %(severity)s)", "(الخطورة: %(severity))", flags=fmt)
    assert bad("in %(wait)d seconds", "بعد %(wait)d ثانية 100%", flags=fmt)
    assert bad("Assigned to %(name)s.", "أُسند.", flags=fmt)  # who it was assigned to is lost
    assert not bad("Assigned to %(name)s.", "أُسند إلى %(name)s.", flags=fmt)
    assert not bad(
        ("%(count)d report", "%(count)d reports"),
        ("", "بلاغ واحد", "بلاغان", "%(count)d بلاغات", "%(count)d بلاغًا", "%(count)d بلاغ"),
        flags=fmt,
    )
    assert bad("Close", 'إغلاق" onclick="x')
    assert bad('at <a href="%(url)s">%(url)s</a>', 'في <a href="https://evil.example">%(url)s</a>', flags=fmt)
    assert bad("Keep it", "<script>x</script>")
    assert not bad('Must be "YYYY-MM".', "يجب أن يكون «YYYY-MM».")


@pytest.mark.parametrize("po", CATALOGS, ids=lambda p: str(p.relative_to(ROOT)))
def test_committed_mo_is_the_compiled_po(po: Path):
    mo = po.with_suffix(".mo")
    assert mo.exists(), f"{mo} is missing: run `make messages`"
    assert mo.read_bytes() == catalogs.compiled(po), f"{mo} is stale: run `make messages`"


@pytest.mark.parametrize("language", catalogs.LANGUAGES)
def test_gap_catalogs_hold_exactly_what_upstream_lacks(language):
    """If Django or DRF is upgraded, new untranslated strings show here (run `make messages`)."""
    ours = {
        m.id if isinstance(m.id, str) else m.id[0]
        for m in catalogs.read(catalogs.GAPS / language / "LC_MESSAGES" / "django.po")
        if m.id
    }
    wanted = {m.id if isinstance(m.id, str) else m.id[0] for _, m in catalogs.upstream_gaps(language)}
    assert ours == wanted
    assert wanted, "upstream lacks nothing? then the gap catalog and this test can go"


def test_django_and_drf_speak_sorani_through_the_gap_catalog(settings):
    """DRF has no ckb catalog and Django's ckb admin lacks strings: ours fills both."""
    from django.utils import translation
    from rest_framework.exceptions import NotAuthenticated

    with translation.override("ckb"):
        drf = str(NotAuthenticated.default_detail)
        admin = translation.gettext("Model name")
    with translation.override("en"):
        assert str(NotAuthenticated.default_detail) == "Authentication credentials were not provided."
    assert drf != "Authentication credentials were not provided." and LETTER.search(drf)
    assert re.search("[\u0600-\u06ff]", drf) and re.search("[\u0600-\u06ff]", admin)


# --- Templates: no readable text outside a translation tag ----------------------------------------

TEMPLATES = sorted(
    path for app in ("accounts", "audit", "backend", "reports") for path in (ROOT / app / "templates").rglob("*.html")
)
# Attributes a person reads (or hears, with a screen reader).
READ_ATTRIBUTES = {"title", "alt", "placeholder", "aria-label", "aria-description", "label"}
PLACEHOLDER = "\x00"


def _skeleton(source: str) -> str:
    """The template's HTML with every tag, variable and translated text replaced by a placeholder."""
    out, depth, comment = [], 0, False
    for token in Lexer(source).tokenize():
        if token.token_type == TokenType.BLOCK:
            name = token.contents.split(maxsplit=1)[0] if token.contents else ""
            if name in ("comment", "endcomment"):  # {% comment %}Translators: ...{% endcomment %}
                comment = name == "comment"
            elif name in ("blocktranslate", "blocktrans"):
                depth += 1
            elif name in ("endblocktranslate", "endblocktrans"):
                depth -= 1
            out.append(PLACEHOLDER)
        elif comment:
            continue
        elif token.token_type == TokenType.TEXT and depth == 0:
            out.append(token.contents)
        elif token.token_type == TokenType.VAR or depth:
            out.append(PLACEHOLDER)
    return "".join(out)


class _Readable(HTMLParser):
    """Collects text a person reads that is not a placeholder: element text outside <style>,
    <script> and elements marked translate="no" (code, commands), and readable attribute values."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.stack: list[tuple[str, bool]] = []

    def _skipping(self) -> bool:
        return any(skip for _, skip in self.stack)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        skip = tag in ("style", "script") or attrs.get("translate") == "no"
        if not skip and not self._skipping():
            for name, value in attrs.items():
                readable = name in READ_ATTRIBUTES or (
                    name == "value"
                    and tag in ("input", "button")
                    and attrs.get("type") in ("submit", "button", "reset")
                )
                if readable and value and LETTER.search(value.replace(PLACEHOLDER, "")):
                    self.found.append(f'{tag} {name}="{value}"')
        if tag not in self.VOID:
            self.stack.append((tag, skip))

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        if not self._skipping() and LETTER.search(data.replace(PLACEHOLDER, "")):
            self.found.append(data.strip())


def test_templates_are_found():
    assert len(TEMPLATES) >= 10


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_template_text_outside_translation_tags(template: Path):
    parser = _Readable()
    parser.feed(_skeleton(template.read_text(encoding="utf-8")))
    parser.close()
    assert not parser.found, f"untranslated text in {template.relative_to(ROOT)}: {parser.found}"


def test_the_template_check_finds_untranslated_text():
    """The check above is not empty: it catches text, attributes, and ignores what is translated."""

    def found(source):
        parser = _Readable()
        parser.feed(_skeleton(source))
        parser.close()
        return parser.found

    assert found("<p>Hello</p>") == ["Hello"]
    assert found('<input type="submit" value="Save">') == ['input value="Save"']
    assert found('<a title="Open it" href="x">{% translate "x" %}</a>') == ['a title="Open it"']
    assert found("<p>مرحبا</p>") == ["مرحبا"]
    assert found('{% load i18n %}<p>{% translate "Hello" %} – {{ name }}</p>') == []
    assert found("{% blocktranslate %}Hello {{ name }}{% endblocktranslate %}") == []
    assert found('<input type="submit" value="{% translate \'Save\' %}">') == []
    assert found('<style>p { color: red }</style><code translate="no">make run</code>') == []


# --- Models: every label translatable --------------------------------------------------------------


def _our_models():
    return [model for app in ("accounts", "audit", "reports") for model in apps.get_app_config(app).get_models()]


def _third_party_fields() -> set[str]:
    """Fields our models inherit from django-otp's abstract models: labelled (and shown) there, not by us."""
    from django_otp.models import Device, ThrottlingMixin, TimestampMixin

    return {field.name for base in (Device, ThrottlingMixin, TimestampMixin) for field in base._meta.fields}


def test_every_model_and_field_label_is_translatable():
    """(A choice whose label is its value is a name, e.g. the HPKE suite X25519, and reads the same in every language.)"""
    inherited = _third_party_fields()
    plain = []
    for model in _our_models():
        meta = model._meta
        for name in ("verbose_name", "verbose_name_plural"):
            if not isinstance(getattr(meta, name), Promise):
                plain.append(f"{meta.label}.{name}")
        for field in meta.get_fields(include_hidden=False):
            if field.auto_created and not field.concrete:
                continue  # reverse relations are named by the other side
            if field.name in inherited and field.model.__module__ == "accounts.models":
                continue
            if not isinstance(field.verbose_name, Promise) and not field.auto_created:
                plain.append(f"{meta.label}.{field.name}")
            for value, label in getattr(field, "flatchoices", None) or ():
                if not isinstance(label, Promise) and label != value:
                    plain.append(f"{meta.label}.{field.name} choice {label!r}")
    assert not plain, plain


def test_every_severity_reason_reads_as_a_sentence():
    """Each reason the rules can give (and the one a caseworker sees instead of a count) has its own sentence."""
    from datetime import date

    from reports import severity
    from reports.vocabulary import FLAGS, Category, reason_sentence

    codes = set()
    today = date(2026, 6, 15)
    for category in Category.values:
        for month in (date(2026, 6, 1), date(2025, 1, 1)):
            for linked in (0, 1, 2, 7, severity.MANY, severity.MANY + 1):
                facts = severity.Facts(category, month, True, True, frozenset(FLAGS), linked, today)
                codes |= set(severity.assess(facts)[1])
                bare = severity.Facts(category, month, False, False, frozenset(), linked, today)
                codes |= set(severity.assess(bare)[1])
    codes.add("indicator_shared_with_other_reports")
    for code in codes:
        sentence = reason_sentence(code)
        assert sentence != code and sentence.endswith("."), code
    assert reason_sentence("indicator_shared_with_1_report").endswith("in 1 other report.")
    assert reason_sentence("indicator_shared_with_7_reports").endswith("in 7 other reports.")
    assert "more than 50" in reason_sentence(f"indicator_shared_with_over_{severity.MANY}_reports")
