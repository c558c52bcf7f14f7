"""Argument checks shared by the public functions: each error names the argument, what was
expected and what was given.

Numbers are ``numbers.Real`` (Python or NumPy floats and integers, never ``bool``) and
finite; strings such as ``"0.9"`` are refused rather than parsed.
"""

from __future__ import annotations

import math
from numbers import Integral, Real

__all__ = ["real", "integer", "boolean", "seed", "did_you_mean"]


def real(name: str, value, low: float | None = None, high: float | None = None, *,
         low_open: bool = False, high_open: bool = False, what: str = "a number") -> float:
    """``value`` as a float, or ValueError: a finite real number in [low, high] (ends open as asked)."""
    ok = isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value)
    if ok and low is not None:
        ok = value > low if low_open else value >= low
    if ok and high is not None:
        ok = value < high if high_open else value <= high
    if not ok:
        lo = "" if low is None else ("(" if low_open else "[") + f"{low:g}"
        hi = "" if high is None else f"{high:g}" + (")" if high_open else "]")
        interval = f" in {lo}, {hi}" if low is not None and high is not None else (
            f" {'>' if low_open else '>='} {low:g}" if low is not None else (
                f" {'<' if high_open else '<='} {high:g}" if high is not None else ""))
        raise ValueError(f"{name}: expected {what}{interval}; got {value!r}")
    return float(value)


def integer(name: str, value, minimum: int = 1) -> int:
    """``value`` as an int, or ValueError: an integer (not bool) >= minimum."""
    if isinstance(value, bool) or not isinstance(value, Integral) or value < minimum:
        raise ValueError(f"{name}: expected an integer >= {minimum}; got {value!r}")
    return int(value)


def boolean(name: str, value) -> bool:
    """``value`` as a bool, or TypeError: True or False (NumPy's too), not a truthy string or number."""
    import numpy as np

    if not isinstance(value, (bool, np.bool_)):  # (np.bool_'s type name is "bool" in NumPy 2: no test by name)
        raise TypeError(f"{name}: expected True or False; got {value!r}")
    return bool(value)


def did_you_mean(name, candidates) -> str:
    """"; did you mean 'adam'?" for a name close to one of ``candidates`` (in another case, with '_' for '-',
    or one or two letters off), else "": what an unknown-name message ends with."""
    if not isinstance(name, str) or not name:
        return ""
    import difflib

    def plain(text: str) -> str:
        return text.lower().replace("_", "-")

    candidates = [c for c in candidates if isinstance(c, str) and c != name]
    same = [c for c in candidates if plain(c) == plain(name)]
    close = same or [next(c for c in candidates if plain(c) == match)
                     for match in difflib.get_close_matches(plain(name), [plain(c) for c in candidates], n=1, cutoff=0.75)]
    return f"; did you mean {close[0]!r}?" if close else ""


def seed(name: str, value):
    """``value`` if NumPy's ``default_rng`` takes it as a seed here: None, an integer >= 0, a Generator,
    SeedSequence or BitGenerator; else ValueError naming ``name`` (NumPy's own message names nothing)."""
    import numpy as np

    if value is None or isinstance(value, (np.random.Generator, np.random.SeedSequence, np.random.BitGenerator)):
        return value
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 0:
        raise ValueError(f"{name}: expected an integer >= 0, a numpy Generator or None; got {value!r}")
    return int(value)
