"""Durations as people read them."""

from minbert_lab.durations import duration


def test_each_range_has_its_units():
    assert duration(5.94) == "5.9 s"
    assert duration(192.4) == "3 min 12 s"
    assert duration(7500) == "2 h 05 min"
