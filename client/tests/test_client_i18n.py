"""The client in the reporter's language: the environment chooses Arabic, Sorani Kurdish or English,
for the client's own sentences, argparse's texts and the server's refusals (Accept-Language); the
committed catalogs are what the build makes from the source. No Django."""

from __future__ import annotations

import argparse
import gettext
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.mofile import write_mo
from PIL import Image

from client import cli, i18n
from client import i18n_build as build
from client.api import SanadClient
from client.tests.test_client_cli import RECEIPT

ROOT = Path(__file__).resolve().parents[2]
VARIABLES = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")
# A few messages in Arabic, for a catalog made in the test (independent of the committed ones). Two are
# broken on purpose, as a careless translation could be: the receipt's number and the reply key must
# still reach the reader.
ARABIC = {
    "usage: ": "الاستخدام: ",
    "options": "الخيارات",
    "show this help message and exit": "اعرض هذه المساعدة واخرج",
    "Report a threat to Sanad, encrypted on this device.": "أبلغ سند عن تهديد، مشفّرًا على هذا الجهاز.",
    "%(prog)s: error: %(message)s\n": "%(prog)s: خطأ: %(message)s\n",
    "the following arguments are required: %s": "المعطيات التالية مطلوبة: %s",
    "Receipt: ": "الإيصال: ",
    "Receipt: {receipt}": "الإيصال:",
    "Reply key: {reply_key}": "مفتاح الرد: {مفتاح}",
    "The file {name} does not exist.": "الملف {name} غير موجود.",
    "A receipt is 20 digits in groups of four, like 1234-5678-9012-3456-7890: check it and type it again.": (
        "الإيصال ٢٠ رقمًا في مجموعات من أربعة، مثل 1234-5678-9012-3456-7890: تحقّق منه واكتبه مرة أخرى."
    ),
    "The server does not know this receipt: it may be mistyped, or the report was withdrawn.": (
        "لا يعرف الخادم هذا الإيصال: ربما كُتب خطأً، أو سُحب البلاغ."
    ),
}


@pytest.fixture
def environment(monkeypatch):
    """No gettext variable set; the test sets the ones it needs."""
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.fixture
def arabic(environment, tmp_path):
    """LANG=ar_IQ.UTF-8 and a small Arabic catalog in place of the committed ones."""
    catalog = Catalog(locale="ar", domain=i18n.DOMAIN, charset="utf-8")
    for msgid, msgstr in ARABIC.items():
        catalog.add(msgid, msgstr)
    target = tmp_path / "ar" / "LC_MESSAGES" / f"{i18n.DOMAIN}.mo"
    target.parent.mkdir(parents=True)
    with target.open("wb") as handle:
        write_mo(handle, catalog)
    environment.setattr(i18n, "LOCALEDIR", tmp_path)
    environment.setenv("LANG", "ar_IQ.UTF-8")
    return tmp_path


# 1. The mechanism: a filled catalog is used for the help, argparse's texts and the client's sentences


def test_help_comes_out_in_the_catalogs_language_argparse_headings_included(arabic, capsys):
    with pytest.raises(SystemExit) as excinfo:
        cli.main(["--help"])
    assert excinfo.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("الاستخدام: python -m client")
    assert "\nالخيارات:\n" in out
    assert "اعرض هذه المساعدة واخرج" in out
    assert "أبلغ سند عن تهديد، مشفّرًا على هذا الجهاز." in out
    assert "usage:" not in out and "options:" not in out
    # What the catalog does not have yet stays English.
    assert "e.g. https://sanad.example.org" in out


def test_argparse_errors_come_out_in_the_catalogs_language(arabic, capsys):
    with pytest.raises(SystemExit) as excinfo:
        cli.main(["--server", "https://sanad.example.org"])
    assert excinfo.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("الاستخدام: python -m client")
    assert err.splitlines()[-1] == "python -m client: خطأ: المعطيات التالية مطلوبة: command"


def test_prompts_and_the_clients_errors_come_out_in_the_catalogs_language(arabic, capsys, monkeypatch):
    prompts = []
    monkeypatch.setattr(cli.getpass, "getpass", lambda prompt="": prompts.append(prompt) or "1234")
    assert cli.main(["--server", "https://sanad.example.org", "withdraw"]) == 1
    assert prompts == ["الإيصال: "]  # refused before the reply key is asked for
    assert (
        capsys.readouterr().err.strip()
        == ARABIC[
            "A receipt is 20 digits in groups of four, like 1234-5678-9012-3456-7890: check it and type it again."
        ]
    )


def test_the_servers_refusal_is_asked_for_and_worded_in_the_same_language(arabic, fake, capsys, monkeypatch):
    fake.routes[("DELETE", "/api/v1/reports/")] = (401, {"error": "unknown_receipt", "detail": "غير معروف."})
    monkeypatch.setattr(cli.getpass, "getpass", lambda prompt="": RECEIPT if prompt == "الإيصال: " else "")
    assert cli.main(["--server", fake.url, "withdraw"]) == 1
    assert (
        capsys.readouterr().err.strip()
        == ARABIC["The server does not know this receipt: it may be mistyped, or the report was withdrawn."]
    )
    assert fake.requests[-1]["headers"]["Accept-Language"] == "ar"


# 2. Which language


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({"LANG": "ar_IQ.UTF-8"}, "ar"),
        ({"LANG": "ckb_IQ.UTF-8"}, "ckb"),
        ({"LANG": "ar"}, "ar"),
        ({"LANGUAGE": "ckb:ar"}, "ckb"),
        ({"LANGUAGE": "de:ar", "LANG": "ckb_IQ.UTF-8"}, "ar"),  # LANGUAGE first, then the first with a catalog
        ({"LANGUAGE": "en:ar"}, "en"),
        ({"LC_ALL": "ckb_IQ.UTF-8", "LANG": "ar_IQ.UTF-8"}, "ckb"),
        ({"LC_MESSAGES": "ar_IQ.UTF-8", "LANG": "ckb_IQ.UTF-8"}, "ar"),
        ({"LANG": "C"}, "en"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({"LANG": "POSIX"}, "en"),
        ({}, "en"),
        ({"LANG": "de_DE.UTF-8"}, "en"),
        ({"LANG": "en_GB.UTF-8"}, "en"),
        ({"LANGUAGE": "fr", "LANG": "C"}, "en"),
    ],
)
def test_the_language_follows_the_gettext_variables(environment, variables, expected):
    for name, value in variables.items():
        environment.setenv(name, value)
    assert i18n.language() == expected


@pytest.mark.parametrize(("lang", "expected"), [("ar_IQ.UTF-8", "ar"), ("ckb_IQ.UTF-8", "ckb"), ("C", "en")])
def test_requests_carry_the_language_as_accept_language(environment, fake, lang, expected):
    environment.setenv("LANG", lang)
    SanadClient(fake.url).withdraw(RECEIPT)
    SanadClient(fake.url).intake_keys()
    assert [request["headers"]["Accept-Language"] for request in fake.requests] == [expected, expected]


def test_english_is_the_text_of_the_source(environment, capsys):
    environment.setenv("LANG", "C.UTF-8")
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    assert capsys.readouterr().out.startswith("usage: python -m client")


# 3. The committed catalogs


def test_every_committed_mo_is_its_po_compiled():
    pos = sorted(build.LOCALE.glob(f"*/LC_MESSAGES/{i18n.DOMAIN}.po"))
    assert {po.parents[1].name for po in pos} == set(i18n.LANGUAGES)
    for po in pos:
        assert build.compile_mo(po) == po.with_suffix(".mo").read_bytes(), f"run python -m client.i18n_build: {po}"


def test_the_catalogs_are_up_to_date_with_the_source():
    assert build.stale() == [], "run .venv/bin/python -m client.i18n_build and commit what it changes"


def test_the_catalogs_have_the_plural_forms_of_each_language():
    for language, forms in build.PLURAL_FORMS.items():
        translation = gettext.GNUTranslations(build.po_path(language).with_suffix(".mo").open("rb"))
        assert translation.info()["plural-forms"] == forms
        assert translation.info()["language"] == language
        assert translation.info()["content-type"] == "text/plain; charset=utf-8"
    assert build.PLURAL_FORMS["ar"] == (
        "nplurals=6; plural=n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 : n%100>=11 && n%100<=99 ? 4 : 5;"
    )


def test_the_catalog_has_every_sentence_argparse_looks_up():
    def msgids(path: str, keywords: dict) -> set[str]:
        found = extract_from_file("python", path, keywords=keywords)
        return {message if isinstance(message, str) else message[0] for _, message, _, _ in found}

    ours = msgids(i18n.__file__, build.KEYWORDS)
    argparse_ids = msgids(argparse.__file__, {"_": None, "ngettext": (1, 2)})
    assert "usage: " in argparse_ids and "expected %s argument" in argparse_ids
    assert not argparse_ids - ours, "add these to client.i18n.ARGPARSE"


def test_the_client_needs_no_babel_at_run_time():
    code = (
        "import sys\nfrom client.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print('babel' in sys.modules, file=sys.stderr)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, env={"PATH": "", "LANG": "ar_IQ.UTF-8"}
    )
    assert result.stderr.strip() == "False", result.stderr
    assert result.stdout.startswith("الاستخدام: python -m client")  # the committed Arabic catalog, argparse's words too


def test_every_command_prints_its_sentence(environment, fake, capsys, monkeypatch, tmp_path):
    """Each command's last line goes through gettext (and nothing shadows `_` on the way)."""
    environment.setenv("LANG", "C.UTF-8")
    monkeypatch.setattr(cli.getpass, "getpass", lambda prompt="": RECEIPT if prompt == "Receipt: " else "")
    (tmp_path / "more.txt").write_text("more", encoding="utf-8")
    photo = tmp_path / "photo.png"
    Image.new("RGB", (4, 4)).save(photo)
    server = ["--server", fake.url]
    assert cli.main([*server, "followup", "--narrative-file", str(tmp_path / "more.txt")]) == 0
    assert cli.main([*server, "evidence", str(photo)]) == 0
    assert cli.main([*server, "withdraw"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "Follow-up sent.",
        "Photo metadata (EXIF, GPS, camera) removed.",
        "Evidence sent.",
        "Report withdrawn: its content is deleted and the receipt no longer works.",
    ]


def test_a_translation_that_would_lose_or_break_a_value_falls_back_to_english(arabic):
    assert i18n._f("The file {name} does not exist.", name="a.jpg") == "الملف a.jpg غير موجود."
    # The catalog's receipt line drops the number, its reply-key line renames the placeholder: English instead.
    assert i18n._f("Receipt: {receipt}", receipt="1234-5678") == "Receipt: 1234-5678"
    assert i18n._f("Reply key: {reply_key}", reply_key="abc") == "Reply key: abc"
