"""evadts: a DEX/EVA-DTS audit file parser and writer (standard library plus a C CRC).

    >>> import evadts
    >>> result = evadts.parse(open("audit.dex", "rb").read(), source="audit.dex")
    >>> read = result.reads[0]
    >>> read.machine.serial, read.usable, read.integrity.crc_verified

Knows nothing of the rest of CVD: no Dagster, no DuckDB.
"""

from evadts.model import (
    AuditInfo,
    Cash,
    CoinTube,
    CounterSet,
    Currency,
    Event,
    Integrity,
    Machine,
    ParseResult,
    PriceList,
    PriceListSales,
    Problem,
    Read,
    Segment,
    Selection,
    Totals,
)
from evadts.parse import parse
from evadts.writer import WriteOptions, write

__all__ = [
    "AuditInfo",
    "Cash",
    "CoinTube",
    "CounterSet",
    "Currency",
    "Event",
    "Integrity",
    "Machine",
    "ParseResult",
    "PriceList",
    "PriceListSales",
    "Problem",
    "Read",
    "Segment",
    "Selection",
    "Totals",
    "WriteOptions",
    "parse",
    "write",
]
