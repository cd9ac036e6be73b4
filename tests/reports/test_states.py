"""Every state change goes through report_transition: legal ones are logged with their actor, the rest refused."""

import itertools

import pytest

from reports.models import Report, ReportState, ReportTransition
from reports.states import ALLOWED, IllegalTransition, report_transition

pytestmark = pytest.mark.django_db
STATES = list(ReportState)
PAIRS = list(itertools.product(STATES, STATES))


@pytest.fixture
def report(personas, envelope, submit):
    assert submit(envelope()).status_code == 201
    return Report.objects.get()


@pytest.mark.parametrize("from_state, to_state", PAIRS, ids=[f"{a}->{b}" for a, b in PAIRS])
def test_each_transition_is_allowed_or_refused_as_the_table_says(report, from_state, to_state, personas):
    Report.objects.filter(pk=report.pk).update(state=from_state)
    report.refresh_from_db()
    if to_state in ALLOWED[from_state]:
        report_transition(report=report, to_state=to_state, actor=personas["lead"])
        assert Report.objects.get(pk=report.pk).state == to_state
        logged = ReportTransition.objects.get()
        assert (logged.from_state, logged.to_state, logged.actor) == (from_state, to_state, personas["lead"])
    else:
        with pytest.raises(IllegalTransition):
            report_transition(report=report, to_state=to_state)
        assert Report.objects.get(pk=report.pk).state == from_state
        assert not ReportTransition.objects.exists()


def test_the_documented_path_is_allowed():
    path = ["pending", "triaged", "assigned", "acknowledged", "in_progress", "closed"]
    for a, b in zip(path, path[1:], strict=False):
        assert b in ALLOWED[a]
    assert all("withdrawn" in ALLOWED[state] for state in ALLOWED if state != "withdrawn")


def test_a_stale_copy_cannot_move_a_report_someone_else_moved(report):
    stale = Report.objects.get(pk=report.pk)
    report_transition(report=report, to_state=ReportState.TRIAGED)
    with pytest.raises(IllegalTransition, match="meanwhile"):
        report_transition(report=stale, to_state=ReportState.PARKED)
    assert ReportTransition.objects.count() == 1
