"""What the drills do inside Sanad: a script run as its own process, in a given code tree, against a given database.

    python actor.py populate   # staff, keys, a grant, reports through the API, triage, a reply, a decryption
    python actor.py check      # reads the populate output on stdin: decrypt, receipts, every sealed value

It runs from the code tree it is started in (its working directory: this
checkout, or an old release extracted by the upgrade drill) with that tree's
own services, under the production settings and the secrets in its
environment. It imports only what existed in the first release the upgrade
drill uses (see tests/drills/test_upgrade_drill.py), trying today's module
first where one moved. It prints one JSON document on stdout and nothing
secret: the reporters' reply keys and receipts it prints are test data the
drill made, and the drill's own process keeps them.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import sys

sys.path.insert(0, os.getcwd())
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from cryptography.hazmat.primitives.asymmetric import x25519  # noqa: E402
from django.test import Client  # noqa: E402

from accounts.models import Coverage, SharedKey, StaffUser  # noqa: E402
from accounts.roles import KeyPurpose, Role  # noqa: E402
from accounts.services import key_grant_create, personal_key_unlock, shared_key_create, staff_create  # noqa: E402
from client import content as client_content  # noqa: E402
from client import hpke as client_hpke  # noqa: E402
from reports.models import Reply, Report  # noqa: E402
from reports.triage import report_triage  # noqa: E402

try:  # today
    from reports.access import report_open
    from reports.casework import reply_send
except ImportError:  # the first release: reports.workspace held both
    from reports.workspace import reply_send, report_open

PASSWORD = "drill passphrase: correct horse battery 42"
REPLY_BODY = "تم استلام بلاغك. drill reply 7c2e"
PLACES = ("IQ-DQ", "IQ-BA", "IQ-DQ")


def b64e(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def b64d(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def api() -> Client:
    # Production settings redirect plain HTTP: every call comes over TLS, as through the TLS proxy.
    return Client(HTTP_HOST="testserver", HTTP_X_FORWARDED_PROTO="https", **{"wsgi.url_scheme": "https"})


def _no_broker() -> None:
    """Triage runs in this process (report_triage below); nothing is queued in the shared Redis for a worker."""
    from config.celery import app

    app.conf.broker_url = "memory://"
    app.conf.broker_transport_options = {}


def sealed_digests() -> dict[str, str]:
    """Per sealed field this tree registers: a SHA-256 over every (row, opened plaintext), so two trees that
    open the same values under the same keys print the same digests. Raises on a value that does not open."""
    from backend.sealed_fields import open_value, sealed_fields

    digests = {}
    for model, field_name in sealed_fields():
        digest = hashlib.sha256()
        rows = model._default_manager.filter(**{f"{field_name}__isnull": False}).only("pk", field_name)
        count = 0
        for row in rows.order_by("pk"):
            digest.update(f"{row.pk}\0".encode() + open_value(row, field_name) + b"\0")
            count += 1
        digests[f"{model._meta.label}.{field_name}"] = f"{count}:{digest.hexdigest()}"
    return digests


def severity_reasons_by_report() -> dict[str, list[str]]:
    """What triage gave each report as its severity's reasons: a plain column in the first release, sealed today."""
    try:
        from reports.access import severity_reasons
    except ImportError:  # the first release: Report.severity_reasons, a JSON list

        def severity_reasons(report):
            return list(report.severity_reasons)

    return {str(report.pk): severity_reasons(report) for report in Report.objects.order_by("pk")}


def _staff(username: str, role: str, *, approver=None, **extra) -> StaffUser:
    """A staff member given `role` as this tree gives one. Since the two-person rule, staff_create only
    proposes a decrypting role: it is then bootstrapped (no key of its kind exists yet, as on the server)
    or approved by `approver`, a key holder, with their password. The first release gave it at once."""
    import accounts.services as services

    user = staff_create(username=username, password=PASSWORD, roles=[role], password_set_by_owner=True, **extra)
    if hasattr(services, "role_bootstrap"):
        from accounts.models import RoleProposal

        for proposal in RoleProposal.objects.filter(subject=user, state=RoleProposal.State.PENDING):
            if approver is None:
                services.role_bootstrap(proposal=proposal)
            else:
                services.role_proposal_approve(proposal=proposal, approver=approver, approver_password=PASSWORD)
    return user


def _relocation_and_partners(caseworker, report) -> None:
    """Where this tree has them (not the first release): a safe house, a referral and a partner, each with
    its sealed values, made by the relocation services and the `partner` command."""
    from django.apps import apps

    if apps.is_installed("relocation"):
        from relocation.services import house_create, referral_create

        rita = _staff("rita", Role.RELOCATION_COORDINATOR)
        key = shared_key_create(purpose=KeyPurpose.RELOCATION, holder=rita, holder_password=PASSWORD)
        ruth = _staff("ruth", Role.RELOCATION_COORDINATOR, approver=rita)
        key_grant_create(shared_key=key, grantor=rita, grantor_password=PASSWORD, grantee=ruth)
        house_create(
            user=rita,
            code_name="olive",
            region="kri-erbil",
            household_types=["single_adult", "family_with_children"],
            beds_funded=6,
            beds_in_service=4,
            address="12 Drill Street",
            contact="+964 750 000 0000",
        )
        referral_create(user=caseworker, report=report, adults=1, household_type="single_adult", needs="drill")
    if apps.is_installed("partners"):
        from pathlib import Path

        from django.conf import settings
        from django.core.management import call_command

        contact = Path(settings.VAR_DIR) / "drill-partner-contact.txt"
        contact.parent.mkdir(parents=True, exist_ok=True)
        contact.write_text("stats@partner.example\n", encoding="utf-8")
        call_command("partner", "add", "Drill NGO", "--contact-file", str(contact), stdout=open(os.devnull, "w"))
        call_command("partner", "token", "Drill NGO", stdout=open(os.devnull, "w"))


def populate() -> dict:
    _no_broker()
    staff_create(username="sam", password=PASSWORD, roles=[Role.SYSADMIN], password_set_by_owner=True)
    staff_create(username="audrey", password=PASSWORD, roles=[Role.AUDITOR], password_set_by_owner=True)
    lead = _staff("lead", Role.TRIAGE_LEAD)
    intake = shared_key_create(purpose=KeyPurpose.INTAKE, holder=lead, holder_password=PASSWORD)
    alice = _staff("alice", Role.CASEWORKER, approver=lead, contact="alice@example.org")
    key_grant_create(shared_key=intake, grantor=lead, grantor_password=PASSWORD, grantee=alice)
    Coverage.objects.create(user=alice, governorates=["IQ-DQ", "IQ-BA"], languages=["ar"])
    from accounts.totp import device_new

    device_new(alice)  # a sealed TOTP secret

    client = api()
    made = []
    for number, place in enumerate(PLACES):
        narrative = f"drill narrative {number}: تهديد عبر الهاتف {os.urandom(4).hex()}"
        reply_private = x25519.X25519PrivateKey.generate()
        plaintext = client_content.report_content(
            narrative=narrative, indicators=[{"type": "phone", "value": "0770 123 4567", "note": ""}]
        )
        info = b"sanad/v1/report:" + intake.key_id.encode()
        ciphertext = client_hpke.seal(intake.suite, bytes(intake.public_key), plaintext, info)
        body = {
            "version": 1,
            "key_id": intake.key_id,
            "ciphertext": b64e(ciphertext),
            "triage": {
                "category": "phone_threat",
                "governorate": place,
                "incident_month": "2026-10",
                "immediate_danger": number == 0,
                "needs_relocation": False,
                "flags": ["death_threat"],
                "language": "ar",
                "indicators": [{"type": "phone", "value": "0770 123 4567"}],
            },
            "reply_public_key": b64e(reply_private.public_key().public_bytes_raw()),
        }
        challenge = client.get("/api/v1/pow/").json()
        if challenge["difficulty"]:
            raise SystemExit("the drill runs with SANAD_POW_BASE_BITS=0")
        response = client.post("/api/v1/reports/", data=json.dumps(body), content_type="application/json")
        if response.status_code != 201:
            raise SystemExit(f"submission refused: {response.status_code} {response.content[:300]!r}")
        report = Report.objects.get(ciphertext_sha256=hashlib.sha256(ciphertext).digest())
        report_triage(report_id=report.pk)
        report.refresh_from_db()
        made.append(
            {
                "id": str(report.pk),
                "receipt": response.json()["receipt"],
                "narrative": narrative,
                "reply_key": b64e(reply_private.private_bytes_raw()),
                "assigned_to": report.assigned_to.username if report.assigned_to else None,
            }
        )
    # A follow-up through the first report's receipt.
    followup = client_content.followup_content("drill follow-up")
    info = b"sanad/v1/followup:" + intake.key_id.encode()
    response = client.post(
        "/api/v1/reports/followups/",
        data=json.dumps(
            {
                "key_id": intake.key_id,
                "ciphertext": b64e(client_hpke.seal(intake.suite, bytes(intake.public_key), followup, info)),
            }
        ),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Receipt {made[0]['receipt']}",
    )
    if response.status_code != 201:
        raise SystemExit(f"follow-up refused: {response.status_code} {response.content[:300]!r}")
    first = Report.objects.get(pk=made[0]["id"])
    if first.assigned_to_id != alice.pk:
        raise SystemExit("triage did not assign the first report to alice")
    reply_send(user=alice, report=first, body=REPLY_BODY)
    made[0]["reply_body"] = REPLY_BODY
    _relocation_and_partners(alice, first)
    # alice reads it once: a report_decrypted entry in the audit chain.
    opened = report_open(user=alice, report=first, personal_key=personal_key_unlock(user=alice, password=PASSWORD))
    if opened.content.get("narrative") != made[0]["narrative"]:
        raise SystemExit("alice's first reading does not give the submitted narrative")
    return {
        "reports": made,
        "caseworker": "alice",
        "intake_key": intake.key_id,
        "sealed": sealed_digests(),
        "severity_reasons": severity_reasons_by_report(),
    }


def check(populated: dict) -> dict:
    """What an operator checks after a restore or an upgrade, with today's code."""
    result: dict = {"reports": [], "sealed": sealed_digests(), "severity_reasons": severity_reasons_by_report()}
    caseworker = StaffUser.objects.get(username=populated["caseworker"])
    personal_key = personal_key_unlock(user=caseworker, password=PASSWORD)
    client = api()
    for made in populated["reports"]:
        report = Report.objects.get(pk=made["id"])
        seen: dict = {"id": made["id"]}
        if made["assigned_to"] == caseworker.username:
            opened = report_open(user=caseworker, report=report, personal_key=personal_key)
            seen["narrative_matches"] = opened.content.get("narrative") == made["narrative"]
            seen["followups"] = len(opened.followups)
        response = client.get("/api/v1/reports/status/", HTTP_AUTHORIZATION=f"Receipt {made['receipt']}")
        seen["status_code"] = response.status_code
        if response.status_code == 200:
            status = response.json()
            seen["status"] = status.get("status")
            reply_key = x25519.X25519PrivateKey.from_private_bytes(b64d(made["reply_key"]))
            seen["replies"] = [
                json.loads(client_hpke.open_reply(reply_key, b64d(reply)))["body"] for reply in status["replies"]
            ]
        result["reports"].append(seen)
    result["replies_stored"] = Reply.objects.count()
    result["shared_keys"] = SharedKey.objects.count()
    return result


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "populate":
        output = populate()
    elif command == "check":
        output = check(json.load(sys.stdin))
    else:
        raise SystemExit(f"unknown command {command!r}")
    sys.stdout.write("DRILL-RESULT " + json.dumps(output) + "\n")
