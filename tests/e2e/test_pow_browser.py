"""The browser's proof-of-work solver (web/src/pow.js, built into backend/static/sanad/web/) in headless Chromium.

It must find what the server accepts: one worker finds exactly the nonce the Python client finds (the
same hash, the same count of zero bits, the same order), several workers find one the server verifies,
progress is reported honestly, and the page's own thread keeps running while they work.
"""

from __future__ import annotations

import pytest
from django.test import override_settings

from backend import pow as server_pow
from client.pow import solve as python_solve

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

WORKER = "/static/sanad/web/pow-worker.js"
SOLVER = "/static/sanad/web/pow.js"
SOLVE = """async ([challenge, difficulty, workers]) => {
  const { solve } = await import('SOLVER');
  const reports = [];
  let ticks = 0;
  const timer = setInterval(() => ticks++, 10);
  const nonce = await solve({ challenge, difficulty, workers, workerUrl: 'WORKER', onProgress: (p) => reports.push(p) });
  clearInterval(timer);
  return { nonce, reports, ticks };
}""".replace("SOLVER", SOLVER).replace("WORKER", WORKER)


@pytest.fixture
def page(chromium, live_server):
    context = chromium.new_context()
    page = context.new_page()
    page.goto(f"{live_server.url}{WORKER}")  # any page of the server's origin: workers are same-origin
    return page


def challenge_at(bits: int):
    with override_settings(SANAD_POW_BASE_BITS=bits):
        return server_pow.pow_challenge_issue()


def test_one_worker_finds_exactly_the_python_clients_nonce(page):
    for bits in (4, 10, 14):
        issued = challenge_at(bits)
        found = page.evaluate(SOLVE, [issued.challenge, issued.difficulty, 1])
        assert found["nonce"] == python_solve(issued.challenge, issued.difficulty), bits


def test_several_workers_find_a_nonce_the_server_accepts_and_report_progress(page, settings):
    settings.SANAD_POW_BASE_BITS = 17
    issued = server_pow.pow_challenge_issue()
    found = page.evaluate(SOLVE, [issued.challenge, issued.difficulty, 3])
    server_pow.pow_verify({"challenge": issued.challenge, "nonce": found["nonce"]})  # raises if not
    reports = found["reports"]
    assert reports and all(0 <= r["fraction"] < 1 for r in reports)
    assert [r["tried"] for r in reports] == sorted(r["tried"] for r in reports)  # it only grows
    assert all(r["expectedSeconds"] and r["expectedSeconds"] > 0 for r in reports if r["rate"])
    assert found["ticks"] > 0  # the page's own thread ran while the workers hashed


def test_a_wrong_nonce_is_what_the_server_refuses(page):
    """The check above could not pass by accident: a nonce one off is refused."""
    issued = challenge_at(14)
    nonce = page.evaluate(SOLVE, [issued.challenge, issued.difficulty, 1])["nonce"]
    with pytest.raises(server_pow.PowError):
        server_pow.pow_verify({"challenge": issued.challenge, "nonce": str(int(nonce) - 1)})


STOPPED = """async ([challenge, difficulty, how]) => {
  const { solve } = await import('SOLVER');
  const control = new AbortController();
  const options = { challenge, difficulty, workers: 2, workerUrl: 'WORKER' };
  if (how === 'deadline') options.deadline = Date.now() + 300;
  if (how === 'cancel') setTimeout(() => control.abort(), 300);
  options.signal = control.signal;
  if (how === 'bad_worker') options.workerUrl = '/static/sanad/web/no-such-worker.js';
  try { await solve(options); return 'solved'; } catch (e) { return e.error || e.name; }
}""".replace("SOLVER", SOLVER).replace("WORKER", WORKER)


@pytest.mark.parametrize(
    "how, expected", [("deadline", "expired"), ("cancel", "cancelled"), ("bad_worker", "no_worker")]
)
def test_a_solve_that_cannot_finish_ends_with_a_reason_instead_of_hanging(page, how, expected):
    """A challenge expires (the deadline is its expires_at), the reporter cancels, or no worker can start:
    each ends the solve, and its workers, with the reason. Thirty bits would take minutes."""
    issued = challenge_at(8)
    assert page.evaluate(STOPPED, [issued.challenge, 30, how]) == expected


def test_an_absurd_difficulty_is_refused_at_once(page):
    issued = challenge_at(8)
    assert page.evaluate(STOPPED, [issued.challenge, 33, "none"]) == "too_hard"
