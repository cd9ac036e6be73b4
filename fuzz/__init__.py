"""Coverage-guided fuzzing (atheris, libFuzzer) of what reads untrusted bytes: `make fuzz`, `.ci/fuzz`.

Each module in fuzz.targets names the errors its code declares for bad input and
lets anything else crash the fuzzer; fuzz/corpus/<target>/ holds its seeds, made
by the app's own code (python -m fuzz.make_corpus). tests/fuzz runs every target
once over its committed seeds, so `make test` catches a seed that crashes.
"""
