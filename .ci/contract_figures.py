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
    runs = sorted(Path(directory).glob("*.ndjson"))
    for path in runs:
        for line in path.read_text(encoding="utf-8").splitlines():
            event = json.loads(line)
            kind, body = next(iter(event.items()))
            if kind == "NonFatalError" or (kind == "ScenarioFinished" and body["status"] == "error"):
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
    ok = not failed and not errors and not junit_failures and not junit_errors and cases and not missing
    print("contract: OK" if ok else "contract: FAILED (details in each run's log beside its report)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
