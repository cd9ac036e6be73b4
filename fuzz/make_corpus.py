"""python -m fuzz.make_corpus: write fuzz/corpus/<target>/ from what the app's own code produces.

The reference client (client.api.SanadClient) submits a report, a follow-up
and a piece of evidence to this checkout's server, in process: its HTTP
requests go to the Django test client instead of a socket, against a fresh
database under var/fuzz-corpus-db/. The bodies it sends, the receipt it gets
back, its proof of work and its vault file become seeds, with what the server
keeps (a sealed field, a wrapped key) and a few malformed inputs. The server's
key ids are written as fuzz.harness's placeholders. Run it again after
changing a wire format; commit what changes.
"""

from __future__ import annotations

import io
import json
import shutil
import sys
import urllib.error

from fuzz import harness

SEED_DB = harness.ROOT / "var" / "fuzz-corpus-db"


class _Answer(io.BytesIO):
    """What urllib's opener returns: a readable context manager."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class InProcessOpener:
    """Stands in for the client's urllib opener: each request goes to the Django test client, and is recorded."""

    def __init__(self) -> None:
        from django.test import Client

        self.server = Client(HTTP_HOST="127.0.0.1")
        self.sent: list[tuple[str, str, bytes | None]] = []

    def open(self, request, timeout=None):
        path = request.selector
        headers = {name.lower(): value for name, value in request.header_items()}
        data = request.data
        self.sent.append((request.get_method(), path, data))
        response = self.server.generic(
            request.get_method(),
            path,
            data=data or b"",
            content_type=headers.get("content-type", ""),
            headers={name: value for name, value in headers.items() if name != "content-type"},
        )
        if response.status_code >= 400:
            raise urllib.error.HTTPError(request.full_url, response.status_code, "", {}, io.BytesIO(response.content))
        return _Answer(response.content)

    def body(self, method: str, path: str) -> dict:
        return json.loads(next(data for m, p, data in reversed(self.sent) if (m, p) == (method, path)))


def _placeholders(body: dict) -> dict:
    from accounts.models import SharedKey

    suite = SharedKey.objects.get(key_id=body["key_id"]).suite
    return {**body, "key_id": harness.KEY_PLACEHOLDER + suite}


def _live(placeholder: str) -> str:
    key_id = harness.live_key_id(placeholder)
    assert key_id != placeholder, placeholder
    return key_id


def _json(value) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _reporter_session(x25519_only: bool) -> dict:
    """A report, a follow-up and a photo sent by the reference client; what it sent and got."""
    from PIL import Image

    from client import api, content, images

    class Client(api.SanadClient):
        def intake_keys(self):
            keys = super().intake_keys()
            return [key for key in keys if key.kem == "X25519"] if x25519_only else keys

    client = Client("http://127.0.0.1:8000")
    opener = client._opener = InProcessOpener()
    triage = api.Triage(
        category="phone_threat",
        governorate="IQ-BG",
        incident_month="2026-11",
        language="ar",
        immediate_danger=True,
        flags=["death_threat"],
        indicators=[
            {"type": "phone", "value": "0770 123 4567"},
            {"type": "telegram", "value": "https://t.me/s/some_channel"},
        ],
    )
    narrative = "رسالة تهديد من رقم مجهول بعد التقرير عن الاحتجاجات."
    submission = client.submit(
        narrative=narrative,
        triage=triage,
        occurred_on="2026-11-20",
        location_text="الكرادة",
        indicator_notes={"0770 123 4567": "اتصل مرتين"},
        contact={"method": "signal", "value": "+9647701234567"},
    )
    envelope = opener.body("POST", "/api/v1/reports/")
    client.follow_up(submission.receipt, "وصلتني رسالة ثانية اليوم.")
    followup = opener.body("POST", "/api/v1/reports/followups/")
    picture = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(picture, "PNG")
    photo, media_type = images.strip_metadata(picture.getvalue())
    client.add_evidence(submission.receipt, data=photo, filename="لقطة.png", media_type=media_type)
    evidence = opener.body("POST", "/api/v1/reports/evidence/")
    status = client.status(submission.receipt, submission.reply_key)
    assert status.status == "received", status
    return {
        "envelope": _placeholders(envelope),
        "followup": _placeholders(followup),
        "evidence": _placeholders(evidence),
        "receipt": submission.receipt,
        "reply_key": submission.reply_key,
        "report_plaintext": content.report_content(
            narrative=narrative, occurred_on="2026-11-20", indicators=[{**triage.indicators[0], "note": "x"}]
        ),
        "followup_plaintext": content.followup_content("وصلتني رسالة ثانية اليوم."),
        "evidence_plaintext": content.evidence_plaintext(filename="لقطة.png", media_type=media_type, data=photo),
    }


def _seeds() -> dict[str, dict[str, bytes]]:
    from accounts.models import SharedKey
    from backend import pow as pow_module
    from backend.crypto import hpke, keywrap
    from backend.crypto.sealed import KeyRing
    from backend.receipts import receipt_new
    from backend.sealed_fields import open_value, seal_value
    from client import hpke as client_hpke
    from client import vault
    from client.api import b64e
    from client.pow import solve
    from config.env import parse_key_ring
    from fuzz.targets import sealed as sealed_target
    from fuzz.targets import vault as vault_target
    from reports.models import Report

    with harness.pow_clock():
        mlkem = _reporter_session(x25519_only=False)
        x25519 = _reporter_session(x25519_only=True)
        # A proof of work issued earlier, expired by CLOCK; one with a wrong nonce.
        pow_module._now = lambda: harness.CLOCK - 3600
        old = pow_module.pow_challenge_issue()
        pow_module._now = lambda: harness.CLOCK
        fresh = pow_module.pow_challenge_issue()
    expired = {"challenge": old.challenge, "nonce": solve(old.challenge, old.difficulty)}
    nonce = int(solve(fresh.challenge, fresh.difficulty))
    wrong = {"challenge": fresh.challenge, "nonce": str(nonce + 1)}
    seeds: dict[str, dict[str, bytes]] = {}

    # The client pads what it encrypts to 1 KiB at least; HPKE of a short plaintext to the same key makes
    # seeds whose bytes are mostly triage, where mutations find more than in base64.
    x25519_key = SharedKey.objects.get(key_id=_live(x25519["envelope"]["key_id"]))

    def short_ciphertext(purpose: str) -> str:
        info = f"sanad/v1/{purpose}:{x25519_key.key_id}".encode()
        return b64e(client_hpke.seal("X25519", bytes(x25519_key.public_key), b"{}", info))

    envelope = mlkem["envelope"]
    seeds["envelope"] = {
        "client-x25519-short-ciphertext.json": _json({**x25519["envelope"], "ciphertext": short_ciphertext("report")}),
        "client-mlkem768-x25519.json": _json(envelope),
        "client-x25519.json": _json(x25519["envelope"]),
        "client-x25519-no-reply-key-no-indicators.json": _json(
            {
                **{k: v for k, v in x25519["envelope"].items() if k != "reply_public_key"},
                "triage": {**x25519["envelope"]["triage"], "indicators": []},
            }
        ),
        "unknown-key-and-fields.json": _json({**envelope, "key_id": "ik-000000000000", "extra": 1}),
        "triage-wrong-types.json": _json(
            {**envelope, "triage": {**envelope["triage"], "incident_month": "2026-13", "flags": "death_threat"}}
        ),
        "not-an-object.json": b"[1, 2, 3]",
        "nan.json": b'{"version": NaN}',
        "not-utf8.json": b'{"version": "\xff"}',
        "empty": b"",
    }
    seeds["content"] = {
        "followup-mlkem768-x25519.json": b"\x00" + _json(mlkem["followup"]),
        "followup-x25519.json": b"\x00" + _json(x25519["followup"]),
        "followup-x25519-short-ciphertext.json": b"\x00"
        + _json({**x25519["followup"], "ciphertext": short_ciphertext("followup")}),
        "evidence-mlkem768-x25519.json": b"\x01" + _json(mlkem["evidence"]),
        "evidence-x25519.json": b"\x01" + _json(x25519["evidence"]),
        "evidence-base64-not-canonical.json": b"\x01"
        + _json({**x25519["evidence"], "ciphertext": x25519["evidence"]["ciphertext"][:-1] + "_"}),
        "report-plaintext.json": b"\x02" + mlkem["report_plaintext"],
        "followup-plaintext.json": b"\x02" + mlkem["followup_plaintext"],
        "plaintext-lone-surrogate.json": b'\x02{"narrative": "\\ud83d", "indicators": 5}',
        "evidence-plaintext": b"\x03" + mlkem["evidence_plaintext"],
        "evidence-plaintext-no-header": b"\x03\x89PNG\r\n",
    }
    seeds["indicator"] = {
        f"{kind}-{n}": bytes([0 if kind == "phone" else 1]) + text.encode("utf-8")
        for kind, texts in {
            "phone": [
                "0770 123 4567",
                "+964 770 123 4567",
                "00964-770-123-4567",
                "٠٧٧٠١٢٣٤٥٦٧",
                "۰۷۷۰ ۱۲۳ ۴۵۶۷",
                "+90 532 123 45 67",
                "12",
            ],
            "telegram": [
                "@some_channel",
                "https://t.me/s/some_channel",
                "t.me/some_channel",
                "some_channel.t.me",
                "tg://resolve?domain=some_channel",
                "https://telegram.me/+AbCdEfGh12",
                "https://t.me/joinchat/AbCdEfGh12_-",
                "https://example.org/some_channel",
            ],
        }.items()
        for n, text in enumerate(texts)
    }
    receipt = mlkem["receipt"]
    arabic = receipt.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    persian = receipt.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")).replace("-", " ")
    seeds["receipt"] = {
        "server-receipt": receipt.encode(),
        "new-receipt": receipt_new().encode(),
        "arabic-indic": arabic.encode(),
        "persian-spaces": persian.encode(),
        "rtl-marks": ("\u200f" + receipt.replace("-", "\u200f-\u200f") + "\u200f").encode(),
        "header": f"Receipt {receipt}".encode(),
        "header-arabic-indic-utf8": f"Receipt {arabic}".encode(),
        "nineteen-digits": receipt[:-1].encode(),
        "letters": receipt.replace("1", "l").encode(),
    }
    seeds["pow"] = {
        "client-proof.json": _json(envelope["pow"]),
        "client-proof-followup.json": _json(mlkem["followup"]["pow"]),
        "expired.json": _json(expired),
        "wrong-nonce.json": _json(wrong),
        "arabic-indic-nonce.json": _json({**envelope["pow"], "nonce": "١٢٣"}),
        "missing-nonce.json": _json({"challenge": fresh.challenge}),
        "not-an-object.json": b'"pow"',
    }

    # What the server keeps: the first report's sealed triage details, sealed again for sealed_target.ROW
    # (the key ring's first key) and under the ring's second key alone (a row from before a rotation).
    stored = Report.objects.order_by("created_at").first()
    details = open_value(stored, "triage_sealed")
    ring = KeyRing.from_settings()
    older = KeyRing(parse_key_ring("SANAD_SEALING_KEYS", harness.ENVIRONMENT["SANAD_SEALING_KEYS"])[1:])
    row = Report(pk=sealed_target.ROW)
    personal = hpke.generate_private_key(hpke.Suite.X25519)
    seeds["sealed"] = {
        "b64url-reply-key": b"\x00" + envelope["reply_public_key"].encode(),
        "b64url-challenge": b"\x00" + envelope["pow"]["challenge"].encode(),
        "b64url-padded": b"\x00" + (envelope["reply_public_key"] + "=").encode(),
        "b64url-not-canonical": b"\x00" + (envelope["pow"]["challenge"][:-1] + "B").encode(),
        "sealed-triage": b"\x01" + seal_value(row, "triage_sealed", details, ring=ring),
        "sealed-triage-older-key": b"\x01" + seal_value(row, "triage_sealed", details, ring=older),
        "sealed-truncated": b"\x01\x01\x05fuzz1",
        "wrapped-key-cheapest": b"\x02"
        + keywrap.wrap(personal.raw, sealed_target.PASSWORD, context=sealed_target.CONTEXT, **sealed_target._CHEAP),
        "wrapped-key-dev-cost": b"\x02"
        + keywrap.wrap(
            personal.raw,
            sealed_target.PASSWORD,
            context=sealed_target.CONTEXT,
            time_cost=1,
            memory_cost=8 * 1024,
            parallelism=1,
        ),
        "wrapped-key-version-2": b"\x02\x02" + bytes(60),
        "round-trip-triage": b"\x03" + details,
    }

    vault_file = SEED_DB / "seed.vault"
    vault.save(vault_file, {"receipt": receipt, "reply_key": mlkem["reply_key"]}, vault_target.PASSPHRASE)
    saved = vault_file.read_bytes()
    seeds["vault"] = {
        "client-vault": saved,
        "truncated": saved[: len(vault.MAGIC) + 40],
        "not-a-vault": b"sanad-vault-2\n" + saved[len(vault.MAGIC) :],
    }
    return seeds


def main() -> None:
    shutil.rmtree(SEED_DB, ignore_errors=True)
    harness.configure_environment(SEED_DB)
    import django

    django.setup()
    harness.database_with_intake_keys()
    for target, files in _seeds().items():
        directory = harness.CORPUS / target
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True)
        for name, data in files.items():
            (directory / name).write_bytes(data)
        print(f"fuzz/corpus/{target}: {len(files)} seeds", file=sys.stderr)


if __name__ == "__main__":
    main()
