"""Photos lose their metadata in the browser before encryption (web/src/photo.js), in headless Chromium: a
JPEG carrying GPS coordinates, a camera's make and model, an owner's name and a comment comes out with
none of them, upright, under a neutral name; and the caseworker's decrypted copy, sent through the
engine, has none either."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

from accounts.models import Coverage
from accounts.services import personal_key_unlock
from reports import access
from reports.models import Report
from reports.triage import report_triage
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PHOTO = "/static/sanad/web/photo.js"
ENGINE = "/static/sanad/web/reporter.js"
CANARIES = [b"CanaryCam", b"Model-X9", b"Ahmed K.", b"taken at my door"]
STRIP = """async ([data, type]) => {
  const { stripped } = await import('PHOTO');
  const file = new File([Uint8Array.from(atob(data), (c) => c.charCodeAt(0))], 'IMG_20261201_083015.jpg', { type });
  const out = await stripped(file, 1);
  return { data: btoa(String.fromCharCode(...out.data)), filename: out.filename, mediaType: out.mediaType };
}""".replace("PHOTO", PHOTO)


def tagged_jpeg(width=320, height=200, orientation=1) -> bytes:
    """A JPEG with EXIF: GPS (Baghdad), camera make and model, artist, a comment, and an orientation."""
    image = Image.new("RGB", (width, height), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "CanaryCam"  # Make
    exif[0x0110] = "Model-X9"  # Model
    exif[0x013B] = "Ahmed K."  # Artist
    exif[0x0112] = orientation  # Orientation
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (33.0, 18.0, 45.0), 3: "E", 4: (44.0, 21.0, 58.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, comment=b"taken at my door")
    data = out.getvalue()
    assert all(canary in data for canary in CANARIES) and b"Exif" in data  # the test's own premise
    return data


def read(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


@pytest.fixture
def page(chromium, live_server):
    page = chromium.new_context().new_page()
    page.goto(f"{live_server.url}{PHOTO}")
    return page


def test_a_photo_comes_out_with_pixels_only(page):
    out = page.evaluate(STRIP, [base64.b64encode(tagged_jpeg()).decode(), "image/jpeg"])
    data = base64.b64decode(out["data"])
    assert (out["filename"], out["mediaType"]) == ("photo-1.jpg", "image/jpeg")
    assert not any(canary in data for canary in CANARIES)
    assert b"Exif" not in data and b"GPS" not in data
    image = read(data)
    assert image.size == (320, 200) and not image.getexif() and "comment" not in image.info
    red, green, blue = image.getpixel((160, 100))
    assert red > 150 and green < 80 and blue < 80  # the pixels themselves came through


def test_a_photo_taken_sideways_comes_out_upright(page):
    """Orientation 6: the camera was turned; the tag that said so is dropped, so the pixels are turned."""
    out = page.evaluate(STRIP, [base64.b64encode(tagged_jpeg(320, 200, orientation=6)).decode(), "image/jpeg"])
    assert read(base64.b64decode(out["data"])).size == (200, 320)


def test_a_large_photo_is_made_smaller(page):
    out = page.evaluate(STRIP, [base64.b64encode(tagged_jpeg(4000, 1000)).decode(), "image/jpeg"])
    assert read(base64.b64decode(out["data"])).size == (2560, 640)


def test_the_caseworkers_decrypted_copy_has_no_metadata(page, live_server, personas, settings):
    settings.SANAD_POW_BASE_BITS = 6
    alice = personas["alice"]
    Coverage.objects.create(user=alice, governorates=["IQ-BG"], languages=["ar"])
    sent = page.evaluate(
        """async ([data, base, engineUrl, photoUrl]) => {
          const engine = await import(engineUrl);
          const { stripped } = await import(photoUrl);
          const triage = { category: 'telegram_doxxing', governorate: 'IQ-BG', incident_month: '2026-11',
                           immediate_danger: false, needs_relocation: false, flags: ['photo_exposed'], indicators: [] };
          const workerUrl = '/static/sanad/web/pow-worker.js';
          const { secret } = await engine.submitReport({ base, language: 'ar', triage, workerUrl,
                                                         content: { narrative: 'صورتي منشورة' } });
          const file = new File([Uint8Array.from(atob(data), (c) => c.charCodeAt(0))], 'IMG_1.jpg', { type: 'image/jpeg' });
          const photo = await stripped(file, 1);
          await engine.addEvidence({ base, language: 'ar', secret, filename: photo.filename,
                                     mediaType: photo.mediaType, data: photo.data, workerUrl });
          return secret;
        }""",
        [base64.b64encode(tagged_jpeg()).decode(), live_server.url, ENGINE, PHOTO],
    )
    assert sent
    report = Report.objects.get()
    report_triage(report_id=report.pk)
    report.refresh_from_db()  # now assigned to alice
    evidence = report.evidence.get()
    meta, data = access.evidence_open(
        user=alice, evidence=evidence, personal_key=personal_key_unlock(user=alice, password=PASSWORD)
    )
    assert meta["filename"] == "photo-1.jpg" and meta["media_type"] == "image/jpeg"
    assert not any(canary in data for canary in CANARIES) and b"Exif" not in data
    assert read(data).size == (320, 200)
