"""`trendwatch backtest --since/--until`: times beyond what a datetime holds are usage errors."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import typer

from trendwatch.service.commands.times import parse_when

NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)


def test_parse_when_reads_ages_and_times() -> None:
    assert parse_when("1d", "--since", NOW) == datetime(2026, 11, 25, 12, tzinfo=UTC)
    assert parse_when("2026-11-01T08:00+03:30", "--since", NOW) == datetime(2026, 11, 1, 4, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("99999999999999d", "too long a duration"),
        ("999999d", "before year 1"),
        ("0001-01-01T00:00+01:00", "neither a date or time"),
    ],
)
def test_out_of_range_is_a_bad_parameter_naming_the_option(text: str, words: str) -> None:
    """Bug: these raised OverflowError (a traceback) instead of a usage error."""
    with pytest.raises(typer.BadParameter, match=words) as caught:
        parse_when(text, "--until", NOW)
    assert caught.value.param_hint == "--until"
