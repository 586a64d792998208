"""Units of simulated time, defined once: the run counts true seconds from its first midnight."""

from __future__ import annotations

from datetime import date

HOUR_SECONDS = 3_600
DAY_SECONDS = 86_400
# date.toordinal() of 1970-01-01: ordinal - this = days since the Unix epoch (Parquet date32).
UNIX_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
