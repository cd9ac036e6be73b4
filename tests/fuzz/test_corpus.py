"""Every fuzz target once over its committed seeds (fuzz/corpus/), in plain Python: a seed that crashes fails
`make test`, and the seeds made from the app's real output are still accepted (a seed that quietly became
invalid would leave the fuzzer mutating refusals only)."""

from __future__ import annotations

import importlib
import json

import pytest

from fuzz import harness
from fuzz.targets import TARGETS
from tests.conftest import PASSWORD


@pytest.fixture
def fuzz_settings(settings):
    """The fuzzing process's secrets, under which the seeds were made (fuzz.harness)."""
    for name, value in harness.settings_overrides().items():
        setattr(settings, name, value)


@pytest.fixture
def intake_keys(personas):
    """An intake key of each suite held by two staff, as dev_setup gives the fuzzer's database."""
    from accounts.roles import KeyPurpose
    from accounts.selectors import forget_offered_keys, intake_keys_offered
    from accounts.services import key_grant_create, shared_key_create
    from backend.crypto import hpke

    lead, alice = personas["lead"], personas["alice"]
    key = shared_key_create(purpose=KeyPurpose.INTAKE, holder=lead, holder_password=PASSWORD, suite=hpke.Suite.X25519)
    key_grant_create(shared_key=key, grantor=lead, grantor_password=PASSWORD, grantee=alice)
    forget_offered_keys()
    assert {key.suite for key in intake_keys_offered()} == {"X25519", "MLKEM768-X25519"}


def seeds(target: str) -> list:
    files = sorted((harness.CORPUS / target).iterdir())
    assert len(files) >= 3, f"fuzz/corpus/{target} has lost its seeds: python -m fuzz.make_corpus"
    return files


@pytest.mark.parametrize("target", TARGETS)
def test_seeds_run_clean(target, fuzz_settings, request):
    module = importlib.import_module(f"fuzz.targets.{target}")
    if getattr(module, "NEEDS_INTAKE_KEYS", False):
        request.getfixturevalue("intake_keys")
    with module.prepared():
        for path in seeds(target):
            module.test_one_input(path.read_bytes())


def test_client_envelopes_are_accepted(fuzz_settings, intake_keys):
    from fuzz.targets.envelope import request_data
    from reports.api import ReportsView

    clients = [path for path in seeds("envelope") if path.name.startswith("client-")]
    assert len(clients) == 4
    with harness.pow_clock():
        for path in clients:
            envelope, proof = ReportsView().checked(request_data(ReportsView, path.read_bytes()))
            assert proof is not None and envelope.triage.category == "phone_threat", path.name


def test_client_followups_and_evidence_are_accepted(fuzz_settings, intake_keys):
    from fuzz.targets.content import VIEWS
    from fuzz.targets.envelope import request_data

    bodies = [path for path in seeds("content") if path.name.endswith(("-x25519.json", "-short-ciphertext.json"))]
    assert len(bodies) == 5
    with harness.pow_clock():
        for path in bodies:
            data = path.read_bytes()
            view = VIEWS[data[0]]
            content, proof = view().checked(request_data(view, data[1:]))
            assert proof is not None and content.ciphertext, path.name


def test_client_proofs_pass_and_others_fail(fuzz_settings):
    from backend.pow import PowError, pow_verify

    with harness.pow_clock():
        for path in seeds("pow"):
            proof = json.loads(path.read_bytes())
            if path.name.startswith("client-"):
                pow_verify(proof)
            else:
                with pytest.raises(PowError):
                    pow_verify(proof)


def test_stored_seeds_open(fuzz_settings):
    from backend.crypto import keywrap
    from backend.crypto.sealed import KeyRing
    from backend.sealed_fields import open_value
    from fuzz.targets import sealed
    from reports.models import Report

    files = {path.name: path.read_bytes()[1:] for path in seeds("sealed")}
    ring = KeyRing.from_settings()
    for name in ("sealed-triage", "sealed-triage-older-key"):
        details = json.loads(open_value(Report(pk=sealed.ROW, triage_sealed=files[name]), "triage_sealed", ring=ring))
        assert details["immediate_danger"] is True and details["flags"] == ["death_threat"]
    assert not ring.needs_reseal(files["sealed-triage"]) and ring.needs_reseal(files["sealed-triage-older-key"])
    for name in ("wrapped-key-cheapest", "wrapped-key-dev-cost"):
        assert len(keywrap.unwrap(files[name], sealed.PASSWORD, context=sealed.CONTEXT)) == 32


def test_client_vault_opens():
    from backend.receipts import receipt_canonical
    from client import vault
    from fuzz.targets.vault import PASSPHRASE

    stored = vault.load(harness.CORPUS / "vault" / "client-vault", PASSPHRASE)
    assert len(receipt_canonical(stored["receipt"])) == 20 and stored["reply_key"]
