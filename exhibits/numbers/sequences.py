"""Digit sequences for the Numbers exhibit, computed exactly and offline with Python integers.

A :class:`DigitSequence` is an endless stream of decimal digits plus the way a caption writes it:

- ``pi`` π = 3.14159…   (Chudnovsky series, binary splitting, ``math.isqrt``)
- ``e``  e = 2.71828…   (Σ 1/k!, binary splitting)
- ``phi`` φ = 1.61803…  ((1 + √5) / 2 with ``math.isqrt``)
- ``sqrt2`` √2 = 1.41421…  (``math.isqrt``)
- ``fibonacci`` 1 1 2 3 5 8 13 21 … and ``primes`` 2 3 5 7 11 13 …: the terms written one after
  another, so the digit stream is 1,1,2,3,5,8,1,3,2,1,…; captions put spaces between terms.
- ``text``: a curator's digit string (spaces, dots and dashes only separate groups on screen);
  it starts over after its last digit.

Digit numbers are 1-based for visitors ("you grew digit #1" is π's 3); :meth:`DigitSequence.digit`
takes the 0-based index. Constants are computed to 4,096 digits at first use and to twice as many
whenever a caller asks beyond them (π to 65,536 digits takes well under a second), up to
``MAX_DIGITS``, after which they start over (a kiosk grows a few thousand digits a day).
Every computation carries guard digits and truncates, so every digit returned is exact.

Failure modes: an unknown sequence name raises ``KeyError`` naming the known ones; a ``text``
sequence without a single digit raises ``ValueError``.
"""

from __future__ import annotations

import bisect
import functools
import math
from collections.abc import Callable, Iterator

SEQUENCES: tuple[str, ...] = ("pi", "e", "phi", "sqrt2", "fibonacci", "primes", "text")

#: sequence -> (caption prefix, Korean name, English name); names fill the hint's {name}
NAMES: dict[str, tuple[str, str, str]] = {
    "pi": ("π = ", "원주율 π", "π"),
    "e": ("e = ", "자연상수 e", "e"),
    "phi": ("φ = ", "황금비 φ", "the golden ratio φ"),
    "sqrt2": ("√2 = ", "√2", "√2"),
    "fibonacci": ("피보나치 Fibonacci  ", "피보나치 수열", "the Fibonacci numbers"),
    "primes": ("소수 primes  ", "소수", "the primes"),
    "text": ("", "이 숫자들", "these numbers"),
}

GUARD = 12  # extra digits computed and dropped, so truncation never rounds a kept digit
FIRST_DIGITS = 4096
MAX_DIGITS = 1 << 20


# --- constants: floor(x * 10**n) for the first n digits after the point -----------------------
def _pi_scaled(n: int) -> int:
    """floor(π · 10**n) (Chudnovsky with binary splitting; ~14 digits per term)."""
    c3_24 = 640320**3 // 24

    def split(a: int, b: int) -> tuple[int, int, int]:
        if b - a == 1:
            if a == 0:
                p = q = 1
            else:
                p = (6 * a - 5) * (2 * a - 1) * (6 * a - 1)
                q = a * a * a * c3_24
            t = p * (13591409 + 545140134 * a)
            return p, q, -t if a & 1 else t
        m = (a + b) // 2
        p1, q1, t1 = split(a, m)
        p2, q2, t2 = split(m, b)
        return p1 * p2, q1 * q2, q2 * t1 + p1 * t2

    prec = n + GUARD
    terms = prec // 14 + 2
    _, q, t = split(0, terms)
    one = 10**prec
    sqrt_c = math.isqrt(10005 * one * one)
    return (426880 * sqrt_c * q // t) // 10**GUARD


def _e_scaled(n: int) -> int:
    """floor(e · 10**n) from Σ 1/k! (binary splitting of p/q = Σ_{k<K} K!/k! / K!)."""
    prec = n + GUARD
    k = 2
    log_fact = 0.0
    while log_fact < prec * math.log(10) + 10:  # K! > 10**prec, so the tail is below 1 ulp
        k += 1
        log_fact += math.log(k)

    def split(a: int, b: int) -> tuple[int, int]:
        # p/q = Σ_{j=a+1}^{b} 1 / ((a+1)(a+2)…j), q = (a+1)…b
        if b - a == 1:
            return 1, b
        m = (a + b) // 2
        p1, q1 = split(a, m)
        p2, q2 = split(m, b)
        return p1 * q2 + p2, q1 * q2

    p, q = split(0, k)
    return ((q + p) * 10**prec // q) // 10**GUARD  # e = 1 + Σ_{j≥1} 1/j!


def _phi_scaled(n: int) -> int:
    prec = n + GUARD
    one = 10**prec
    return ((one + math.isqrt(5 * one * one)) // 2) // 10**GUARD


def _sqrt2_scaled(n: int) -> int:
    one = 10 ** (n + GUARD)
    return math.isqrt(2 * one * one) // 10**GUARD


_CONSTANTS: dict[str, Callable[[int], int]] = {
    "pi": _pi_scaled, "e": _e_scaled, "phi": _phi_scaled, "sqrt2": _sqrt2_scaled,
}


def decimal_digits(x: int, width: int) -> str:
    """``x`` (0 <= x < 10**width) in decimal, zero-padded to ``width`` digits.

    Splits in halves so that no single ``str()`` call passes Python's 4,300-digit limit on
    int → str conversion (``sys.set_int_max_str_digits`` would change it for the whole process).
    """
    if width <= 2048:
        return str(x).zfill(width)
    half = width // 2
    hi, lo = divmod(x, 10**half)
    return decimal_digits(hi, width - half) + decimal_digits(lo, half)


# --- integer sequences ----------------------------------------------------------------------
def fibonacci_terms() -> Iterator[int]:
    """1, 1, 2, 3, 5, 8, 13, …"""
    a, b = 1, 1
    while True:
        yield a
        a, b = b, a + b


def prime_terms() -> Iterator[int]:
    """2, 3, 5, 7, 11, … (incremental sieve: each composite is crossed out when reached)."""
    yield 2
    composites: dict[int, int] = {}
    q = 3
    while True:
        step = composites.pop(q, 0)
        if step:
            nxt = q + step
            while nxt in composites:
                nxt += step
            composites[nxt] = step
        else:
            composites[q * q] = 2 * q
            yield q
        q += 2


@functools.lru_cache(maxsize=16)
def _constant(key: str, n: int) -> int:
    """``_CONSTANTS[key](n)``, once per process (~4 ms for the first digits, at every showing
    of Numbers otherwise; an int, so sharing it is safe)."""
    return _CONSTANTS[key](n)


class DigitSequence:
    """An endless stream of digits and its caption text (see the module docstring).

    Args:
        key: one of :data:`SEQUENCES`.
        text: the digits for ``key == "text"`` (other characters only separate groups).
    """

    def __init__(self, key: str, text: str = ""):
        if key not in SEQUENCES:
            raise KeyError(f"unknown sequence {key!r}; known: {', '.join(SEQUENCES)}")
        self.key = key
        self.prefix, self.name_ko, self.name_en = NAMES[key]
        self._digits = ""  # digits computed so far (for constants: including the integer part)
        self._breaks: list[int] = []  # digit counts after which a caption puts a space
        self._terms: Iterator[int] | None = None
        self._int_len = 0  # digits before the decimal point (constants)
        if key == "text":
            groups = ["".join(ch for ch in part if ch.isdigit())
                      for part in text.replace(".", " ").replace("-", " ").split()]
            groups = [g for g in groups if g]
            if not groups:
                raise ValueError("a 'text' sequence needs at least one digit 0-9")
            for g in groups:
                self._digits += g
                self._breaks.append(len(self._digits))
        elif key in ("fibonacci", "primes"):
            self._terms = fibonacci_terms() if key == "fibonacci" else prime_terms()
        else:
            self._compute(FIRST_DIGITS)

    # --- digits -------------------------------------------------------------------------------
    @property
    def is_constant(self) -> bool:
        return self.key in _CONSTANTS

    @property
    def period(self) -> int | None:
        """Length after which the stream starts over (``text``; constants at MAX_DIGITS)."""
        if self.key == "text":
            return len(self._digits)
        return MAX_DIGITS if self.is_constant else None

    def _compute(self, n: int) -> None:
        value = _constant(self.key, n)
        whole, frac = divmod(value, 10**n)
        head = str(whole)
        self._int_len = len(head)
        self._digits = head + decimal_digits(frac, n)

    def _ensure(self, count: int) -> None:
        """Make at least ``count`` digits available."""
        if self.key == "text" or len(self._digits) >= count:
            return
        if self._terms is not None:
            while len(self._digits) < count:
                self._digits += str(next(self._terms))
                self._breaks.append(len(self._digits))
            return
        n = max(FIRST_DIGITS, len(self._digits))
        while n < count:
            n *= 2
        self._compute(min(n, MAX_DIGITS))

    def _wrap(self, index: int) -> int:
        period = self.period
        return index % period if period else index

    def digit(self, index: int) -> int:
        """The digit at 0-based ``index`` (index 0 of π is 3)."""
        if index < 0:
            raise IndexError("digit index must be >= 0")
        i = self._wrap(index)
        self._ensure(i + 1)
        return int(self._digits[i])

    def digits(self, count: int) -> str:
        """The first ``count`` digits as a string (without dots or spaces)."""
        if self.period and count > self.period:
            return "".join(str(self.digit(i)) for i in range(count))
        self._ensure(count)
        return self._digits[:count]

    # --- captions -----------------------------------------------------------------------------
    def _format(self, start: int, stop: int) -> str:
        """Digits [start, stop) as a caption writes them (point after the integer part of a
        constant, a space every 5 decimals; a space between terms of an integer sequence)."""
        out = []
        for i in range(start, stop):
            j = self._wrap(i)
            if i > start or i > 0:
                if self.is_constant:
                    if j == self._int_len and j > 0:
                        out.append(".")
                    elif j > self._int_len and (j - self._int_len) % 5 == 0:
                        out.append(" ")
                elif self._is_break(j):
                    out.append(" ")
            out.append(self._digits[j])
        return "".join(out)

    def _is_break(self, j: int) -> bool:
        """True if a term ends just before digit ``j`` (``_breaks`` is sorted)."""
        if j == 0:
            return True  # a text sequence starting over
        k = bisect.bisect_left(self._breaks, j)
        return k < len(self._breaks) and self._breaks[k] == j

    def caption(self, count: int, max_chars: int = 48) -> tuple[str, str]:
        """The first ``count`` digits as ``(text before the newest digit, newest digit)``.

        Long sequences keep their head ("3.14159") and their most recent digits with " … "
        between, so the caption is at most about ``max_chars`` characters.
        """
        if count <= 0:
            return "", ""
        self._ensure(min(self._wrap(count - 1) + 1, MAX_DIGITS) if self.period else count)
        head_n = min(count, (self._int_len + 5) if self.is_constant else 4)
        full_budget = max_chars
        if count <= 2 * full_budget // 3 + head_n:
            text = self._format(0, count)
            if len(text) <= max_chars:
                return text[:-1], text[-1]
        head = self._format(0, head_n)
        tail_n = max(1, (max_chars - len(head) - 3) * 5 // 6)
        tail = self._format(count - tail_n, count).lstrip(" .")
        return f"{head} … {tail[:-1]}", tail[-1]
