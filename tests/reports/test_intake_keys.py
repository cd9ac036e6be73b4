"""GET /api/v1/intake-keys/ exactly as wire format v1 says."""

import pytest

from accounts.roles import KeyPurpose
from accounts.selectors import forget_offered_keys
from accounts.services import key_grant_create, shared_key_create, shared_key_retire
from backend.crypto import hpke
from backend.crypto.encoding import b64url_decode
from tests.conftest import PASSWORD, make_staff

pytestmark = pytest.mark.django_db
URL = "/api/v1/intake-keys/"


def test_active_keys_in_wire_format(personas, client):
    pq = personas["intake"]
    classic = shared_key_create(
        purpose=KeyPurpose.INTAKE, holder=personas["lead"], holder_password=PASSWORD, suite=hpke.Suite.X25519
    )
    key_grant_create(shared_key=classic, grantor=personas["lead"], grantor_password=PASSWORD, grantee=personas["alice"])
    response = client.get(URL)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert {entry["key_id"] for entry in body} == {pq.key_id, classic.key_id}
    for entry in body:
        assert set(entry) == {"key_id", "kem", "kdf", "aead", "public_key"}
        assert entry["kdf"] == "HKDF-SHA256" and entry["aead"] == "AES-256-GCM"
        raw = b64url_decode(entry["public_key"])
        assert "=" not in entry["public_key"]
        suite = hpke.Suite(entry["kem"])
        assert len(raw) == {hpke.Suite.X25519: 32, hpke.Suite.MLKEM768_X25519: 1184 + 32}[suite]
        hpke.load_public_key(suite, raw)  # a client can encrypt to it


def test_retired_and_relocation_keys_are_not_offered(personas, client, settings):
    settings.SANAD_KEYWRAP_ARGON2 = {"time_cost": 1, "memory_cost": 8 * 1024, "parallelism": 1}
    from accounts.roles import Role

    # The first coordinator: no relocation key exists, so the role is given as on the server.
    coordinator = make_staff("coord", roles=[Role.RELOCATION_COORDINATOR])
    shared_key_create(purpose=KeyPurpose.RELOCATION, holder=coordinator, holder_password=PASSWORD)
    shared_key_retire(shared_key=personas["intake"], holder=personas["lead"], holder_password=PASSWORD)
    assert client.get(URL).json() == []


def test_no_authentication_needed_and_cookies_ignored(personas, client):
    client.cookies["sessionid"] = "garbage"
    assert client.get(URL).status_code == 200


def test_writes_are_refused_with_json(personas, client):
    response = client.post(URL, data={}, content_type="application/json")
    assert response.status_code == 405
    assert response.json()["error"] == "method_not_allowed"


def test_schema_documents_the_endpoint(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    schema = response.json()
    assert "/api/v1/intake-keys/" in schema["paths"]


def test_unknown_paths_get_a_json_404(client):
    response = client.get("/api/v1/nothing-here/")
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "detail": "Not found."}


def test_a_key_with_a_single_holder_is_not_offered(personas, client):
    """One forgotten password must not make reports unreadable: keys need two holders first."""
    lone = shared_key_create(purpose=KeyPurpose.INTAKE, holder=personas["lead"], holder_password=PASSWORD)
    offered = {entry["key_id"] for entry in client.get(URL).json()}
    assert lone.key_id not in offered and personas["intake"].key_id in offered
    key_grant_create(shared_key=lone, grantor=personas["lead"], grantor_password=PASSWORD, grantee=personas["alice"])
    forget_offered_keys()  # as if OFFERED_KEYS_SECONDS had passed
    assert lone.key_id in {entry["key_id"] for entry in client.get(URL).json()}


def test_the_offered_keys_are_recomputed_after_a_few_seconds(personas, client, monkeypatch):
    from accounts import selectors

    now = [1000.0]
    monkeypatch.setattr(selectors.time, "monotonic", lambda: now[0])
    assert len(client.get(URL).json()) == 1
    shared_key_retire(shared_key=personas["intake"], holder=personas["lead"], holder_password=PASSWORD)
    now[0] += selectors.OFFERED_KEYS_SECONDS - 0.1
    assert len(client.get(URL).json()) == 1  # still the remembered answer
    now[0] += 0.2
    assert client.get(URL).json() == []


@pytest.mark.parametrize("column", ["public_key", "suite", "purpose", "attestation_sealed"])
def test_a_key_row_edited_without_the_sealing_keys_is_never_offered(personas, client, column, caplog):
    from accounts.models import SharedKey

    intake = personas["intake"]
    forged = {
        "public_key": hpke.generate_private_key(hpke.Suite.MLKEM768_X25519).public_key().raw,
        "suite": "X25519",
        "purpose": "intake",
        "attestation_sealed": b"\x01\x00",
    }[column]
    if column == "purpose":  # same purpose, but key_id changed instead
        SharedKey.objects.filter(pk=intake.pk).update(key_id="ik-forged00000")
    else:
        SharedKey.objects.filter(pk=intake.pk).update(**{column: forged})
    assert client.get(URL).json() == []
    assert "fails its attestation" in caplog.text


def test_every_reporter_endpoint_is_in_the_schema_and_docs_load_from_our_origin(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    for path in (
        "/api/v1/intake-keys/",
        "/api/v1/pow/",
        "/api/v1/reports/",
        "/api/v1/reports/status/",
        "/api/v1/reports/followups/",
        "/api/v1/reports/evidence/",
    ):
        assert path in schema["paths"], path
    assert {"post", "delete"} <= set(schema["paths"]["/api/v1/reports/"])
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "swagger-ui" in html
    import re

    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert urls and all(url.startswith("/") and not url.startswith("//") for url in urls), urls
