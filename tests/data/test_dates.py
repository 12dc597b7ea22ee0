"""Tests for nlpkit.data.dates, including the week-year (`YYYY`) trap."""

import datetime as dt
import re

import pytest

from nlpkit.data.dates import PATTERNS, format_human, generate_dates

# Dates whose ISO week-numbering year differs from their calendar year.
NEW_YEAR_TRAPS = [
    dt.date(2018, 12, 31),
    dt.date(2019, 12, 30),
    dt.date(2021, 1, 1),
    dt.date(2016, 1, 3),
]


def test_pairs_are_iso_and_reproducible():
    human, iso = generate_dates(300, seed=7)
    assert len(human) == len(iso) == 300
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", s) for s in iso)
    assert generate_dates(300, seed=7) == (human, iso)
    assert generate_dates(300, seed=8) != (human, iso)
    assert len(set(human)) > 250  # many formats and locales
    # the written year is the ISO year in every pair whose text shows a 4-digit year
    for h, i in zip(human, iso, strict=True):
        years = re.findall(r"\d{4}", h)
        assert years == [i[:4]], (h, i)


def test_calendar_year_near_new_year_for_every_pattern():
    """The `YYYY` trap: each shipped pattern must write the calendar year, not the week year."""
    for pattern in PATTERNS:
        assert "Y" not in pattern
        for locale in ("en_US", "de_DE", "fr_FR"):
            for date in NEW_YEAR_TRAPS:
                text = format_human(date, pattern, locale)
                assert str(date.year) in text, (pattern, locale, text)
                assert str(date.isocalendar().year) not in text, (pattern, locale, text)


def test_the_trap_is_real_and_refused():
    from babel.dates import format_date

    # Babel's YYYY really is the week-numbering year: this is what the generator must avoid.
    assert format_date(dt.date(2018, 12, 31), "d MMM YYYY", locale="en_US") == "31 Dec 2019"
    assert format_human(dt.date(2018, 12, 31), "d MMM yyyy", "en_US") == "31 Dec 2018"
    with pytest.raises(ValueError, match="week-numbering year"):
        format_human(dt.date(2018, 12, 31), "d MMM YYYY")
    with pytest.raises(ValueError, match="week-numbering year"):
        generate_dates(5, patterns=["dd.MM.YYYY"])


def test_generated_years_over_new_year_window():
    human, iso = generate_dates(200, seed=3, start=dt.date(2018, 12, 28), end=dt.date(2019, 1, 3))
    for h, i in zip(human, iso, strict=True):
        assert re.findall(r"\d{4}", h) == [i[:4]], (h, i)
    assert {i[:4] for i in iso} == {"2018", "2019"}


def test_bad_arguments():
    with pytest.raises(ValueError, match="`n` must be >= 1"):
        generate_dates(0)
    with pytest.raises(ValueError, match="`start` must not be after `end`"):
        generate_dates(3, start=dt.date(2000, 1, 2), end=dt.date(2000, 1, 1))
