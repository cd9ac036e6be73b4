"""The reference client's CLI against a live test server: a reporter's whole session."""

from __future__ import annotations

import json
import re

import pytest

from accounts.services import personal_key_unlock, shared_key_unlock
from backend.crypto import hpke
from client import cli
from client.cli import main
from client.tests.test_client_units import photo_with_metadata
from reports.models import Evidence, FollowUp, Reply, Report, ReportState
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)
NARRATIVE = "They called from 0770 123 4567 and said they know where my mother lives. canary-live-4d2"


def staff_key(personas, report):
    alice = personas["alice"]
    return shared_key_unlock(
        shared_key=report.intake_key, user=alice, personal_key=personal_key_unlock(user=alice, password=PASSWORD)
    )


def test_a_reporters_session_from_submit_to_withdraw(personas, live_server, tmp_path, capsys):
    server = ["--server", live_server.url]
    secrets = ["--vault", str(tmp_path / "me.vault"), "--passphrase-file", str(tmp_path / "phrase")]
    (tmp_path / "phrase").write_text("correct horse battery")
    (tmp_path / "story.txt").write_text(NARRATIVE)

    code = main(
        server
        + [
            "submit",
            "--category",
            "phone_threat",
            "--governorate",
            "IQ-DQ",
            "--month",
            "2026-11",
            "--flag",
            "death_threat",
            "--flag",
            "family_targeted",
            "--phone",
            "0770 123 4567",
            "--narrative-file",
            str(tmp_path / "story.txt"),
            "--save",
            str(tmp_path / "me.vault"),
            "--passphrase-file",
            str(tmp_path / "phrase"),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "Receipt: " in out and "saved, encrypted" in out
    assert b"canary" not in (tmp_path / "me.vault").read_bytes()

    report = Report.objects.get()
    assert report.intake_key.suite == "MLKEM768-X25519"  # the client preferred the post-quantum key
    document = json.loads(
        hpke.decrypt(
            staff_key(personas, report), bytes(report.ciphertext), info=hpke.report_info(report.intake_key.key_id)
        )
    )
    assert document["narrative"] == NARRATIVE
    assert document["indicators"][0]["value"] == "0770 123 4567"

    assert main(server + ["status"] + secrets) == 0
    assert "Status: received, waiting to be read" in capsys.readouterr().out

    public = hpke.load_public_key(hpke.Suite.X25519, bytes(report.reply_public_key))
    reply = json.dumps({"body": "We are with you. Call us on Signal.", "sent_at": "2026-11-21T10:00:00Z"}).encode()
    Reply.objects.create(report=report, ciphertext=hpke.encrypt(public, reply, info=hpke.REPLY_INFO))
    Report.objects.filter(pk=report.pk).update(state=ReportState.ASSIGNED)
    assert main(server + ["status"] + secrets) == 0
    out = capsys.readouterr().out
    assert "Status: being worked on" in out and "We are with you. Call us on Signal." in out

    (tmp_path / "more.txt").write_text("They came to the street today.")
    assert main(server + ["followup", "--narrative-file", str(tmp_path / "more.txt")] + secrets) == 0
    followup = FollowUp.objects.get()
    opened = json.loads(
        hpke.decrypt(
            staff_key(personas, report), bytes(followup.ciphertext), info=hpke.followup_info(followup.intake_key.key_id)
        )
    )
    assert opened["narrative"] == "They came to the street today."

    photo = tmp_path / "IMG_20261121_093012.jpg"
    photo.write_bytes(photo_with_metadata())
    assert main(server + ["evidence", str(photo)] + secrets) == 0
    assert "metadata" in capsys.readouterr().out
    evidence = Evidence.objects.get()
    plaintext = hpke.decrypt(
        staff_key(personas, report), bytes(evidence.ciphertext), info=hpke.evidence_info(evidence.intake_key.key_id)
    )
    header, _, data = plaintext.partition(b"\n")
    meta = json.loads(header)
    assert meta["filename"] == "evidence.jpg" and meta["media_type"] == "image/jpeg"  # no telling file name
    assert b"CanaryCamMaker" not in data and b"GPS" not in data and data[:2] == b"\xff\xd8"

    assert main(server + ["withdraw"] + secrets) == 0
    assert Report.objects.get().state == ReportState.WITHDRAWN
    assert not FollowUp.objects.exists() and not Evidence.objects.exists()
    assert main(server + ["status"] + secrets) == 1
    err = capsys.readouterr().err
    assert err.strip() == "The server does not know this receipt: it may be mistyped, or the report was withdrawn."


def test_no_content_reaches_files_on_disk(personas, live_server, tmp_path, settings, capsys):
    """After a whole session, nothing under var/ (broker, static, secrets) holds what the reporter wrote."""
    test_a_reporters_session_from_submit_to_withdraw(personas, live_server, tmp_path, capsys)
    for path in settings.VAR_DIR.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert b"canary-live-4d2" not in data and b"7701234567" not in data, path


def test_the_client_reports_a_refusal_clearly(personas, live_server, tmp_path, capsys):
    (tmp_path / "story.txt").write_text("x")
    code = main(
        [
            "--server",
            live_server.url,
            "submit",
            "--category",
            "phone_threat",
            "--governorate",
            "XX",  # the form of a country code, so only the server can refuse it
            "--month",
            "1999-12",
            "--narrative-file",
            str(tmp_path / "story.txt"),
        ]
    )
    assert code == 1
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 2, err  # one plain sentence per refused field
    assert "The governorate was refused: must be an ISO 3166-2:IQ code" in err
    assert "The month of the incident was refused: must not be in the future or before 2000." in err
    for raw in ("{", "HTTP", "'error'", "triage."):
        assert raw not in err, err
    assert not Report.objects.exists()


ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def test_a_receipt_typed_in_arabic_indic_or_persian_digits_works(personas, live_server, tmp_path, capsys, monkeypatch):
    """Without --save both secrets are printed once; typed back in Eastern digits, the receipt still works."""
    server = ["--server", live_server.url]
    (tmp_path / "story.txt").write_text(NARRATIVE)
    code = main(
        server
        + [
            "submit",
            "--category",
            "phone_threat",
            "--governorate",
            "IQ-SU",
            "--month",
            "2026-11",
            "--narrative-file",
            str(tmp_path / "story.txt"),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    receipt = re.search(r"^Receipt: (\d{4}(?:-\d{4}){4})$", out, re.MULTILINE).group(1)
    reply_key = re.search(r"^Reply key: (\S+)$", out, re.MULTILINE).group(1)
    assert out.count(receipt) == 1 and out.count(reply_key) == 1

    typed: list[str] = []
    monkeypatch.setattr(cli.getpass, "getpass", lambda prompt="": typed.pop(0))
    arabic = " ".join(receipt.replace("-", "")[i : i + 4] for i in range(0, 20, 4)).translate(ARABIC_INDIC)
    typed.extend([arabic, reply_key])
    assert main(server + ["status"]) == 0, capsys.readouterr().err
    assert "Status: received, waiting to be read" in capsys.readouterr().out

    persian = receipt.translate(PERSIAN).replace("-", "\u00a0", 2)  # mixed separators, as phones type them
    typed.extend([persian, ""])
    assert main(server + ["withdraw"]) == 0, capsys.readouterr().err
    assert Report.objects.get().state == ReportState.WITHDRAWN


def test_the_client_never_follows_a_redirect(personas, live_server):
    from client.api import ClientError, SanadClient

    with pytest.raises(ClientError) as excinfo:
        SanadClient(live_server.url)._call("GET", "/admin", receipt="1234-5678-9012-3456-7890")  # 301 to /admin/
    assert excinfo.value.status == 301


def test_photos_are_cleaned_whatever_their_name_and_other_files_need_consent(personas, live_server, tmp_path, capsys):
    (tmp_path / "phrase").write_text("correct horse battery")
    (tmp_path / "story.txt").write_text("x")
    secrets = ["--vault", str(tmp_path / "v"), "--passphrase-file", str(tmp_path / "phrase")]
    server = ["--server", live_server.url]
    assert (
        main(
            server
            + [
                "submit",
                "--category",
                "other",
                "--governorate",
                "TR",
                "--month",
                "2026-11",
                "--narrative-file",
                str(tmp_path / "story.txt"),
                "--save",
                str(tmp_path / "v"),
                "--passphrase-file",
                str(tmp_path / "phrase"),
            ]
        )
        == 0
    )
    nameless = tmp_path / "photo_from_messenger.bin"
    nameless.write_bytes(photo_with_metadata())
    assert main(server + ["evidence", str(nameless)] + secrets) == 0
    evidence = Evidence.objects.get()
    report = evidence.report
    plaintext = hpke.decrypt(
        staff_key(personas, report), bytes(evidence.ciphertext), info=hpke.evidence_info(evidence.intake_key.key_id)
    )
    header, _, data = plaintext.partition(b"\n")
    assert json.loads(header)["media_type"] == "image/jpeg" and b"CanaryCamMaker" not in data

    document = tmp_path / "statement.pdf"
    document.write_bytes(b"%PDF-1.7 Author: canary-author")
    with pytest.raises(SystemExit, match="allow-unstripped"):
        main(server + ["evidence", str(document)] + secrets)
    assert Evidence.objects.count() == 1
    assert main(server + ["evidence", str(document), "--allow-unstripped"] + secrets) == 0
    assert Evidence.objects.count() == 2


def test_a_bad_vault_passphrase_stops_before_anything_is_submitted(personas, live_server, tmp_path, capsys):
    (tmp_path / "short").write_text("short")
    (tmp_path / "story.txt").write_text("x")
    code = main(
        [
            "--server",
            live_server.url,
            "submit",
            "--category",
            "other",
            "--governorate",
            "IQ-BG",
            "--month",
            "2026-11",
            "--narrative-file",
            str(tmp_path / "story.txt"),
            "--save",
            str(tmp_path / "v"),
            "--passphrase-file",
            str(tmp_path / "short"),
        ]
    )
    assert code == 1 and "at least 8" in capsys.readouterr().err
    assert not Report.objects.exists()  # no report whose receipt would be lost
