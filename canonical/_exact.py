"""Exact decimal arithmetic shared by the canonical modules (private)."""

import decimal
from decimal import Decimal
from fractions import Fraction

# The default context rounds to 28 significant digits without a word; sums, differences and
# products of Decimals are exact at MAX_PREC, and Inexact is trapped in case that ever fails.
EXACT = decimal.Context(
    prec=decimal.MAX_PREC,
    Emax=decimal.MAX_EMAX,
    Emin=decimal.MIN_EMIN,
    rounding=decimal.ROUND_HALF_EVEN,
    traps=[decimal.InvalidOperation, decimal.Overflow, decimal.DivisionByZero, decimal.Inexact],
)

# Only for values that cannot be exact (a non-terminating rounding difference).
APPROX = decimal.Context(prec=28, rounding=decimal.ROUND_HALF_EVEN)


def terminating_decimal(value: Fraction) -> Decimal | None:
    """Return ``value`` as an exactly equal Decimal, or None if its decimal expansion repeats.

    A reduced fraction terminates exactly when its denominator has no prime factors but 2 and 5.
    """
    rest = value.denominator
    twos = fives = 0
    while rest % 2 == 0:
        rest //= 2
        twos += 1
    while rest % 5 == 0:
        rest //= 5
        fives += 1
    if rest != 1:
        return None
    places = max(twos, fives)
    scaled = value.numerator * (10**places // value.denominator)
    return Decimal(scaled).scaleb(-places, EXACT)


def approximate_decimal(value: Fraction) -> Decimal:
    """Return ``value`` exactly when it terminates, else rounded to 28 significant digits."""
    exact = terminating_decimal(value)
    if exact is not None:
        return exact
    return APPROX.divide(Decimal(value.numerator), Decimal(value.denominator))


def format_decimal(value: Decimal) -> str:
    """Plain notation for messages and ``str()``: ``Decimal("1E+1")`` reads as ``10``."""
    return format(value, "f")


# Leave figures repeat (25 days for everyone, balances in half days): one Decimal object per
# value held by many balances saves ~100 bytes a figure. Bounded, so that data with few repeats
# cannot grow it without end; keyed by the text, which keeps 1, 1.0 and -0 apart.
_INTERNED: dict[str, Decimal] = {}
_MAX_INTERNED = 4096


def interned(value: Decimal) -> Decimal:
    """``value``, or an equal Decimal of the same representation seen before."""
    key = str(value)
    known = _INTERNED.get(key)
    if known is not None:
        return known
    if len(_INTERNED) < _MAX_INTERNED:
        _INTERNED[key] = value
    return value
