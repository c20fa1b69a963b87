"""Units shared by the analyses: one definition of each conversion."""

#: Days in a month on average (Julian year / 12 = 30.4375), to turn days since an event into months.
DAYS_PER_MONTH = 365.25 / 12
