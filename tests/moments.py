"""The moments ``make test-moments`` runs the date-dependent tests at (those marked ``dated``).

Each is a case that once broke, or would: the README lists them. A moment is an ISO timestamp; the
suite's own default is ``tests.conftest.SUITE_MOMENT``.
"""

MATRIX = {
    "2026-12-01T10:00:00+08:00": "the 1st of a month (last month's returns not filed yet)",
    "2027-03-02T09:00:00+08:00": "the 2nd of a month",
    "2027-06-30T23:30:00+08:00": "the last day of a month at 23:30 in Hangzhou (15:30 UTC)",
    "2026-12-31T20:00:00+00:00": "New Year's Eve in UTC: already 1 January 2027 in Hangzhou",
    "2028-02-29T12:00:00+08:00": "a leap day",
    "2027-04-30T10:00:00+08:00": "30 April: last year's tax-credit grades just published",
    "2027-02-08T10:00:00+08:00": "the Spring Festival week of 2027 (a holiday Monday)",
    "2027-05-15T10:00:00+08:00": "a 15th that is a Saturday (the deadline moves to Monday)",
    "2027-10-17T10:00:00+08:00": "October 2027: after the 15th, before the deadline National Day extended",
}

if __name__ == "__main__":  # the Makefile reads the list from here
    print("\n".join(MATRIX))
