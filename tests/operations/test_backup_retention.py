"""The retention policy on snapshot names, worked by hand on a calendar (2026-03-02 is a
Monday: ISO week 10; 03-09 and 03-10 week 11; 03-16 week 12)."""

from __future__ import annotations

from operations.backup.retention import to_keep

NAMES = [
    "20260302T030000Z",  # Mon, week 10
    "20260304T030000Z",  # Wed, week 10
    "20260309T030000Z",  # Mon, week 11
    "20260310T030000Z",  # Tue, week 11
    "20260316T010000Z",  # Mon, week 12
    "20260316T050000Z",  # Mon, week 12, later the same day
]


def test_daily_keeps_the_newest_of_each_recent_day() -> None:
    assert to_keep(NAMES, daily=2, weekly=0) == ["20260310T030000Z", "20260316T050000Z"]


def test_weekly_keeps_the_newest_of_each_recent_iso_week() -> None:
    assert to_keep(NAMES, daily=1, weekly=3) == [
        "20260304T030000Z",
        "20260310T030000Z",
        "20260316T050000Z",
    ]


def test_the_newest_snapshot_is_always_kept() -> None:
    assert to_keep(NAMES, daily=0, weekly=0) == ["20260316T050000Z"]
