"""Relocation fixtures: two coordinators holding a relocation key, houses, and reports to refer."""

from __future__ import annotations

import hashlib
import os
from datetime import date

import pytest

from accounts.roles import KeyPurpose, Role
from tests.conftest import PASSWORD, make_staff
from tests.reports.conftest import envelope, submit  # noqa: F401  (fixtures)


@pytest.fixture
def coordinators(personas):
    from accounts.services import key_grant_create, shared_key_create

    # carla, the first coordinator, is given the role on the server (no relocation key exists to approve
    # it); she makes the key, and approves dana, whom sam proposed.
    carla = make_staff("carla", roles=[Role.RELOCATION_COORDINATOR])
    key = shared_key_create(purpose=KeyPurpose.RELOCATION, holder=carla, holder_password=PASSWORD)
    dana = make_staff("dana", roles=[Role.RELOCATION_COORDINATOR], acting_user=personas["sam"], approver=carla)
    key_grant_create(shared_key=key, grantor=carla, grantor_password=PASSWORD, grantee=dana)
    return {**personas, "carla": carla, "dana": dana, "relocation_key": key}


@pytest.fixture
def house(coordinators):
    """Make a house as carla: make(beds_in_service=5, region=..., ...)."""
    from relocation.services import house_create

    def make(**changes):
        values = {
            "user": coordinators["carla"],
            "code_name": f"house-{os.urandom(3).hex()}",
            "region": "kri-erbil",
            "household_types": ["single_adult", "family_with_children"],
            "beds_funded": 6,
            "beds_in_service": 5,
            "address": "12 Example Street",
        }
        values.update(changes)
        return house_create(**values)

    return make


@pytest.fixture
def assigned_report(coordinators):
    """A report in work, assigned to alice, in a place and of a severity of the test's choosing."""
    from reports.models import Report, ReportState

    def make(*, governorate="IQ-DQ", severity="high", state=ReportState.ASSIGNED):
        digest = hashlib.sha256(os.urandom(16)).digest()
        return Report.objects.create(
            intake_key=coordinators["intake"],
            ciphertext=b"x" * 64,
            ciphertext_sha256=digest,
            category="phone_threat",
            governorate=governorate,
            incident_month=date(2026, 10, 1),
            triage_sealed=b"sealed-in-tests",
            state=state,
            severity=severity,
            assigned_to=coordinators["alice"],
        )

    return make
