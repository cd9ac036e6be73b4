"""API error details follow the request's Accept-Language (ar, ckb, en); the error code, the field paths,
the status and the JSON shape do not."""

from __future__ import annotations

import re

import pytest

from reports.models import Report

pytestmark = pytest.mark.django_db

ARABIC_SCRIPT = re.compile(r"[\u0600-\u06FF]")


@pytest.fixture
def refused(personas, envelope, submit):
    """POST a malformed envelope (wrong version, unknown field, bad governorate) in a language."""

    def post(language: str):
        body = envelope(version=2, extra=1)
        body["triage"]["governorate"] = "IQ-XX"
        response = submit(body, HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 400, response.content
        return response

    return post


def test_a_refusal_in_english_has_an_english_detail(refused):
    body = refused("en").json()
    assert body == {
        "error": "invalid",
        "detail": {
            "extra": "Unknown field.",
            "version": "Must be 1.",
            "triage.governorate": "Must be an ISO 3166-2:IQ code (e.g. IQ-BG) or a country code for abroad.",
        },
    }
    assert Report.objects.count() == 0


@pytest.mark.parametrize("language", ["ar", "ckb"])
def test_a_refusal_keeps_its_code_and_fields_and_says_which_language_it_speaks(refused, language):
    english = refused("en").json()
    response = refused(language)
    body = response.json()
    assert body["error"] == english["error"] == "invalid"
    assert set(body["detail"]) == set(english["detail"])  # field paths are never translated
    assert response["Content-Language"] == language
    assert "Accept-Language" in response["Vary"]
    assert Report.objects.count() == 0


@pytest.mark.parametrize("language", ["ar", "ckb"])
def test_a_refusal_is_explained_in_the_reporters_language(refused, language):
    english = refused("en").json()
    response = refused(language)
    body = response.json()
    assert body["error"] == english["error"]
    assert response["Content-Language"] == language
    assert "Accept-Language" in response["Vary"]
    for field, message in body["detail"].items():
        assert message != english["detail"][field], field
        assert ARABIC_SCRIPT.search(message), field
