"""From reads to files in the inbox: naming, late arrival, duplicates, damage, multi-read files.

The planner (in the simulating process) decides every quirk with the run's random generator;
:func:`write_deliveries` (in the simulating process or a worker) only renders and writes, so the
bytes do not depend on how many workers there are.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

import evadts
from simulator.config import SimConfig
from simulator.dex import Dialect, ReadPayload, render
from simulator.fleet import Device
from simulator.units import DAY_SECONDS

# Quirk names as they appear in truth/deliveries.parquet.
DUPLICATE, REEXPORT, DAMAGED, TRUNCATED, MULTI_READ, LATE = (
    "duplicate", "reexport", "damaged", "truncated", "multi_read", "late",
)  # fmt: skip


@dataclass(frozen=True)
class Delivery:
    """One file: its name, the reads in it (in time order), how it is spoiled, when it arrives."""

    name: str
    serial: str
    reads: tuple[ReadPayload, ...]
    dialect: Dialect
    quirks: tuple[str, ...]
    arrival_day: int  # 0-based day of the run; may lie after its last day
    batch: int  # 1-based arrival window
    damage_at: float | None = None  # where in the selection block a byte is changed (0..1)
    truncate_at: float | None = None  # where in the selection block the file is cut (0..1)
    duplicate_of: str | None = None

    @property
    def usable(self) -> bool:
        """Whether every read in the file will parse as usable."""
        return self.damage_at is None and self.truncate_at is None


def file_stem(serial: str, epoch: datetime, true_seconds: int) -> str:
    """``<serial>_<YYYYMMDDHHMMSS>``: the uploader's (true) time of the file's first read."""
    return f"{serial}_{epoch + timedelta(seconds=true_seconds):%Y%m%d%H%M%S}"


class DeliveryPlanner:
    """Turns each read into zero or more deliveries, with the configured quirks."""

    def __init__(
        self, config: SimConfig, devices: tuple[Device, ...], rng: np.random.Generator
    ) -> None:
        self.config = config
        self.q = config.quirks
        self.rng = rng
        self.dialects = tuple(self._dialect(d) for d in devices)
        self.pending: dict[int, ReadPayload] = {}

    def _dialect(self, device: Device) -> Dialect:
        q = self.q
        if not q.enabled:
            return Dialect()
        r = self.rng.random(5)
        return Dialect(
            line_ending="\n" if r[0] < q.lf_only else "\r\n",
            crc_case="lower" if r[1] < q.lower_crc else "upper",
            date_digits=6 if r[2] < q.six_digit_dates else 8,
            # The wrap device must send cumulative counters, or its wrap would not show.
            interval_only=bool(r[3] < q.interval_only)
            and device.index != self.config.operations.wrap_machine,
            handheld_wrapper=not device.telemetry and bool(r[4] < q.handheld_wrapper),
        )

    def batch_of(self, arrival_day: int) -> int:
        """The 1-based arrival window of a day; files arriving after the run go to the last."""
        batches, days = self.config.batches, self.config.days
        return min(batches, arrival_day * batches // days + 1)

    def plan(
        self, device: int, payload: ReadPayload, nightly: bool, protect: bool
    ) -> tuple[list[Delivery], bool]:
        """Deliveries to write for a new read, and whether this read arrives usable.

        ``protect`` keeps the read intact (first and last reads of the run, the read before a
        board replacement), so that the counters after it can still be reconciled.
        """
        q, rng = self.q, self.rng
        out: list[Delivery] = []
        held = self.pending.pop(device, None)
        if held is not None and not nightly:
            out.append(self._make(device, (held,), (MULTI_READ,), held_alone=True))
        if not q.enabled:
            return [*out, self._make(device, (payload,), ())], True
        if held is not None and nightly:
            reads: tuple[ReadPayload, ...] = (held, payload)
        elif nightly and not protect and rng.random() < q.multi_read:
            self.pending[device] = payload  # the upload failed; it goes with the next one
            return out, True
        else:
            reads = (payload,)
        quirks: list[str] = [MULTI_READ] if len(reads) > 1 else []
        damage = truncate = None
        spoilable = len(reads) == 1 and not protect and not self.dialects[device].interval_only
        r = rng.random()
        if spoilable and r < q.damaged:
            damage, quirks = float(rng.random()), [*quirks, DAMAGED]
        elif spoilable and r < q.damaged + q.truncated:
            truncate, quirks = float(rng.random()), [*quirks, TRUNCATED]
        main = self._make(device, reads, tuple(quirks), damage=damage, truncate=truncate)
        out.append(main)
        if main.usable and rng.random() < q.duplicate:
            out.append(self._copy(main, "(1)", DUPLICATE, main.dialect))
        if main.usable and rng.random() < q.reexport:
            other = replace(
                main.dialect,
                line_ending="\n" if main.dialect.line_ending == "\r\n" else "\r\n",
                crc_case="lower" if main.dialect.crc_case == "upper" else "upper",
            )
            out.append(self._copy(main, "_export", REEXPORT, other))
        return out, main.usable

    def flush(self) -> list[Delivery]:
        """Deliver every held upload (end of the run)."""
        held = sorted(self.pending.items())
        self.pending.clear()
        return [self._make(d, (p,), (MULTI_READ,), held_alone=True) for d, p in held]

    def _arrival(self, last: ReadPayload, quirks: tuple[str, ...]) -> tuple[int, tuple[str, ...]]:
        day = last.true_read_at // DAY_SECONDS
        if self.q.enabled and self.rng.random() < self.q.late:
            return day + int(self.rng.integers(1, self.q.max_late_days + 1)), (*quirks, LATE)
        return day, quirks

    def _make(
        self,
        device: int,
        reads: tuple[ReadPayload, ...],
        quirks: tuple[str, ...],
        *,
        damage: float | None = None,
        truncate: float | None = None,
        held_alone: bool = False,
    ) -> Delivery:
        first = reads[0]
        day, quirks = self._arrival(reads[-1], quirks)
        if held_alone:
            # A held upload sent on its own the next day: it is late, not multi-read.
            quirks = (LATE,)
            day = max(day, first.true_read_at // DAY_SECONDS + 1)
        return Delivery(
            name=file_stem(first.serial, first.epoch, first.true_read_at) + ".dex",
            serial=first.serial,
            reads=reads,
            dialect=self.dialects[device],
            quirks=quirks,
            arrival_day=day,
            batch=self.batch_of(day),
            damage_at=damage,
            truncate_at=truncate,
        )

    def _copy(self, main: Delivery, suffix: str, quirk: str, dialect: Dialect) -> Delivery:
        day = main.arrival_day + int(self.rng.integers(0, 3))
        return replace(
            main,
            name=main.name.removesuffix(".dex") + suffix + ".dex",
            dialect=dialect,
            quirks=(quirk,),
            arrival_day=day,
            batch=self.batch_of(day),
            duplicate_of=main.name,
        )


def _selection_block(data: bytes) -> tuple[int, int]:
    start = data.find(b"PA1*")
    end = data.find(b"G85*")
    return (start if start >= 0 else 0), (end if end > 0 else len(data))


def spoil(data: bytes, damage_at: float | None, truncate_at: float | None) -> bytes:
    """Change one digit or cut the file inside the selection block so the read is unusable.

    Checked with the parser: the first position where the parse says unusable is taken, so a
    damaged file is never accidentally accepted under a CRC variant.
    """
    lo, hi = _selection_block(data)
    if truncate_at is not None:
        for k in range(hi - lo):
            cut = lo + (int(truncate_at * (hi - lo)) + k) % (hi - lo)
            candidate = data[:cut]
            if not any(r.usable for r in evadts.parse(candidate).reads):
                return candidate
        raise ValueError("no truncation point makes the read unusable")
    if damage_at is None:
        raise ValueError("spoil needs damage_at or truncate_at")
    digits = [i for i in range(lo, hi) if 48 <= data[i] <= 57]
    first = int(damage_at * len(digits))
    for k in range(len(digits)):
        i = digits[(first + k) % len(digits)]
        candidate = data[:i] + bytes([48 + (data[i] - 48 + 1) % 10]) + data[i + 1 :]
        if not any(r.usable for r in evadts.parse(candidate).reads):
            return candidate
    raise ValueError("no digit change makes the read unusable")


def delivery_bytes(delivery: Delivery) -> bytes:
    """The exact bytes of a delivery."""
    data = b"".join(render(p, delivery.dialect) for p in delivery.reads)
    if delivery.damage_at is not None or delivery.truncate_at is not None:
        data = spoil(data, delivery.damage_at, delivery.truncate_at)
    return data


def write_deliveries(inbox: Path, deliveries: list[Delivery]) -> tuple[int, int]:
    """Write each delivery into ``inbox``; return (files, bytes)."""
    total = 0
    for d in deliveries:
        data = delivery_bytes(d)
        (inbox / d.name).write_bytes(data)
        total += len(data)
    return len(deliveries), total
