"""Tracking codes: random, checked, forgiving when typed."""

from __future__ import annotations

import random
import re

from qms.complaints import codes


def test_a_code_has_twelve_symbols_and_a_check_symbol_and_is_shown_in_groups():
    code = codes.new_code()
    assert len(code) == 13 and all(c in codes.ALPHABET for c in code[:12])
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z*~$=]", codes.display(code))
    assert codes.parse(codes.display(code)) == code


def test_codes_do_not_repeat():
    assert len({codes.new_code() for _ in range(5000)}) == 5000


def test_typing_is_case_insensitive_and_folds_o_i_l():
    body = "0123456789AB"
    code = body + codes.check_symbol(body)
    typed = "o123-l5i6789ab".replace("5i", "45")[:0] + f"o12{3}-4567-89ab-{code[-1].lower()}"
    assert codes.parse(typed) == code
    assert codes.parse(f" O1 23 456L 89AB{code[-1]} ".replace("L", "7")) == code


def test_one_wrong_symbol_or_two_swapped_neighbours_is_caught():
    rng = random.Random(7)
    for _ in range(300):
        code = codes.new_code()
        pos = rng.randrange(12)
        wrong = rng.choice([c for c in codes.ALPHABET if c != code[pos]])
        assert codes.parse(code[:pos] + wrong + code[pos + 1:]) is None
        if code[pos] != code[pos + 1] and pos < 11:
            swapped = code[:pos] + code[pos + 1] + code[pos] + code[pos + 2:]
            assert codes.parse(swapped) is None


def test_malformed_input_is_refused():
    for text in ("", "ABC", "U" * 13, "!" * 13, codes.new_code() + "0"):
        assert codes.parse(text) is None
