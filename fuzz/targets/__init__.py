"""The fuzz targets, by name. Each module has:

- DECLARED: the exceptions its code declares for bad input; anything else crashes the fuzzer.
- MAX_LEN: the longest input the fuzzer tries (libFuzzer's -max_len).
- prepared(): a context manager to run inputs in (a clock, say), entered once per process.
- DICT (optional): a libFuzzer dictionary in fuzz/dicts/ (-dict).
- NEEDS_INTAKE_KEYS (optional): inputs name intake keys, which the database must have.
- test_one_input(data): one input; raises only on a failure (an undeclared exception, a broken property).
"""

# Each target with the modules instrumented for coverage while it runs (with their submodules): the code its
# inputs reach. Instrumenting the whole project would cost seconds of start-up for edges no input reaches.
TARGETS = {
    "envelope": ("reports.api", "reports.envelope", "reports.parsers", "backend.api", "backend.pow", "backend.crypto"),
    "content": ("reports.api", "reports.envelope", "reports.parsers", "reports.access", "backend.api", "backend.pow"),
    "indicator": ("backend.crypto.blind_index", "phonenumbers.phonenumberutil"),
    "receipt": ("backend.receipts", "client.receipts", "reports.api"),
    "pow": ("backend.pow", "backend.crypto.encoding"),
    "sealed": ("backend.crypto", "backend.sealed_fields"),
    "vault": ("client.vault",),
}
