"""Embedded dev mode only: a relocation key held by two demo coordinators, three safe houses in two
regions, and (with --refer-sample) the sample report referred by its caseworker. Safe to run again."""

import json
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.models import RoleProposal, SharedKey, StaffUser
from accounts.roles import KeyPurpose
from accounts.services import key_grant_create, role_proposal_approve, shared_key_create
from relocation.models import Referral, SafeHouse
from relocation.services import house_create, referral_create
from reports.models import Report, ReportState

COORDINATOR, SECOND = "demo-relocation", "demo-relocation-2"
# Made-up houses: code names tell nothing of where a house is; addresses are fiction.
DEMO_HOUSES = [
    ("olive", "kri-erbil", ["single_adult", "couple", "family_with_children"], 8, 6, "12 Example Street (demo)"),
    ("cedar", "kri-erbil", ["single_adult", "women_only"], 4, 4, "3 Sample Road (demo)"),
    ("river", "kri-sulaymaniyah", ["single_adult", "family_with_children"], 4, 3, "7 Fictional Lane (demo)"),
]


class Command(BaseCommand):
    help = "Relocation demo data for the embedded dev mode (refuses to run in production)."

    def add_arguments(self, parser):
        parser.add_argument("--refer-sample", action="store_true", help="refer the sample report once assigned")
        parser.add_argument("--wait", type=float, default=0.0, help="seconds to wait for the sample's triage")

    def handle(self, *args, refer_sample, wait, **options):
        if not settings.SANAD_DEV:
            raise CommandError("dev_relocation runs only with SANAD_DEV=1.")
        passwords = json.loads((settings.VAR_DIR / "dev-demo-passwords.json").read_text(encoding="utf-8"))
        if refer_sample:
            self._refer_sample(wait)
            return
        coordinator = StaffUser.objects.get(username=COORDINATOR)
        second = StaffUser.objects.get(username=SECOND)
        key = SharedKey.objects.filter(purpose=KeyPurpose.RELOCATION, active=True, grants__holder=coordinator).first()
        if key is None:
            key = shared_key_create(
                purpose=KeyPurpose.RELOCATION, holder=coordinator, holder_password=passwords[COORDINATOR]
            )
            self.stdout.write(f"Created relocation key {key.key_id}, held by {COORDINATOR}.")
        # The second person: the first coordinator, holding the relocation key, approves the second
        # coordinator demo-admin proposed (dev_setup).
        for proposal in RoleProposal.objects.filter(subject=second, state=RoleProposal.State.PENDING):
            role_proposal_approve(proposal=proposal, approver=coordinator, approver_password=passwords[COORDINATOR])
            self.stdout.write(f"{COORDINATOR} approved {SECOND}'s role.")
        if not key.grants.filter(holder=second).exists():
            key_grant_create(
                shared_key=key, grantor=coordinator, grantor_password=passwords[COORDINATOR], grantee=second
            )
            self.stdout.write(f"Granted {key.key_id} to {SECOND}.")
        if not SafeHouse.objects.exists():
            for code_name, region, types, funded, in_service, address in DEMO_HOUSES:
                house_create(
                    user=coordinator,
                    code_name=code_name,
                    region=region,
                    household_types=types,
                    beds_funded=funded,
                    beds_in_service=in_service,
                    address=address,
                    contact="+964 750 000 0000 (demo)",
                )
            self.stdout.write(f"Created {len(DEMO_HOUSES)} demo safe houses in two regions.")
        self.stdout.write(
            f"  Relocation coordinator: log in as {COORDINATOR}, password {passwords[COORDINATOR]}"
            f" (code: .venv/bin/python manage.py dev_totp {COORDINATOR})"
        )

    def _refer_sample(self, wait: float) -> None:
        """The sample report, once triage has assigned it, referred by its caseworker (once)."""
        if Referral.objects.exists():
            return
        deadline = time.monotonic() + wait
        while True:
            report = (
                Report.objects.filter(state=ReportState.ASSIGNED, assigned_to__username="demo-caseworker")
                .order_by("created_at")
                .first()
            )
            if report is not None or time.monotonic() >= deadline:
                break
            time.sleep(1)
        if report is None:
            self.stdout.write("The sample report was not assigned in time: it is not referred.")
            return
        referral_create(
            user=report.assigned_to,
            report=report,
            adults=1,
            children=2,
            household_type="family_with_children",
            urgency_reason="location_known",
            preferred_regions=["kri-erbil"],
            needs="Demo: a mother and two children; one child needs insulin kept cold.",
        )
        self.stdout.write(
            f"Referred the sample report {report.reference} for relocation: see the waitlist as {COORDINATOR}."
        )
