"""The reference client on its own: padding, proof of work, photo cleaning, vault. No server, no Django."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from client import content, vault
from client.images import strip_metadata
from client.pow import solve

ROOT = Path(__file__).resolve().parents[2]


def test_the_client_imports_no_django():
    code = "import sys, client.api, client.cli, client.images, client.vault; print('django' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, env={"PATH": ""})
    assert result.stdout.strip() == "False", result.stderr


@pytest.mark.parametrize("length", [0, 1, 900, 1000, 1024, 3000, 70000, 100000])
def test_content_is_padded_to_its_bucket_exactly(length):
    plaintext = content.report_content(narrative="ح" * length)
    assert len(plaintext) in content.BUCKETS or len(plaintext) == content.MAX_REPORT
    assert len(plaintext) >= len("ح".encode()) * length
    document = json.loads(plaintext)
    assert document["narrative"] == "ح" * length and set(document["pad"]) <= {"="}


def test_padding_never_exceeds_what_the_server_accepts():
    """Padded size plus the post-quantum HPKE overhead stays under the server's caps."""
    overhead = 1120 + 16
    assert len(content.report_content(narrative="x" * 200_000)) + overhead <= 256 * 1024
    assert len(content.followup_content("ح" * 17_000)) + overhead <= 64 * 1024
    with pytest.raises(content.TooLong):
        content.followup_content("ح" * 40_000)
    with pytest.raises(content.TooLong):
        content.report_content(narrative="x" * 300_000)


@pytest.mark.parametrize(
    "url", ["http://sanad.example.org", "ftp://sanad.example.org", "sanad.example.org", "http://10.0.0.5"]
)
def test_the_client_refuses_plain_http_except_on_this_machine(url):
    from client.api import SanadClient

    with pytest.raises(ValueError, match="https"):
        SanadClient(url)
    SanadClient("https://sanad.example.org")
    SanadClient("http://127.0.0.1:8000")
    SanadClient("http://localhost:8000")


def test_short_and_long_threats_look_alike():
    assert len(content.report_content(narrative="they called")) == len(content.report_content(narrative="x" * 800))


def test_evidence_plaintext_is_a_json_line_then_the_bytes():
    data = b"\x00\x01binary\nwith newline"
    plaintext = content.evidence_plaintext(filename="evidence.jpg", media_type="image/jpeg", data=data)
    header, _, rest = plaintext.partition(b"\n")
    assert rest == data
    assert json.loads(header) == {
        "filename": "evidence.jpg",
        "media_type": "image/jpeg",
        "sha256": hashlib.sha256(data).hexdigest(),
    }


@pytest.mark.parametrize("difficulty", [0, 1, 8, 12])
def test_proof_of_work_meets_the_difficulty(difficulty):
    challenge = "q2oN3D8lTQ2SPQ0h4cH1Tw"
    nonce = solve(challenge, difficulty)
    raw = __import__("base64").urlsafe_b64decode(challenge + "==")
    digest = int.from_bytes(hashlib.sha256(raw + nonce.encode()).digest(), "big")
    assert nonce.isdigit() and digest < (1 << (256 - difficulty))


def photo_with_metadata(fmt: str = "JPEG") -> bytes:
    image = Image.new("RGB", (64, 32), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "CanaryCamMaker"  # Make
    exif[0x0110] = "CanaryModel-X1"  # Model
    exif[0x0112] = 6  # Orientation: rotate 90
    exif[0x8825] = {1: "N", 2: (33.0, 18.0, 42.0), 3: "E", 4: (44.0, 22.0, 7.0)}  # GPS: central Baghdad
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, exif=exif.tobytes(), **({"quality": 95} if fmt == "JPEG" else {}))
    return buffer.getvalue()


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_photos_lose_every_metadata_and_keep_their_picture(fmt):
    original = photo_with_metadata(fmt)
    with Image.open(io.BytesIO(original)) as before:
        assert before.getexif().get(0x010F) == "CanaryCamMaker"
        assert before.getexif().get_ifd(0x8825), "the original must carry GPS for this test to mean anything"
    cleaned, media_type = strip_metadata(original)
    assert media_type == f"image/{fmt.lower()}"
    for canary in (b"CanaryCamMaker", b"CanaryModel-X1", b"Exif", b"GPS"):
        assert canary not in cleaned
    with Image.open(io.BytesIO(cleaned)) as after:
        assert not after.getexif()
        assert after.size == (32, 64)  # the orientation was applied before the tag was dropped
        assert after.info.get("exif") is None and after.info.get("icc_profile") is None


def test_non_images_are_refused_rather_than_sent_dirty():
    with pytest.raises(ValueError):
        strip_metadata(b"%PDF-1.7 not an image")


def test_vault_round_trip_and_wrong_passphrase(tmp_path):
    path = tmp_path / "report.vault"
    vault.save(path, {"receipt": "1234-5678-9012-3456-7890", "reply_key": "abc"}, "a long passphrase")
    raw = path.read_bytes()
    assert b"1234" not in raw and b"abc" not in raw
    assert path.stat().st_mode & 0o777 == 0o600
    assert vault.load(path, "a long passphrase")["receipt"] == "1234-5678-9012-3456-7890"
    with pytest.raises(vault.VaultError):
        vault.load(path, "a long passphrasE")
    tampered = bytearray(raw)
    tampered[-1] ^= 1
    path.write_bytes(bytes(tampered))
    with pytest.raises(vault.VaultError):
        vault.load(path, "a long passphrase")
    with pytest.raises(vault.VaultError):
        vault.save(tmp_path / "short", {}, "short")
