"""Errors raised by the canonical model.

All subclass :class:`CanonicalError`, itself a :class:`ValueError`, so that pydantic reports them
inside a ``ValidationError`` and callers can catch every canonical failure with one clause.
"""


class CanonicalError(ValueError):
    """A value breaks a rule of the canonical model (non-finite number, empty id, ...)."""


class InexactConversionError(CanonicalError):
    """A unit conversion has no exact decimal result; use ``convert_rounded`` instead."""


class MissingScheduleError(CanonicalError):
    """A conversion between days and hours or minutes was asked for without a work schedule."""


class BalanceInconsistentError(CanonicalError):
    """A balance's figures contradict ``remaining = entitled - used`` or its ``available`` one.

    The second identity is ``available = remaining - pending``.
    """
