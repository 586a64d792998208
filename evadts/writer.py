"""`evadts.write`: render a Read as a DEX file with a correct G85 and SE.

Renders the read's fields (not its raw segments): what :func:`evadts.parse` decodes from the
result equals what was written. Options reproduce what devices in the field do (LF line ends,
lower-case G85, six-digit dates, handheld wrappers, interval-only PA2) so the fleet simulator
can hand the pipeline the same variety the corpus shows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal

from evadts import crc
from evadts.model import CounterSet, Read
from evadts.values import unscale

Element = str | int | Decimal | None


LineEnding = Literal["\r\n", "\n"]
CrcCase = Literal["upper", "lower"]
DateDigits = Literal[6, 8]


@dataclass(frozen=True)
class WriteOptions:
    """How to render: the defaults follow the standard (CR LF, upper-case CRC, 8-digit dates)."""

    line_ending: LineEnding = "\r\n"
    crc_case: CrcCase = "upper"
    crc_variant: Literal["standard", "byte_swapped"] = "standard"
    include_crc: bool = True
    date_digits: DateDigits = 8
    time_digits: Literal[4, 6] = 6
    interval_only: bool = False  # PA2 with the since-reset counters only (PA201/PA202 empty)
    wrapper: str | None = None  # handheld header put before DXS on the same line
    se_count: int | None = None  # override SE01 (devices often get it wrong)


_ESCAPES = {ord(c): f"^{ord(c):02X}^" for c in "*^\r\n"}
_NEEDS_ESCAPE = re.compile(r"[*^\r\n]")


def _escape(text: str) -> str:
    return text.translate(_ESCAPES) if _NEEDS_ESCAPE.search(text) else text


class _Renderer:
    def __init__(self, read: Read, options: WriteOptions) -> None:
        self.read = read
        self.options = options
        self.decimals = read.currency.decimals
        self.lines: list[str] = []

    def money(self, value: Decimal | None) -> int | None:
        return None if value is None else unscale(value, self.decimals)

    def date(self, value: datetime | None) -> str | None:
        if value is None:
            return None
        return value.strftime("%Y%m%d" if self.options.date_digits == 8 else "%y%m%d")

    def time(self, value: datetime | None) -> str | None:
        if value is None:
            return None
        return value.strftime("%H%M%S" if self.options.time_digits == 6 else "%H%M")

    def seg(self, seg_id: str, *elements: Element) -> None:
        texts = [
            "" if e is None else str(e) if isinstance(e, int) else _escape(str(e)) for e in elements
        ]
        while texts and texts[-1] == "":
            texts.pop()
        self.lines.append("*".join([seg_id, *texts]))

    def counters(self, seg_id: str, counters: CounterSet, count_first: bool = False) -> None:
        if counters == CounterSet():
            return
        if count_first:
            self.seg(
                seg_id,
                counters.count_init,
                self.money(counters.value_init),
                counters.count_reset,
                self.money(counters.value_reset),
            )
        else:
            self.seg(
                seg_id,
                self.money(counters.value_init),
                counters.count_init,
                self.money(counters.value_reset),
                counters.count_reset,
            )

    def render(self) -> list[str]:
        read, machine, totals = self.read, self.read.machine, self.read.totals
        self.seg("ST", "001", "0001")
        self.seg(
            "ID1",
            machine.serial,
            machine.model,
            machine.build_standard,
            machine.location,
            machine.user,
            machine.asset_number,
        )
        currency = read.currency
        self.seg(
            "ID4",
            currency.decimals,
            currency.numeric,
            currency.code if currency.style == "alpha" else None,
        )
        if read.read_at is not None and read.read_at_source != "EA3":
            self.seg("ID5", self.date(read.read_at), self.time(read.read_at))
        if (
            machine.control_board_serial
            or machine.control_board_model
            or machine.control_board_software
        ):
            self.seg(
                "CB1",
                machine.control_board_serial,
                machine.control_board_model,
                machine.control_board_software,
            )
        if totals.paid != CounterSet() or totals.discounts_init is not None:
            self.seg(
                "VA1",
                self.money(totals.paid.value_init),
                totals.paid.count_init,
                self.money(totals.paid.value_reset),
                totals.paid.count_reset,
                self.money(totals.discounts_init),
                None,
                self.money(totals.discounts_reset),
                None,
                self.money(totals.surcharges_init),
                None,
                self.money(totals.surcharges_reset),
            )
        for seg_id, counters in (
            ("VA2", totals.test),
            ("VA3", totals.free),
            ("CA2", totals.cash),
            ("DA2", totals.cashless1),
            ("DB2", totals.cashless2),
        ):
            self.counters(seg_id, counters)
        self.render_cash()
        for selection in read.selections:
            self.seg(
                "PA1",
                selection.selection,
                self.money(selection.price),
                selection.product_id,
                selection.capacity,
                selection.standard_fill,
                selection.dispensed_quantity,
                selection.status,
                selection.current_level,
                selection.minimum_level,
            )
            total = None if self.options.interval_only else selection.paid_vends_total
            value = None if self.options.interval_only else self.money(selection.paid_value_total)
            since_reset = (selection.paid_vends_since_reset, selection.paid_value_since_reset)
            if (total, value, *since_reset) != (None,) * 4:
                self.seg(
                    "PA2",
                    total,
                    value,
                    selection.paid_vends_since_reset,
                    self.money(selection.paid_value_since_reset),
                )
            self.counters("PA3", selection.test_vends, count_first=True)
            self.counters("PA4", selection.free_vends, count_first=True)
            if selection.sold_out_at is not None or selection.sold_out_count is not None:
                self.seg(
                    "PA5",
                    self.date(selection.sold_out_at),
                    self.time(selection.sold_out_at),
                    selection.sold_out_count,
                )
            for selection_price in selection.price_lists:
                self.seg(
                    "PA7",
                    selection_price.product,
                    selection_price.device,
                    selection_price.price_list,
                    self.money(selection_price.price),
                    selection_price.count_init,
                    self.money(selection_price.value_init),
                    selection_price.count_reset,
                    self.money(selection_price.value_reset),
                )
        for price_list in read.price_lists:
            self.seg(
                "LA1",
                price_list.price_list,
                price_list.product,
                self.money(price_list.price),
                price_list.vends_reset,
                price_list.vends_init,
            )
        self.render_events()
        return self.lines

    def render_cash(self) -> None:
        cash = self.read.cash
        if cash is None:
            return
        money = self.money
        self.seg(
            "CA3",
            money(cash.cash_in_reset),
            money(cash.to_cashbox_reset),
            money(cash.to_tubes_reset),
            money(cash.bills_in_reset),
            money(cash.cash_in_init),
            money(cash.to_cashbox_init),
            money(cash.to_tubes_init),
            money(cash.bills_in_init),
        )
        self.seg(
            "CA4",
            money(cash.dispensed_reset),
            money(cash.manually_dispensed_reset),
            money(cash.dispensed_init),
            money(cash.manually_dispensed_init),
        )
        self.seg("CA10", money(cash.filled_reset), money(cash.filled_init))
        self.seg("CA15", money(cash.tube_contents))
        for tube in cash.tubes:
            full = None if tube.full is None else int(tube.full)
            self.seg(
                "CA17",
                tube.tube,
                money(tube.coin_value),
                tube.coins,
                tube.manually_filled,
                tube.manually_dispensed,
                full,
            )

    def render_events(self) -> None:
        read = self.read
        for event in read.events:
            active = None if event.active is None else int(event.active)
            if event.segment == "EA1":
                self.seg(
                    "EA1",
                    event.code,
                    self.date(event.at),
                    self.time(event.at),
                    event.duration_minutes,
                    None,
                    None,
                    active,
                )
            elif event.segment == "EA2":
                self.seg("EA2", event.code, event.count_reset, event.count_init, active)
            elif event.segment == "EA7":
                self.seg("EA7", event.count_reset, event.count_init)
        audit = read.audit
        if audit is not None:
            self.seg(
                "EA3",
                audit.reads_since_init,
                self.date(audit.read_at),
                self.time(audit.read_at),
                None,
                self.date(audit.previous_read_at),
                self.time(audit.previous_read_at),
                None,
                None,
                audit.reads_total,
                audit.resets_total,
            )
        if read.init_at is not None:
            self.seg("EA4", self.date(read.init_at), self.time(read.init_at))


def write(read: Read, options: WriteOptions | None = None) -> bytes:
    """Render ``read`` as one DEX transmission (DXS ... DXE) with a correct G85 and SE."""
    options = options or WriteOptions()
    body = _Renderer(read, options).render()
    covered = ("\r\n".join(body) + "\r\n").encode("latin-1")
    value = crc.crc16_arc(covered)
    if options.crc_variant == "byte_swapped":
        value = crc.swap_bytes(value)
    text = crc.format_crc(value)
    if options.crc_case == "lower":
        text = text.lower()
    if options.include_crc:
        body.append(f"G85*{text}")
    body.append(f"SE*{options.se_count if options.se_count is not None else len(body) + 1}*0001")
    comm_id = read.machine.communication_id or read.machine.serial or ""
    dxs = f"DXS*{_escape(comm_id)}*VA*{read.dts_version or 'V1/1'}*1"
    lines = [f"{options.wrapper or ''}{dxs}", *body, "DXE*1*1"]
    eol = options.line_ending
    return (eol.join(lines) + eol).encode("latin-1")
