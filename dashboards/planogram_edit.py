"""The planogram editor's table work, without Streamlit: slots as an editable frame, the bulk
actions, the grid view and the what-if of each change from the demand forecast.

The frame has one row per slot: ``slot``, ``selection``, ``product_id``, ``capacity``,
``par_level``, ``price`` (money, e.g. 1.5). Empty cells stay empty: the service names them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

from operations.services.planogram_editor import SlotChange, row_of
from operations.services.planograms import SlotRow, SlotSpec

# session key of the edits in progress: cabinet id -> {"opened": version, "frame", "rev"}
EDITOR_STATE = "planogram_editor"
COLUMNS = ["slot", "selection", "product_id", "capacity", "par_level", "price"]
WHAT_IF_COLUMNS = {
    "slot": "Slot",
    "change": "Change",
    "before": "Before",
    "after": "After",
    "units_before": "Units/week before",
    "units_after": "Units/week after",
    "revenue_before": "Revenue/week before",
    "revenue_after": "Revenue/week after",
}


def frame_of(rows: Sequence[SlotRow]) -> pd.DataFrame:
    """Slots as the editor's frame."""
    return pd.DataFrame(
        [
            [r.slot, r.selection, r.product_code, r.capacity, r.par_level, r.price_cents / 100]
            for r in rows
        ],
        columns=COLUMNS,
    ).astype({"capacity": "Int64", "par_level": "Int64", "price": "Float64"})


def _cell(value: object) -> object:
    """A cell as the service expects it: None when empty, whole numbers as int."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):  # type: ignore[call-overload]  # pd.isna takes any scalar
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value.item() if hasattr(value, "item") else value


def specs_of(frame: pd.DataFrame) -> list[SlotSpec]:
    """The frame's rows as slot specs (rows left wholly empty are dropped)."""
    specs = []
    for row in frame[COLUMNS].itertuples(index=False):
        cells = [_cell(v) for v in row]
        if all(c is None or c == "" for c in cells):
            continue
        slot, selection, product, capacity, par, price = cells
        shown_price = None if price is None else f"{float(price):.2f}"  # type: ignore[arg-type]  # a number from the table
        specs.append(SlotSpec(slot or "", selection, product, capacity, par, shown_price))
    return specs


def par_share(frame: pd.DataFrame, share: float) -> pd.DataFrame:
    """Every slot's par level set to ``share`` of its capacity (rounded down, at least 0)."""
    out = frame.copy()
    out["par_level"] = [
        pd.NA if pd.isna(c) else max(0, math.floor(int(c) * share + 1e-9)) for c in out["capacity"]
    ]
    return out.astype({"par_level": "Int64"})


def put(frame: pd.DataFrame, values: dict[str, object]) -> pd.DataFrame:
    """The frame with slot ``values["slot"]`` set to ``values`` (added when it is new)."""
    out = frame.copy()
    match = out.index[out["slot"] == values["slot"]]
    if len(match):
        for column, value in values.items():
            out.loc[match[0], column] = value
        return out
    added = pd.DataFrame([{c: values.get(c) for c in COLUMNS}])
    return pd.concat([out, added.astype(out.dtypes.to_dict())], ignore_index=True)


def clear_row(frame: pd.DataFrame, row: str) -> pd.DataFrame:
    """The frame without the slots of row ``row`` (a tray emptied)."""
    keep = [row_of(str(s)) != row for s in frame["slot"]]
    return frame[keep].reset_index(drop=True)


def grid(frame: pd.DataFrame, rows: int, columns: int) -> pd.DataFrame:
    """The cabinet as a grid (row letters × column numbers): ``product par/capacity`` per slot."""
    cells = pd.DataFrame(
        "", index=[chr(65 + r) for r in range(rows)], columns=[str(c + 1) for c in range(columns)]
    )
    for row in frame.itertuples(index=False):
        slot = str(row.slot or "")
        letter, number = row_of(slot), slot[len(row_of(slot)) :]
        if letter in cells.index and number in cells.columns:
            cells.loc[letter, number] = f"{row.product_id or '?'} {row.par_level}/{row.capacity}"
    return cells


def _describe(row: SlotRow | None) -> str:
    if row is None:
        return "(empty)"
    price = f"{row.price_cents / 100:.2f}"
    return f"{row.product_code} · cap {row.capacity} · par {row.par_level} · {price}"


def _weekly(forecast: pd.DataFrame, cabinet: int, row: SlotRow | None) -> float | None:
    """Expected units a week of ``row``'s product in its slot: the slot's own forecast when it
    holds that product now, else the product's fleet rate at this machine; None without one."""
    if row is None:
        return 0.0
    slots = forecast[(forecast["kind"] == "slot") & (forecast["cabinet_index"] == cabinet)]
    own = slots[(slots["slot"] == row.slot) & (slots["product_id"] == row.product_code)]
    if len(own):
        return float(own["weekly_units"].iloc[0])
    fleet = forecast[(forecast["kind"] == "product") & (forecast["product_id"] == row.product_code)]
    return float(fleet["weekly_units"].iloc[0]) if len(fleet) else None


def what_if(changes: Sequence[SlotChange], forecast: pd.DataFrame, cabinet: int) -> pd.DataFrame:
    """Per changed slot: before and after, expected units and revenue a week (None: the product
    has no forecast yet, e.g. new to the fleet)."""
    out = []
    for change in changes:
        before = _weekly(forecast, cabinet, change.before)
        after = _weekly(forecast, cabinet, change.after)
        out.append(
            {
                "slot": change.slot,
                "change": change.kind
                if change.kind != "changed"
                else ", ".join(change.fields).replace("_code", "").replace("_cents", ""),
                "before": _describe(change.before),
                "after": _describe(change.after),
                "units_before": before,
                "units_after": after,
                "revenue_before": None
                if before is None or change.before is None
                else before * change.before.price_cents / 100,
                "revenue_after": None
                if after is None or change.after is None
                else after * change.after.price_cents / 100,
            }
        )
    return pd.DataFrame(out, columns=list(WHAT_IF_COLUMNS))
