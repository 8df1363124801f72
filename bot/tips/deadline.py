"""When a formal report to Bawaslu is due, for the reporter's page after sending an anonymous one.

The law counts from the day the violation became known ("sejak diketahui"), which the bot does not ask; it
counts from the incident date, the earliest that day can be, and says so. Pemilu: 7 working days (UU 7/2017
Pasal 454 ayat (6)), counted here as Monday to Friday: national holidays, which only push the deadline later,
are not known to the bot and the page says so. Pilkada: 7 days (UU 1/2015 Pasal 134 ayat (4) as amended by
UU 8/2015, whose Pasal 1 angka 28 makes a day a calendar day).
"""

from __future__ import annotations

from datetime import date, timedelta

PEMILU_WORKING_DAYS = 7
PILKADA_DAYS = 7


def formal_deadline(election: str | None, known: date) -> date | None:
    """The last day for a formal report of a violation known on `known`; None when the election is unknown."""
    if election == "pilkada":
        return known + timedelta(days=PILKADA_DAYS)
    if election != "pemilu":
        return None
    day, left = known, PEMILU_WORKING_DAYS
    while left:
        day += timedelta(days=1)
        if day.weekday() < 5:  # Monday to Friday
            left -= 1
    return day
