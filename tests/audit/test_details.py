"""Details hold ids, codes, states and counts: anything that could carry content is refused."""

from __future__ import annotations

import pytest

from audit.actions import Action
from audit.details import clean_details
from audit.models import AuditEntry
from audit.services import audit_record


def test_ids_codes_states_and_counts_pass():
    details = {
        "state": "in_review",
        "count": 3,
        "ok": True,
        "none": None,
        "roles": ["auditor"],
        "change": {"to": "x" * 64},
    }
    assert clean_details(details) == details
    assert clean_details(None) == {}


@pytest.mark.parametrize(
    "details",
    [
        {"note": "x" * 65},
        {"roles": ["x" * 65]},
        {"change": {"to": "x" * 65}},
        {"nested": {"deeper": {"a": 1}}},
        {"nested": [[1]]},
        {"nested": [{"a": 1}]},
        {"score": 0.5},
        {"blob": b"bytes"},
        {"line": "two\nlines"},
        {"free text key": 1},
        {1: "numeric key"},
        {"many": list(range(33))},
        {f"k{i}": i for i in range(33)},
        ["not", "a", "mapping"],
    ],
    ids=[
        "long string",
        "long string in a list",
        "long string in a mapping",
        "mapping two deep",
        "list in a list",
        "mapping in a list",
        "float",
        "bytes",
        "control character",
        "key with spaces",
        "non-string key",
        "long list",
        "too many keys",
        "not a mapping",
    ],
)
def test_anything_else_is_refused(details):
    with pytest.raises(ValueError):
        clean_details(details)


@pytest.mark.django_db
def test_a_refused_entry_writes_nothing():
    with pytest.raises(ValueError):
        audit_record(Action.REPLY_SENT, obj_type="report", obj_id="1", details={"body": "the reply text itself " * 4})
    assert not AuditEntry.objects.exists()
