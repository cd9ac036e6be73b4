"""The fuzz targets, by name. Each module has:

- DECLARED: the exceptions its code declares for bad input; anything else crashes the fuzzer.
- MAX_LEN: the longest input the fuzzer tries (libFuzzer's -max_len).
- prepared(): a context manager to run inputs in (a clock, say), entered once per process.
- DICT (optional): a libFuzzer dictionary in fuzz/dicts/ (-dict).
- NEEDS_INTAKE_KEYS (optional): inputs name intake keys, which the database must have.
- test_one_input(data): one input; raises only on a failure (an undeclared exception, a broken property).
"""

TARGETS = ("envelope", "content", "indicator", "receipt", "pow", "sealed", "vault")
