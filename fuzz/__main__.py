"""python -m fuzz TARGET [libFuzzer flags] [corpus directories or input files]

Runs one target of fuzz.targets under atheris. Without corpus directories it
reads fuzz/corpus/TARGET/ (the committed seeds) and var/fuzz/corpus/TARGET/,
where libFuzzer keeps what it finds (the first directory given is written to);
crashes go to var/fuzz/crashes/TARGET/ (-artifact_prefix). Files instead of
directories are run once each: `python -m fuzz envelope var/fuzz/crashes/envelope/crash-...`
replays a crash. Other flags go to libFuzzer as they are (-max_total_time,
-runs, -seed, -max_len, ...).
"""

from __future__ import annotations

import importlib
import sys

from fuzz import harness
from fuzz.targets import TARGETS


def libfuzzer_arguments(name: str, module, arguments: list[str]) -> list[str]:
    given = {argument.split("=", 1)[0] for argument in arguments if argument.startswith("-")}
    inputs = [argument for argument in arguments if not argument.startswith("-")]
    extra = []
    if not inputs:
        found = harness.VAR / "corpus" / name
        found.mkdir(parents=True, exist_ok=True)
        extra += [str(found), str(harness.CORPUS / name)]
    if "-artifact_prefix" not in given:
        crashes = harness.VAR / "crashes" / name
        crashes.mkdir(parents=True, exist_ok=True)
        extra.append(f"-artifact_prefix={crashes}/")
    if "-max_len" not in given:
        extra.append(f"-max_len={module.MAX_LEN}")
    if "-dict" not in given and getattr(module, "DICT", None):
        extra.append(f"-dict={harness.ROOT / 'fuzz' / 'dicts' / module.DICT}")
    if "-timeout" not in given:
        extra.append("-timeout=30")  # seconds for one input: a hang is a finding too
    return [*arguments, *extra]


def main(argv: list[str]) -> None:
    if len(argv) < 2 or argv[1] not in TARGETS:
        sys.exit(f"usage: python -m fuzz {{{','.join(TARGETS)}}} [libFuzzer flags] [corpus directories]")
    name = argv[1]
    harness.configure_environment()
    import atheris

    with atheris.instrument_imports(include=list(TARGETS[name])):
        import django

        django.setup()
        module = importlib.import_module(f"fuzz.targets.{name}")
    if getattr(module, "NEEDS_INTAKE_KEYS", False):
        harness.database_with_intake_keys()
    arguments = libfuzzer_arguments(name, module, argv[2:])
    print(f"fuzz: {name} {' '.join(arguments)}", file=sys.stderr, flush=True)
    with module.prepared():
        atheris.Setup([f"fuzz-{name}", *arguments], module.test_one_input)
        atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
