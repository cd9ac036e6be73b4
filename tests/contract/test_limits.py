"""The schema's limits are the parser's: at each bound the schema states, the parser accepts, and one past it,
both refuse. Change a limit in one place only and these fail (issue 16: a schema that drifts lies to every
client generated from it)."""

from __future__ import annotations

import json

import pytest
from django.conf import settings

from accounts.roles import KeyPurpose
from accounts.services import shared_key_create
from backend.crypto import hpke
from backend.crypto.encoding import b64url_encode
from backend.pow import PowError, pow_challenge_issue, pow_check_shape
from backend.receipts import receipt_new
from reports import api
from tests.conftest import PASSWORD
from tests.contract.schema_tools import prop, resolve, response_schema, valid
from tests.reports.conftest import GOOD_TRIAGE

pytestmark = pytest.mark.django_db


@pytest.fixture
def post(client, settings):
    settings.SANAD_POW_BASE_BITS = 0

    def call(path: str, body: dict, **extra):
        return client.post(path, data=json.dumps(body), content_type="application/json", **extra)

    return call


def refused_fields(response) -> set[str]:
    if response.status_code == 201:
        return set()
    assert response.status_code in (400, 413), response.content
    detail = response.json()["detail"]
    return set(detail) if isinstance(detail, dict) else {"body"}


def base64url_of(size: int, *, padded: bool) -> str:
    text = b64url_encode(bytes(range(256)) * (size // 256) + bytes(range(size % 256)))
    return text + "=" * (-len(text) % 4) if padded else text


@pytest.mark.parametrize(
    "component, setting, path",
    [
        ("ReportEnvelope", "SANAD_MAX_REPORT_BYTES", "/api/v1/reports/"),
        ("FollowUpContent", "SANAD_MAX_FOLLOWUP_BYTES", "/api/v1/reports/followups/"),
        ("EvidenceContent", "SANAD_MAX_EVIDENCE_BYTES", "/api/v1/reports/evidence/"),
    ],
)
def test_a_ciphertext_as_long_as_the_schema_allows_is_accepted_and_one_byte_more_refused(
    openapi, personas, envelope, submit, receipt_call, post, component, setting, path
):
    schema = prop(openapi, component, "ciphertext")
    limit = getattr(settings, setting)
    longest = base64url_of(limit, padded=True)
    over = base64url_of(limit + 3, padded=True)  # the shortest over the limit by length alone
    # A byte over the limit can be as long as the longest, or (unpadded) shorter: the schema's length cannot
    # tell them apart, its description does, and the parser refuses them.
    just_over = [base64url_of(limit + 1, padded=padded) for padded in (True, False)]
    assert len(longest) == schema["maxLength"] and valid(openapi, schema, longest)
    assert not valid(openapi, schema, over) and all(valid(openapi, schema, text) for text in just_over)
    assert f"at most {limit} bytes decoded" in schema["description"]
    cases = ((longest, False), (over, True), *((text, True) for text in just_over))
    if component == "ReportEnvelope":
        # No HPKE output, but as long as one may be: refused by no rule on ciphertext; over it, refused.
        for text, refused in cases:
            assert ("ciphertext" in refused_fields(post(path, envelope(ciphertext=text, triage={})))) == refused
    else:
        receipt = submit(envelope(), pow=False).json()["receipt"]
        key_id = personas["intake"].key_id
        for text, refused in cases:
            response = receipt_call("post", path, receipt, {"key_id": key_id, "ciphertext": text}, pow=False)
            assert ("ciphertext" in refused_fields(response)) == refused, response.content


def test_the_shortest_ciphertext_the_schema_allows_is_an_x25519_keys_shortest(openapi, personas, envelope, post):
    classic = shared_key_create(
        purpose=KeyPurpose.INTAKE, holder=personas["lead"], holder_password=PASSWORD, suite=hpke.Suite.X25519
    )
    from accounts.services import key_grant_create

    key_grant_create(shared_key=classic, grantor=personas["lead"], grantor_password=PASSWORD, grantee=personas["alice"])
    schema = prop(openapi, "ReportEnvelope", "ciphertext")
    shortest = base64url_of(hpke.Suite.X25519.min_ciphertext_length, padded=False)
    under = base64url_of(hpke.Suite.X25519.min_ciphertext_length - 1, padded=False)
    assert len(shortest) == schema["minLength"] and not valid(openapi, schema, under)
    body = envelope(key_id=classic.key_id, triage={})
    assert "ciphertext" not in refused_fields(post("/api/v1/reports/", dict(body, ciphertext=shortest)))
    assert "ciphertext" in refused_fields(post("/api/v1/reports/", dict(body, ciphertext=under)))


def test_indicator_limits(openapi, personas, envelope, post):
    indicators = prop(openapi, "Triage", "indicators")
    value = resolve(openapi, indicators["items"])["properties"]["value"]

    def triage(items):
        return dict(GOOD_TRIAGE, indicators=items)

    most = [{"type": "telegram", "value": f"@chan_{i:03d}"} for i in range(indicators["maxItems"])]
    assert valid(openapi, indicators, most) and not valid(openapi, indicators, [*most, most[0]])
    assert refused_fields(post("/api/v1/reports/", envelope(triage=triage(most)))) == set()
    assert "triage.indicators" in refused_fields(post("/api/v1/reports/", envelope(triage=triage([*most, most[0]]))))

    longest = "@jokers_channel".ljust(value["maxLength"])  # spaces around an indicator are ignored
    assert valid(openapi, value, longest) and not valid(openapi, value, longest + " ")
    one = [{"type": "telegram", "value": longest}]
    assert refused_fields(post("/api/v1/reports/", envelope(triage=triage(one)))) == set()
    one = [{"type": "telegram", "value": longest + " "}]
    assert "triage.indicators[0].value" in refused_fields(post("/api/v1/reports/", envelope(triage=triage(one))))


@pytest.mark.parametrize(
    "member, wrong", [("category", "insult"), ("governorate", "IQ-XX"), ("language", "fr"), ("flags", ["sad"])]
)
def test_every_enum_value_of_triage_is_accepted_and_none_other(openapi, personas, envelope, post, member, wrong):
    schema = prop(openapi, "Triage", member)
    values = resolve(openapi, schema["items"])["enum"] if member == "flags" else schema["enum"]
    if member == "governorate":
        values = values[::7]  # ~250 places: a sample each run, every one over seven runs of the list's order
    for value in values:
        sent = [value] if member == "flags" else value
        assert refused_fields(post("/api/v1/reports/", envelope(triage=dict(GOOD_TRIAGE, **{member: sent})))) == set()
    assert not valid(openapi, schema, wrong)
    assert f"triage.{member}" in refused_fields(
        post("/api/v1/reports/", envelope(triage=dict(GOOD_TRIAGE, **{member: wrong})))
    )


def test_reply_key_lengths(openapi, personas, envelope, post):
    schema = prop(openapi, "ReportEnvelope", "reply_public_key")
    key = envelope()["reply_public_key"]
    for text in (key, key + "="):
        assert schema["minLength"] <= len(text) <= schema["maxLength"] and valid(openapi, schema, text)
        assert refused_fields(post("/api/v1/reports/", envelope(reply_public_key=text))) == set()
    for text in (key[:-1], key + "A", key + "=="):
        assert "reply_public_key" in refused_fields(post("/api/v1/reports/", envelope(reply_public_key=text)))


def test_proof_shapes(openapi):
    challenge, nonce = (prop(openapi, "ProofOfWork", name) for name in ("challenge", "nonce"))
    longest = "A" * challenge["maxLength"]
    cases = [
        ({"challenge": longest, "nonce": "1"}, True),
        ({"challenge": longest + "A", "nonce": "1"}, False),
        ({"challenge": "", "nonce": "9" * 20}, True),
        ({"challenge": "", "nonce": "9" * 21}, False),
        ({"challenge": "", "nonce": ""}, False),
        ({"challenge": "a+b", "nonce": "1"}, False),
    ]
    for proof, fits in cases:
        assert (valid(openapi, challenge, proof["challenge"]) and valid(openapi, nonce, proof["nonce"])) == fits
        try:
            pow_check_shape(proof)
            accepted = True
        except PowError:
            accepted = False
        assert accepted == fits, proof


def test_what_the_server_sends_fits_the_schema(openapi, personas, settings):
    """Receipts, challenges and intake keys, as made, against the schema of the answers that carry them."""
    receipt = prop(openapi, "Receipt", "receipt")
    assert all(valid(openapi, receipt, receipt_new()) for _ in range(200))
    challenge = resolve(openapi, response_schema(openapi, "/api/v1/pow/", "get", 200))
    for bits in (0, settings.SANAD_POW_BASE_BITS, settings.SANAD_POW_MAX_BITS):
        settings.SANAD_POW_BASE_BITS = bits
        issued = pow_challenge_issue()
        assert valid(openapi, challenge, vars(issued)), vars(issued)
    shared_key_create(
        purpose=KeyPurpose.INTAKE, holder=personas["lead"], holder_password=PASSWORD, suite=hpke.Suite.X25519
    )
    from accounts.models import SharedKey

    keys = api.intake_keys_document(SharedKey.objects.filter(purpose=KeyPurpose.INTAKE))
    assert {key["kem"] for key in keys} == {suite.value for suite in hpke.Suite}
    assert valid(openapi, response_schema(openapi, "/api/v1/intake-keys/", "get", 200), keys)


def test_the_body_caps_hold_the_longest_ciphertexts(openapi):
    """A body cap (413) below what the schema lets a body hold would refuse valid requests."""
    for view, component in (
        (api.ReportsView, "ReportEnvelope"),
        (api.FollowUpsView, "FollowUpContent"),
        (api.EvidenceView, "EvidenceContent"),
    ):
        ciphertext = prop(openapi, component, "ciphertext")["maxLength"]
        key_id = prop(openapi, component, "key_id")["maxLength"]
        proof = sum(prop(openapi, "ProofOfWork", name).get("maxLength", 20) for name in ("challenge", "nonce"))
        # The members' names and JSON punctuation, and for a report its triage, well within the margin.
        assert view.max_body_bytes >= ciphertext + key_id + proof + 200
