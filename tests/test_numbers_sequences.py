"""Digit sequences of the Numbers exhibit: exact digits against known prefixes, captions."""

from __future__ import annotations

import pytest

from exhibits.numbers.sequences import (
    FIRST_DIGITS,
    SEQUENCES,
    DigitSequence,
    _pi_scaled,
    decimal_digits,
    fibonacci_terms,
    prime_terms,
)

KNOWN = {  # the integer part and the first 50 decimals
    "pi": "3" "14159265358979323846264338327950288419716939937510",
    "e": "2" "71828182845904523536028747135266249775724709369995",
    "phi": "1" "61803398874989484820458683436563811772030917980576",
    "sqrt2": "1" "41421356237309504880168872420969807856967187537694",
}


@pytest.mark.parametrize("key", sorted(KNOWN))
def test_constants_match_known_prefixes(key):
    seq = DigitSequence(key)
    assert seq.digits(51) == KNOWN[key]
    assert [seq.digit(i) for i in range(51)] == [int(c) for c in KNOWN[key]]


def test_pi_is_exact_far_out_and_beyond_the_first_block():
    seq = DigitSequence("pi")
    # The Feynman point: six 9s from the 762nd decimal.
    assert seq.digits(770)[762:768] == "999999"
    # Digits past the first computed block come from a longer computation and agree with it.
    far = FIRST_DIGITS + 123
    frac = _pi_scaled(far + 20) - 3 * 10 ** (far + 20)
    assert seq.digit(far) == int(decimal_digits(frac, far + 20)[far - 1])
    assert len(seq.digits(far + 1)) == far + 1


def test_integer_sequences_are_their_terms_written_out():
    fib = fibonacci_terms()
    assert [next(fib) for _ in range(12)] == [1, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144]
    primes = prime_terms()
    assert [next(primes) for _ in range(12)] == [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37]
    assert DigitSequence("fibonacci").digits(20) == "11235813213455891442"
    assert DigitSequence("primes").digits(20) == "23571113171923293137"


def test_text_sequence_uses_only_digits_and_starts_over():
    seq = DigitSequence("text", "1980.05-18")
    assert seq.digits(12) == "198005181980"
    assert seq.period == 8
    with pytest.raises(ValueError):
        DigitSequence("text", "no digits")


def test_unknown_sequence_names_the_known_ones():
    with pytest.raises(KeyError, match="fibonacci"):
        DigitSequence("tau")


def test_captions_write_sequences_the_way_people_read_them():
    assert DigitSequence("pi").caption(8) == ("3.14159 2", "6")
    assert DigitSequence("e").caption(1) == ("", "2")
    assert DigitSequence("fibonacci").caption(10) == ("1 1 2 3 5 8 13 2", "1")
    assert DigitSequence("primes").caption(7) == ("2 3 5 7 11 ", "1")
    assert DigitSequence("text", "1980 05 18").caption(10) == ("1980 05 18 1", "9")
    assert DigitSequence("pi").caption(0) == ("", "")


@pytest.mark.parametrize("key", [k for k in SEQUENCES if k != "text"])
def test_long_captions_keep_the_head_and_the_newest_digits(key):
    seq = DigitSequence(key)
    head, newest = seq.caption(500, max_chars=40)
    assert len(head) + len(newest) <= 44
    assert " … " in head
    assert newest == str(seq.digit(499))
    assert head.startswith(seq.digits(2)[0])
