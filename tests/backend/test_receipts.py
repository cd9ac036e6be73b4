import os
import re

import pytest

from backend.receipts import MalformedReceipt, receipt_canonical, receipt_hash, receipt_matches, receipt_new

KEY = os.urandom(32)


def test_new_receipts_are_twenty_digits_in_groups_of_four():
    receipt = receipt_new()
    assert re.fullmatch(r"\d{4}(-\d{4}){4}", receipt)
    assert 20 * 3.3219 >= 64  # log2(10^20) = 66.4 bits of entropy


def test_receipts_do_not_repeat():
    assert len({receipt_new() for _ in range(2000)}) == 2000


def test_typed_forms_are_the_same_receipt():
    receipt = "1234-5678-9012-3456-7890"
    for typed in (
        "12345678901234567890",
        "1234 5678 9012 3456 7890",
        "١٢٣٤-٥٦٧٨-٩٠١٢-٣٤٥٦-٧٨٩٠",
        "۱۲۳۴ ۵۶۷۸ ۹۰۱۲ ۳۴۵۶ ۷۸۹۰",
        # Copied out of right-to-left text: direction marks and isolates, a zero-width space, the Arabic
        # thousands separator, a line break.
        "\u2066١٢٣٤\u2069\u200f-٥٦٧٨\u200e-٩٠١٢\u200b٣٤٥٦\u066c\n٧٨٩٠\u061c",
        "\ufeff\u202b1234-5678\u202c \u202a9012\u2060-3456-7890\u202e\u202c",
    ):
        assert receipt_canonical(typed) == "12345678901234567890"
        assert receipt_hash(typed, key=KEY) == receipt_hash(receipt, key=KEY)


@pytest.mark.parametrize(
    "typed",
    ["", "1234", "1234-5678-9012-3456-789", "1234-5678-9012-3456-78901", "abcd-5678-9012-3456-7890", "1" * 100, None],
)
def test_malformed_receipts_are_refused(typed):
    with pytest.raises(MalformedReceipt):
        receipt_canonical(typed)


def test_stored_hash_is_keyed_and_holds_no_digits():
    receipt = receipt_new()
    stored = receipt_hash(receipt, key=KEY)
    assert receipt_canonical(receipt).encode() not in stored
    assert stored != receipt_hash(receipt, key=os.urandom(32))
    assert len(stored) == 32


def test_matching_is_exact():
    receipt = receipt_new()
    stored = receipt_hash(receipt, key=KEY)
    assert receipt_matches(receipt, stored, key=KEY)
    digits = receipt_canonical(receipt)
    wrong = digits[:-1] + str((int(digits[-1]) + 1) % 10)
    assert not receipt_matches(wrong, stored, key=KEY)
    assert not receipt_matches("not a receipt", stored, key=KEY)


def test_settings_key_is_used_by_default(settings):
    receipt = receipt_new()
    assert receipt_hash(receipt) == receipt_hash(receipt, key=settings.SANAD_RECEIPT_KEY)
