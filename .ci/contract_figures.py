"""For .ci/contract: the figures of the schemathesis runs, read from schemathesis' own reports (its NDJSON
event stream, one per run, cross-checked with its JUnit XML), never counted by hand. Exits 1 unless every
failure figure is 0 and test cases ran.

A test case is one request schemathesis generated and checked; a failure is a (test case, check) pair whose
check failed. Checks are schemathesis' own (`st run --checks all`)."""

from __future__ import annotations

import json
import re
import sys
import time
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

# What each figure counts, by schemathesis check.
FIGURES = {
    "server errors (5xx)": {"not_a_server_error"},
    "responses not matching the schema (body, content type, headers)": {
        "response_schema_conformance",
        "content_type_conformance",
        "response_headers_conformance",
    },
    "undeclared statuses": {"status_code_conformance"},
    "invalid inputs accepted": {"negative_data_rejection"},
}


# The runs .ci/contract makes, and what each must have exercised: the operations (by operationId) that must
# have run at least one case, and those of them that must have answered 2xx at least once (a valid receipt or
# token that had gone stale would get a declared 401 everywhere and pass every check while testing little).
# None: every operation in the schema.
EXPECTED_RUNS = {
    "no-receipt": (None, set()),
    "wrong-receipt": ({"report_status", "followup_add", "evidence_add", "report_withdraw"}, set()),
    "valid-receipt": (
        {"report_status", "followup_add", "evidence_add"},
        {"report_status", "followup_add", "evidence_add"},
    ),
    "valid-receipt-withdraw": ({"report_withdraw"}, {"report_withdraw"}),
    "partner-token": ({"stats_releases_list", "stats_release"}, {"stats_releases_list", "stats_release"}),
}
# Events that end a run early or mean schemathesis could not do its work.
FATAL_EVENTS = {"FatalError", "Interrupted", "NonFatalError"}


def run_problems(name: str, path: Path, events: list[tuple[str, dict]], ids: dict, per_operation: dict) -> list[str]:
    """Why a run cannot be trusted to have tested what it was for (an empty list if it can)."""
    problems = []
    exit_file = path.with_suffix(".exit")
    code = exit_file.read_text().strip() if exit_file.exists() else "missing"
    if code != "0":
        problems.append(f"schemathesis exited {code}")
    kinds = [kind for kind, _ in events]
    if "EngineFinished" not in kinds:
        problems.append("the run did not finish (no EngineFinished event)")
    for kind in sorted(set(kinds) & FATAL_EVENTS):
        problems.append(f"{kinds.count(kind)} {kind} event(s)")
    must_run, must_succeed = EXPECTED_RUNS[name]
    for operation_id in sorted(must_run if must_run is not None else set(ids.values())):
        statuses = per_operation.get(operation_id, Counter())
        if not statuses:
            problems.append(f"no case ran against {operation_id}")
        elif operation_id in must_succeed and not any(200 <= status < 300 for status in statuses):
            problems.append(f"{operation_id} never answered 2xx (is the receipt or token still valid?)")
    return problems


def operation_of(operations: dict, request: dict) -> str | None:
    """The schema's operation a request was sent to ("GET /api/v1/stats/releases/{month}/"), if any (checks
    also send methods an operation does not have, to get 405)."""
    path = urlsplit(request["uri"]).path
    for (method, template), pattern in operations.items():
        if method == request["method"] and pattern.fullmatch(path):
            return f"{method} {template}"
    return None


def main(directory: str, schema: str, started: str) -> int:
    operations = {
        (method.upper(), template): re.compile(re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(template)))
        for template, methods in json.loads(Path(schema).read_text(encoding="utf-8"))["paths"].items()
        for method in methods
    }
    cases: set[tuple[str, str]] = set()
    checks_run: Counter = Counter()
    failed: Counter = Counter()
    errors = 0
    by_status: Counter = Counter()
    by_operation: dict[str, Counter] = {}
    schema_paths = json.loads(Path(schema).read_text(encoding="utf-8"))["paths"]
    ids = {
        f"{method.upper()} {template}": operation["operationId"]
        for template, methods in schema_paths.items()
        for method, operation in methods.items()
    }
    runs = sorted(Path(directory).glob("*.ndjson"))
    problems = [
        f"{name}: no report (the run is missing)" for name in sorted(set(EXPECTED_RUNS) - {p.stem for p in runs})
    ]
    problems += [f"{path.stem}: not a run .ci/contract makes" for path in runs if path.stem not in EXPECTED_RUNS]
    for path in runs:
        events = []
        run_operations: dict[str, Counter] = {}
        for line in path.read_text(encoding="utf-8").splitlines():
            event = json.loads(line)
            kind, body = next(iter(event.items()))
            events.append((kind, body))
            if kind in FATAL_EVENTS or (kind == "ScenarioFinished" and body["status"] == "error"):
                errors += 1
            if kind != "ScenarioFinished":
                continue
            recorder = body["recorder"]
            for case_id, results in recorder.get("checks", {}).items():
                cases.add((path.stem, case_id))
                for result in results:
                    checks_run[result["name"]] += 1
                    if result["status"] == "failure":
                        failed[result["name"]] += 1
            for interaction in recorder.get("interactions", {}).values():
                if interaction.get("response"):
                    status = interaction["response"]["status_code"]
                    by_status[status] += 1
                    operation = operation_of(operations, interaction["request"])
                    if operation:
                        by_operation.setdefault(operation, Counter())[status] += 1
                        run_operations.setdefault(ids[operation], Counter())[status] += 1
        if path.stem in EXPECTED_RUNS:
            problems += [
                f"{path.stem}: {problem}" for problem in run_problems(path.stem, path, events, ids, run_operations)
            ]
    junit_tests = junit_failures = junit_errors = 0
    for path in sorted(Path(directory).glob("*.xml")):
        # schemathesis' own report, written by this run: not untrusted XML.
        root = ET.parse(path).getroot()  # nosec B314
        junit_tests += int(root.get("tests", 0))
        junit_failures += int(root.get("failures", 0))
        junit_errors += int(root.get("errors", 0))

    print(f"schemathesis runs: {len(runs)} ({', '.join(path.stem for path in runs)})")
    print(f"test cases run: {len(cases)}")
    print(f"responses by status: {', '.join(f'{status}: {n}' for status, n in sorted(by_status.items()))}")
    for operation, statuses in sorted(by_operation.items(), key=lambda item: item[0].split(" ")[::-1]):
        print(f"  {operation}: {', '.join(f'{status}: {n}' for status, n in sorted(statuses.items()))}")
    counted = set()
    for figure, names in FIGURES.items():
        counted |= names
        print(f"{figure}: {sum(failed[name] for name in names)}")
    others = {name: n for name, n in failed.items() if name not in counted}
    print(f"other check failures: {sum(others.values())}{f' {others}' if others else ''}")
    print(f"errors (schemathesis could not run a case): {errors}")
    print(f"checks run: {', '.join(f'{name} {n}' for name, n in sorted(checks_run.items()))}")
    print(f"JUnit: {junit_tests} operation results, {junit_failures} failed, {junit_errors} errors")
    print(f"duration: {int(time.time()) - int(started)} s")
    missing = set().union(*FIGURES.values()) - set(checks_run)
    if missing:
        print(f"checks that never ran: {', '.join(sorted(missing))}", file=sys.stderr)
    for problem in problems:
        print(f"run not trusted: {problem}", file=sys.stderr)
    ok = (
        not failed and not errors and not junit_failures and not junit_errors and cases and not missing and not problems
    )
    print("contract: OK" if ok else "contract: FAILED (details in each run's log beside its report)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
