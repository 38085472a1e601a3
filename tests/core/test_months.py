import pytest

from core.lib.dates import MONTH_NAMES, months_in_order, months_in_words


@pytest.mark.parametrize(
    ("months", "words"),
    [
        pytest.param([], "", id="no months"),
        pytest.param([6], "June", id="one month"),
        pytest.param([4, 3], "March, April", id="in calendar order"),
        pytest.param([1, 12], "December, January", id="a run across the year end"),
        pytest.param([2, 12, 1], "December, January, February", id="a winter"),
        pytest.param([11, 12, 2, 3], "November, December, February, March", id="a gap in it"),
        pytest.param([1, 5, 6, 12], "December, January, May, June", id="two runs"),
        pytest.param([1, 7], "January, July", id="equal gaps start in January"),
        pytest.param([12, 12, 1], "December, January", id="repeats once"),
    ],
)
def test_months_read_in_calendar_order_across_the_year_end(months, words):
    assert months_in_words(months) == words


def test_a_whole_year_starts_in_january():
    assert months_in_order(range(12, 0, -1)) == list(range(1, 13))
    assert months_in_words(range(1, 13)) == ", ".join(MONTH_NAMES)


def test_a_month_outside_1_to_12_is_refused():
    with pytest.raises(ValueError, match="13"):
        months_in_words([1, 13])
