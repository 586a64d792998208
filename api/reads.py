"""The read API (scope ``read``): machines, daily sales, stock-outs, slot status and
recommendations from the warehouse, paginated (``limit``/``offset``, or a keyset ``cursor`` for
daily sales; a ``Link: rel="next"`` header and ``next`` in the body), as JSON or
``?format=csv``, with the warehouse's data date in ``X-CVD-Data-Date``."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from api.auth import require
from api.errors import ApiError
from api.warehouse import Page, plain, read_page, to_csv

router = APIRouter(prefix="/v1", tags=["read"], dependencies=[Depends(require("read"))])
DATA_DATE_HEADER = "X-CVD-Data-Date"
# Endpoints paged by keyset: the $after_* parameters of their SQL and the columns they come from.
KEYSET = {"sales_daily": ("date", "machine", "key", "product")}
KEYSET_COLUMNS = {"sales_daily": ("sales_date", "machine_serial", "selection_key", "product_id")}


@dataclass(frozen=True)
class Filters:
    """What every read endpoint may be asked to narrow to."""

    machine: str | None
    route: str | None
    product: str | None
    date_from: date | None
    date_to: date | None


def filters(
    machine: Annotated[str | None, Query(description="DEX serial or asset number")] = None,
    route: Annotated[str | None, Query(description="route id")] = None,
    product: Annotated[str | None, Query(description="product id")] = None,
    date_from: Annotated[date | None, Query(alias="from", description="first day")] = None,
    date_to: Annotated[date | None, Query(alias="to", description="last day")] = None,
) -> Filters:
    """The query's filters."""
    if date_from and date_to and date_from > date_to:
        raise ApiError(422, f"from={date_from} lies after to={date_to}")
    return Filters(machine, route, product, date_from, date_to)


def _after(name: str, cursor: str | None) -> dict[str, object]:
    """The ``$after_*`` parameters a keyset cursor stands for (none without one)."""
    keys = KEYSET.get(name, ())
    if cursor is None:
        return dict.fromkeys((f"after_{k}" for k in keys), None)
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if not isinstance(values, list) or len(values) != len(keys):
            raise ValueError(values)
    except ValueError as error:  # bad base64, bad JSON, wrong shape
        raise ApiError(422, "cursor: not a cursor this endpoint gave out") from error
    return {f"after_{k}": v for k, v in zip(keys, values, strict=True)}


def _cursor(name: str, page: Page) -> str:
    """The cursor of the page after ``page``: its last row's sort key."""
    row = dict(zip(page.columns, page.rows[-1], strict=True))
    values = [plain(row[column]) or "" for column in KEYSET_COLUMNS[name]]
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode()


async def _answer(
    request: Request,
    name: str,
    f: Filters,
    *,
    limit: int | None,
    offset: int,
    fmt: str,
    cursor: str | None = None,
) -> Response:
    config = request.app.state.config
    size = limit or config.default_page
    if size > config.max_page:
        raise ApiError(422, f"limit={size}: at most {config.max_page} rows a page")
    if cursor is not None and offset:
        raise ApiError(422, "give cursor or offset, not both")
    params = {
        "machine": f.machine,
        "route": f.route,
        "product": f.product,
        "from": f.date_from,
        "to": f.date_to,
        **_after(name, cursor),
    }
    page: Page = await run_in_threadpool(
        read_page,
        config.settings.warehouse,
        name,
        params,
        limit=size,
        offset=offset,
        lake=config.settings.lake,
    )
    headers = {DATA_DATE_HEADER: page.data_date.isoformat() if page.data_date else ""}
    next_url = None
    if page.more and name in KEYSET:
        after = _cursor(name, page)
        next_url = str(
            request.url.remove_query_params("offset").include_query_params(cursor=after, limit=size)
        )
    elif page.more:
        next_url = str(request.url.include_query_params(offset=offset + size, limit=size))
    if next_url:
        headers["Link"] = f'<{next_url}>; rel="next"'
    if fmt == "csv":
        return Response(to_csv(page), media_type="text/csv; charset=utf-8", headers=headers)
    body = {
        "data": [
            {c: plain(v) for c, v in zip(page.columns, row, strict=True)} for row in page.rows
        ],
        "limit": size,
        "offset": offset,
        "next": next_url,
        "data_date": headers[DATA_DATE_HEADER] or None,
    }
    return JSONResponse(body, headers=headers)


Limit = Annotated[int | None, Query(ge=1, description="rows a page (default 1000)")]
Offset = Annotated[int, Query(ge=0, description="rows to skip")]
Format = Annotated[Literal["json", "csv"], Query(alias="format")]
Filtered = Annotated[Filters, Depends(filters)]


@router.get("/machines", summary="Machines with their place and read health")
async def machines(
    request: Request, f: Filtered, limit: Limit = None, offset: Offset = 0, fmt: Format = "json"
) -> Response:
    """Every machine (device) with its location, route and the health of its reads."""
    return await _answer(request, "machines", f, limit=limit, offset=offset, fmt=fmt)


@router.get("/sales/daily", summary="Units and revenue per machine, selection and day")
async def sales_daily(
    request: Request,
    f: Filtered,
    *,
    limit: Limit = None,
    offset: Offset = 0,
    fmt: Format = "json",
    cursor: Annotated[str | None, Query(description="from `next`: the page after")] = None,
) -> Response:
    """Daily sales, exactly from the DEX counters (filters: from, to, machine, route, product).
    Its ``next`` pages by keyset cursor, so a deep page costs what the first one does."""
    return await _answer(
        request, "sales_daily", f, limit=limit, offset=offset, fmt=fmt, cursor=cursor
    )


@router.get("/stockouts", summary="Sold-out episodes")
async def stockouts(
    request: Request, f: Filtered, limit: Limit = None, offset: Offset = 0, fmt: Format = "json"
) -> Response:
    """Stock-out episodes that started between from and to, with the sales they cost."""
    return await _answer(request, "stockouts", f, limit=limit, offset=offset, fmt=fmt)


@router.get("/slot-status", summary="Units left and days until sold out, per slot")
async def slot_status(
    request: Request, f: Filtered, limit: Limit = None, offset: Offset = 0, fmt: Format = "json"
) -> Response:
    """Each slot's estimated units left, daily rate and days until it sells out."""
    return await _answer(request, "slot_status", f, limit=limit, offset=offset, fmt=fmt)


@router.get("/recommendations", summary="Planogram recommendations per slot")
async def recommendations(
    request: Request, f: Filtered, limit: Limit = None, offset: Offset = 0, fmt: Format = "json"
) -> Response:
    """The latest planogram recommendations (swap, resize, par) with their expected effect."""
    return await _answer(request, "recommendations", f, limit=limit, offset=offset, fmt=fmt)
