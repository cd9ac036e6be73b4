"""The command line as a reporter sees it, against a small fake server: receipts typed in any digits,
plain sentences for every failure, what is printed after submit, and the help. No Django."""

from __future__ import annotations

import json
import re
import socket
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import x25519

from client import cli, hpke, vault
from client.api import ClientError, SanadClient, ServerUnreachable, b64e
from client.receipts import MALFORMED, MalformedReceipt, receipt_canonical

ROOT = Path(__file__).resolve().parents[2]
RECEIPT = "4564-4218-9012-3456-7890"
ARABIC_INDIC = "٤٥٦٤ ٤٢١٨ ٩٠١٢ ٣٤٥٦ ٧٨٩٠"
PERSIAN = "۴۵۶۴-۴۲۱۸-۹۰۱۲-۳۴۵۶-۷۸۹۰"
MIXED = "٤٥٦٤\u00a0۴۲۱۸.9012\u2013٣٤٥٦ \u2212 ۷۸۹۰"
# What a reporter must never see in an error: Python's reprs and urllib's wording.
RAW = ("{", "}", "HTTP ", "'error'", "Errno", "urlopen", "Traceback", "codec")


class FakeServer:
    """Answers (method, path) from `routes`: (status, JSON-able body or raw bytes), or "hang up"."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.routes: dict[tuple[str, str], object] = {}
        self.receipt = "5576-8856-6427-0800-7096"
        self.intake_private = x25519.X25519PrivateKey.generate()
        self.routes[("GET", "/api/v1/intake-keys/")] = (200, [self.intake_key()])
        self.routes[("GET", "/api/v1/pow/")] = (200, {"challenge": "q2oN3D8lTQ2SPQ0h4cH1Tw", "difficulty": 0})
        self.routes[("POST", "/api/v1/reports/")] = (201, {"receipt": self.receipt, "status": "received"})
        self.routes[("GET", "/api/v1/reports/status/")] = (
            200,
            {"status": "received", "updated": "2026-11-21", "replies": []},
        )
        self.routes[("DELETE", "/api/v1/reports/")] = (200, {"status": "withdrawn"})
        for path in ("/api/v1/reports/followups/", "/api/v1/reports/evidence/"):
            self.routes[("POST", path)] = (201, {"status": "stored"})

    def intake_key(self) -> dict:
        raw = self.intake_private.public_key().public_bytes_raw()
        return {
            "key_id": "ik-test",
            "kem": "X25519",
            "kdf": "HKDF-SHA256",
            "aead": "AES-256-GCM",
            "public_key": b64e(raw),
        }

    def handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                server.requests.append(
                    {"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body}
                )
                route = server.routes.get(
                    (self.command, self.path), (404, {"error": "not_found", "detail": "Not found."})
                )
                if route == "hang up":
                    self.close_connection = True
                    return
                status, payload = route
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_DELETE = answer

        return Handler


@pytest.fixture
def typed(monkeypatch):
    """What the reporter types at the getpass prompts, in order."""
    answers: list[str] = []
    monkeypatch.setattr(cli.getpass, "getpass", lambda prompt="": answers.pop(0))
    return answers


def submit_args(tmp_path, *extra: str, governorate: str = "IQ-DQ") -> list[str]:
    (tmp_path / "story.txt").write_text("canary-narrative-77 they know where my mother lives", encoding="utf-8")
    return [
        "submit",
        "--category",
        "phone_threat",
        "--governorate",
        governorate,
        "--month",
        "2026-11",
        "--narrative-file",
        str(tmp_path / "story.txt"),
        *extra,
    ]


def assert_plain(err: str, lines: int = 1) -> None:
    assert len(err.strip().splitlines()) == lines, err
    assert not any(raw in err for raw in RAW), err
    assert "canary-narrative" not in err


# 1. Receipts in Arabic-Indic and Persian digits


@pytest.mark.parametrize("text", [RECEIPT, ARABIC_INDIC, PERSIAN, MIXED, f"  {ARABIC_INDIC}\n", "45644218901234567890"])
def test_receipt_canonical_accepts_every_digit_script_and_separator(text):
    assert receipt_canonical(text) == RECEIPT


@pytest.mark.parametrize(
    "text",
    [
        "4564-4218-9012-3456-789",  # 19 digits
        "4564-4218-9012-3456-78901",  # 21
        "Receipt: 4564-4218-9012-3456-7890",
        "4564_4218_9012_3456_7890",
        "४५६४-४२१८-९०१२-३४५६-७८९०",  # Devanagari: not what the server accepts
        "4564 " * 13,
        "",
    ],
)
def test_receipt_canonical_refuses_anything_else(text):
    with pytest.raises(MalformedReceipt):
        receipt_canonical(text)


@pytest.mark.parametrize("text", [ARABIC_INDIC, PERSIAN, MIXED])
def test_a_receipt_typed_in_arabic_indic_or_persian_digits_is_sent_in_ascii(fake, typed, capsys, text):
    typed.extend([text, ""])
    assert cli.main(["--server", fake.url, "status"]) == 0, capsys.readouterr().err
    assert "Status: received, waiting to be read" in capsys.readouterr().out
    assert fake.requests[-1]["headers"]["Authorization"] == f"Receipt {RECEIPT}"

    SanadClient(fake.url).withdraw(text)  # the library normalises too
    assert fake.requests[-1]["headers"]["Authorization"] == f"Receipt {RECEIPT}"


@pytest.mark.parametrize("command", ["status", "withdraw", "followup"])
def test_a_malformed_receipt_is_refused_before_anything_is_sent(fake, typed, capsys, monkeypatch, command):
    typed.extend(["٤٥٦٤ ٤٢١٨ 7777", ""])
    monkeypatch.setattr(cli.sys, "stdin", None)  # a follow-up would read its text here: it must not get that far
    assert cli.main(["--server", fake.url, command]) == 1
    err = capsys.readouterr().err
    assert err.strip() == MALFORMED
    assert "7777" not in err and "٤٥٦٤" not in err
    assert fake.requests == []


# 2. Plain sentences for refusals and for connection failures


def test_field_errors_become_one_plain_sentence_each(fake, capsys, tmp_path):
    fake.routes[("POST", "/api/v1/reports/")] = (
        400,
        {
            "error": "invalid",
            "detail": {
                "triage.governorate": "Must be an ISO 3166-2:IQ code (e.g. IQ-BG) or a country code for abroad.",
                "triage.indicators[1].value": "Not a phone number.",
                "pow": ["Unknown or expired challenge; fetch a new one."],
            },
        },
    )
    assert cli.main(["--server", fake.url, *submit_args(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert_plain(err, lines=3)
    assert err.splitlines() == [
        "The governorate was refused: must be an ISO 3166-2:IQ code (e.g. IQ-BG) or a country code for abroad.",
        "Phone number or Telegram name 2 was refused: not a phone number.",
        "The proof of work was refused: unknown or expired challenge; fetch a new one.",
    ]


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (401, {"error": "unknown_receipt", "detail": "Unknown receipt."}, "does not know this receipt"),
        (
            429,
            {"error": "throttled", "detail": "Request was throttled. Expected available in 60 seconds."},
            "wait a minute",
        ),
        (
            400,
            {"error": "invalid", "detail": {"body": "This report was withdrawn."}},
            "refused the request: this report was withdrawn.",
        ),
        (
            413,
            {"error": "payload_too_large", "detail": "Request body too large."},
            "refused the request: request body too large.",
        ),
        (500, b"<html>Internal Server Error</html>", "had a problem (error 500)"),
        (502, b"<html>Bad gateway</html>", "had a problem (error 502)"),
        (418, b"not json", "refused the request (error 418)"),
    ],
)
def test_server_refusals_on_receipt_calls_are_plain_sentences(fake, typed, capsys, status, body, expected):
    fake.routes[("DELETE", "/api/v1/reports/")] = (status, body)
    typed.extend([ARABIC_INDIC, ""])
    assert cli.main(["--server", fake.url, "withdraw"]) == 1
    err = capsys.readouterr().err
    assert expected in err
    assert_plain(err)
    assert RECEIPT not in err and "4564" not in err


def test_client_error_keeps_status_and_body_for_library_users(fake):
    body = {"error": "unknown_receipt", "detail": "Unknown receipt."}
    fake.routes[("DELETE", "/api/v1/reports/")] = (401, body)
    with pytest.raises(ClientError) as excinfo:
        SanadClient(fake.url).withdraw(RECEIPT)
    assert excinfo.value.status == 401 and excinfo.value.body == body
    assert (
        str(excinfo.value) == "The server does not know this receipt: it may be mistyped, or the report was withdrawn."
    )


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def refuse_names(*args, **kwargs):
    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


def time_out(*args, **kwargs):
    raise TimeoutError("timed out")


@pytest.mark.parametrize("failure", ["refused", "name", "timeout", "tls"])
def test_connection_failures_say_the_server_could_not_be_reached(fake, capsys, tmp_path, monkeypatch, failure):
    server = {
        "refused": f"http://127.0.0.1:{closed_port()}",
        "name": "https://sanad.invalid",
        "timeout": "https://sanad.example.org",
        "tls": fake.url.replace("http://", "https://"),  # TLS spoken to a plain-HTTP server
    }[failure]
    if failure == "name":
        monkeypatch.setattr(socket, "getaddrinfo", refuse_names)
    if failure == "timeout":
        monkeypatch.setattr(socket, "create_connection", time_out)
    assert cli.main(["--server", server, *submit_args(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert_plain(err)
    assert err.startswith("The server could not be reached") and "nothing was sent or stored" in err
    with pytest.raises(ServerUnreachable) as excinfo:
        SanadClient(server).intake_keys()
    assert excinfo.value.status is None and isinstance(excinfo.value, ClientError)


def test_a_connection_lost_after_sending_does_not_claim_nothing_was_stored(fake, capsys, tmp_path):
    fake.routes[("POST", "/api/v1/reports/")] = "hang up"
    assert cli.main(["--server", fake.url, *submit_args(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert_plain(err)
    assert "cannot tell whether anything was stored" in err


@pytest.mark.parametrize(
    "answer",
    [
        b"<html>Welcome to the hotel wifi</html>",
        {"unexpected": 1},
        [{"kem": "X25519", "kdf": "HKDF-SHA256", "aead": "AES-256-GCM"}],  # no public key
    ],
)
def test_an_answer_this_client_does_not_understand_is_a_plain_sentence(fake, capsys, tmp_path, answer):
    fake.routes[("GET", "/api/v1/intake-keys/")] = (200, answer)
    assert cli.main(["--server", fake.url, *submit_args(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert_plain(err)
    assert err.strip() == "The server sent an answer this client does not understand."
    assert not any(request["method"] == "POST" for request in fake.requests)


def test_a_bad_reply_key_is_a_plain_sentence(fake, typed, capsys):
    typed.extend([RECEIPT, "not a key!"])
    assert cli.main(["--server", fake.url, "status"]) == 1
    assert capsys.readouterr().err.strip() == "The reply key is not valid: check that it was copied whole."
    assert fake.requests == []

    sealed = hpke._suite(hpke.X25519).encrypt(
        b'{"body": "canary-reply"}', x25519.X25519PrivateKey.generate().public_key(), info=b"sanad/v1/reply"
    )
    fake.routes[("GET", "/api/v1/reports/status/")] = (
        200,
        {"status": "in_review", "updated": "2026-11-21", "replies": [b64e(sealed)]},
    )
    other_key = b64e(x25519.X25519PrivateKey.generate().private_bytes_raw())
    typed.extend([RECEIPT, other_key])
    assert cli.main(["--server", fake.url, "status"]) == 1
    err = capsys.readouterr().err
    assert err.strip() == "A reply could not be opened with this reply key."
    assert other_key not in err and "canary-reply" not in err


def test_a_missing_file_is_a_plain_sentence(fake, capsys, tmp_path):
    args = submit_args(tmp_path)
    args[args.index("--narrative-file") + 1] = str(tmp_path / "nowhere.txt")
    assert cli.main(["--server", fake.url, *args]) == 1
    err = capsys.readouterr().err
    assert err.strip() == f"The file {tmp_path / 'nowhere.txt'} does not exist."
    assert fake.requests == []


# 3. --keep-filename


def test_keep_filename_has_help_that_warns_about_the_original_name(capsys):
    with pytest.raises(SystemExit) as excinfo:
        cli.main(["--server", "https://sanad.example.org", "evidence", "--help"])
    assert excinfo.value.code == 0
    help_text = " ".join(capsys.readouterr().out.split())
    assert re.search(r"--keep-filename Send the file under its original name", help_text)
    assert "can identify your phone or the moment" in help_text


def test_readme_says_what_keep_filename_does():
    section = readme_section()
    assert "never under the original name" not in section
    assert "--keep-filename" in section


# 4. What submit prints, with and without --save


def readme_section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("## A reporter's session with the command-line client")
    end = text.index("\n## ", start + 1)
    return text[start:end]


def test_submit_with_save_shows_the_receipt_once_and_never_the_reply_key(fake, capsys, tmp_path):
    (tmp_path / "phrase").write_text("correct horse battery")
    vault_path = tmp_path / "me.vault"
    assert (
        cli.main(
            [
                "--server",
                fake.url,
                *submit_args(tmp_path, "--save", str(vault_path), "--passphrase-file", str(tmp_path / "phrase")),
            ]
        )
        == 0
    )
    captured = capsys.readouterr()
    reply_key = vault.load(vault_path, "correct horse battery")["reply_key"]
    shown = captured.out + captured.err
    assert reply_key not in shown and "Reply key" not in shown
    assert shown.count(fake.receipt) == 1
    assert captured.out.splitlines() == [
        f"Receipt and reply key saved, encrypted, to {vault_path}.",
        f"Receipt: {fake.receipt}",
        "Write the receipt down and keep it secret: it lets you follow up or withdraw even without the vault.",
    ]


def test_submit_without_save_shows_the_receipt_and_the_reply_key(fake, capsys, tmp_path):
    assert cli.main(["--server", fake.url, *submit_args(tmp_path)]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == f"Receipt: {fake.receipt}" and out.count(fake.receipt) == 1
    assert re.fullmatch(r"Reply key: [A-Za-z0-9_-]{43}", lines[1])  # the format bin/dev-run filters on
    assert lines[2].startswith("Keep both secret")


def test_a_failed_save_still_shows_both_so_they_can_be_written_down(fake, capsys, tmp_path):
    (tmp_path / "phrase").write_text("correct horse battery")
    target = tmp_path / "no-such-folder" / "me.vault"
    args = submit_args(tmp_path, "--save", str(target), "--passphrase-file", str(tmp_path / "phrase"))
    assert cli.main(["--server", fake.url, *args]) == 0
    captured = capsys.readouterr()
    assert (
        captured.err.strip()
        == f"The vault could not be saved to {target}: write down the receipt and reply key below now."
    )
    assert f"Receipt: {fake.receipt}" in captured.out and "Reply key: " in captured.out


def test_the_readme_shows_what_submit_save_prints(fake, capsys, tmp_path):
    """The README's transcript of `submit --save` is the client's own output (receipt and path aside)."""
    (tmp_path / "phrase").write_text("correct horse battery")
    vault_path = tmp_path / "me.vault"
    args = submit_args(tmp_path, "--save", str(vault_path), "--passphrase-file", str(tmp_path / "phrase"))
    assert cli.main(["--server", fake.url, *args]) == 0
    printed = capsys.readouterr().out.replace(str(vault_path), "VAULT").replace(fake.receipt, "RECEIPT")

    transcript = readme_section().split("```")[1].splitlines()
    start = transcript.index("Again:") + 1
    end = next(i for i in range(start, len(transcript)) if transcript[i].startswith("$ "))
    shown = "\n".join(transcript[start:end])
    shown = re.sub(r"\d{4}(-\d{4}){4}", "RECEIPT", shown.replace("/home/me/report.vault", "VAULT"))
    assert shown.splitlines() == printed.splitlines()


# 5. Governorates


def test_submit_help_lists_every_governorate_with_its_name(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--server", "https://sanad.example.org", "submit", "--help"])
    out = capsys.readouterr().out
    expected = {
        "IQ-AN": "Anbar", "IQ-AR": "Erbil", "IQ-BA": "Basra", "IQ-BB": "Babil", "IQ-BG": "Baghdad",
        "IQ-DA": "Duhok", "IQ-DI": "Diyala", "IQ-DQ": "Dhi Qar", "IQ-KA": "Karbala", "IQ-KI": "Kirkuk",
        "IQ-MA": "Maysan", "IQ-MU": "Muthanna", "IQ-NA": "Najaf", "IQ-NI": "Nineveh", "IQ-QA": "Al-Qadisiyah",
        "IQ-SD": "Salah al-Din", "IQ-SU": "Sulaymaniyah", "IQ-WA": "Wasit", "IQ-HA": "Halabja",
        "IQ-KR": "Kurdistan Region",
    }  # fmt: skip
    for code, name in expected.items():
        assert re.search(rf"^\s+{code}\s+{name}$", out, re.MULTILINE), code
    flat = " ".join(out.split())
    assert "two-letter code of the country" in flat
    assert "TR (Turkey)" in flat and "JO (Jordan)" in flat and "DE (Germany)" in flat


@pytest.mark.parametrize(("given", "sent"), [("IQ-BG", "IQ-BG"), ("iq-su", "IQ-SU"), ("TR", "TR"), (" jo ", "JO")])
def test_governorates_and_country_codes_are_accepted(fake, capsys, tmp_path, given, sent):
    assert cli.main(["--server", fake.url, *submit_args(tmp_path, governorate=given)]) == 0
    posted = json.loads(fake.requests[-1]["body"])
    assert posted["triage"]["governorate"] == sent


@pytest.mark.parametrize("given", ["IQ-XX", "Baghdad", "T", "TUR", "ÉS", "I1"])
def test_an_unknown_governorate_is_refused_before_anything_is_sent(fake, capsys, tmp_path, given):
    with pytest.raises(SystemExit) as excinfo:
        cli.main(["--server", fake.url, *submit_args(tmp_path, governorate=given)])
    assert excinfo.value.code == 2
    err = capsys.readouterr().err
    assert "is not a place code this client knows" in err and "IQ-BG for Baghdad" in err
    assert fake.requests == []
