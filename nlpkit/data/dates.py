"""Human-readable dates paired with ISO 8601 dates (YYYY-MM-DD), generated offline.

Random dates come from Faker and are written out with Babel's `format_date` in many patterns and
locales ("Monday, December 31, 2018", "31. Dezember 2018", "31 déc. 2018", "12/31/2018", ...). The
target is always the ISO form. This is the classic toy task for attention models: a character-level
translator learns it almost perfectly and its attention maps are easy to read.

The year is written with the calendar-year field `y` (or `yyyy`). Babel's `Y`/`YYYY` is the
ISO week-numbering year, which differs from the calendar year for a few days around New Year
(2018-12-31 is in week 1 of 2019): using it silently mislabels about 0.8% of random dates.

Faker and Babel are optional (`pip install "nlpkit[translation]"`).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence

from nlpkit.errors import MissingDependencyError
from nlpkit.utils.validation import check_int

__all__ = ["LOCALES", "PATTERNS", "format_human", "generate_dates"]

#: Latin-script locales whose month names do not collide with a different month elsewhere.
LOCALES = ("en_US", "en_GB", "fr_FR", "de_DE", "es_ES", "it_IT", "pt_BR", "nl_NL")

#: Babel patterns (plus each locale's 'medium', 'long' and 'full' formats). Numeric forms keep one
#: order per separator (slash = month/day, dot = day.month, dash = ISO) so that no string is
#: ambiguous. Every year field is the calendar year `y`/`yyyy`, never the week-year `Y`.
PATTERNS = (
    "medium",
    "long",
    "full",
    "d MMM y",
    "d MMMM y",
    "dd MMM yyyy",
    "MMM d, y",
    "MMMM d y",
    "EEE d MMM y",
    "EEEE d MMMM y",
    "d MMMM, y",
    "MM/dd/yyyy",
    "M/d/y",
    "dd.MM.yyyy",
    "d.M.y",
    "y-MM-dd",
)


def _babel_format_date():
    try:
        from babel.dates import format_date
    except ImportError as e:
        raise MissingDependencyError("babel", "translation", "Date generation") from e
    return format_date


def format_human(date: _dt.date, pattern: str = "medium", locale: str = "en_US") -> str:
    """Write `date` with a Babel pattern or standard format name in `locale`.

    Raises:
        ValueError: `pattern` uses the week-numbering year `Y`, which is wrong near New Year.
        MissingDependencyError: Babel is not installed.

    Example:
        >>> import datetime
        >>> format_human(datetime.date(2018, 12, 31), "d MMM y", "en_GB")
        '31 Dec 2018'
    """
    if "Y" in pattern.replace("'", ""):
        raise ValueError(
            f"Date pattern {pattern!r} uses 'Y', the ISO week-numbering year, which differs from the "
            "calendar year near New Year. Use 'y' or 'yyyy'."
        )
    return _babel_format_date()(date, pattern, locale=locale)


def generate_dates(
    n: int,
    *,
    seed: int | None = None,
    locales: Sequence[str] = LOCALES,
    patterns: Sequence[str] = PATTERNS,
    start: _dt.date = _dt.date(1950, 1, 1),
    end: _dt.date = _dt.date(2049, 12, 31),
) -> tuple[list[str], list[str]]:
    """Generate `n` (human-readable, ISO) date pairs.

    Args:
        n: Number of pairs.
        seed: Seed for Faker's generator (same seed, same pairs).
        locales: Babel locales to draw from, uniformly.
        patterns: Babel patterns or standard format names to draw from, uniformly.
        start: First possible date.
        end: Last possible date.

    Returns:
        `(human, iso)`: two lists of `n` strings, e.g. `"Monday, December 31, 2018"` and
        `"2018-12-31"`.

    Raises:
        MissingDependencyError: Faker or Babel is not installed.
        ValueError: `n` < 1, `start` > `end`, or a pattern uses the week-year `Y`.

    Example:
        >>> human, iso = generate_dates(3, seed=0)
        >>> len(human), all(len(d) == 10 and d[4] == d[7] == "-" for d in iso)
        (3, True)
    """
    n = check_int("n", n, 1)
    if start > end:
        raise ValueError(f"`start` must not be after `end`. Received: start={start}, end={end}")
    for p in patterns:
        if "Y" in p.replace("'", ""):
            raise ValueError(
                f"Date pattern {p!r} uses 'Y', the ISO week-numbering year. Use 'y' or 'yyyy'."
            )
    try:
        import faker
    except ImportError as e:
        raise MissingDependencyError("faker", "translation", "Date generation") from e
    fake = faker.Faker()
    fake.seed_instance(seed)
    rnd = fake.random
    locales, patterns = list(locales), list(patterns)
    human, iso = [], []
    for _ in range(n):
        date = fake.date_between_dates(date_start=start, date_end=end)
        text = format_human(date, rnd.choice(patterns), rnd.choice(locales))
        human.append(text)
        iso.append(date.isoformat())
    return human, iso
