"""``POST /v1/dex``: DEX files pushed over HTTP, received exactly as the inbox receives them
(archived content-addressed and recorded in the ledger) before the answer. Parsing is the
pipeline's business, later: the answer never waits for it."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from api.auth import require
from api.errors import ApiError, error_response
from api.multipart import MultipartError, MultipartFiles
from ingest.blobs import offload
from ingest.incoming import IncomingFile, Streamed, clean_name, receive_streams
from ingest.ledger import Delivery
from operations.services.tokens import TokenUse

router = APIRouter(tags=["intake"])
log = logging.getLogger(__name__)
# what the ledger says -> what the client is told: the content was new, or it was not
STATUS = {"received": "received", "duplicate": "already_received"}
STATUS_ALREADY = "already_received"


def _answer(delivery: Delivery, outcome: str) -> dict[str, Any]:
    return {
        "delivery_id": delivery.delivery_id,
        "sha256": delivery.sha256,
        "size": delivery.size,
        "status": STATUS.get(outcome, STATUS_ALREADY),
    }


def _record(request: Request, token: str, files: list[tuple[str, IncomingFile]]) -> list[Any]:
    """Sync and settle every file, then record them all in one ledger transaction."""
    settled = []
    try:
        for name, incoming in files:
            sha, size = incoming.settle(durable=True)
            settled.append(Streamed(sha, size, f"{token}/{name}"))
    except BaseException:
        for _, incoming in files:  # the ones not settled yet leave no temp file behind
            incoming.abort()
        raise
    settings = request.app.state.config.settings
    offload(settings.archive, settings.blobs, [s.sha256 for s in settled])  # before the ledger
    recorded = receive_streams(settings.archive, settled, ledger_url=settings.ledger_url)
    for _, outcome in recorded:
        request.app.state.metrics.received(outcome)
    return [_answer(delivery, outcome) for delivery, outcome in recorded]


@router.post(
    "/v1/dex",
    status_code=202,
    summary="Push one DEX file (the raw body) or several (multipart/form-data)",
    responses={
        401: {"description": "no valid token"},
        403: {"description": "a token without the intake scope"},
        413: {"description": "body over the size limit"},
        429: {"description": "past this token's rate limit"},
    },
)
async def post_dex(
    request: Request,
    token: Annotated[TokenUse, Depends(require("intake"))],
    name: Annotated[str | None, Query(description="file name to record (raw body)")] = None,
) -> JSONResponse:
    """Archive and record the file(s) before answering ``202`` with, per file, the delivery id,
    the SHA-256 and ``received`` or ``already_received`` (the same bytes again)."""
    config = request.app.state.config
    limit = config.max_body_bytes
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ApiError(413, f"body of {declared} bytes is over the limit of {limit} bytes")
    content_type = request.headers.get("content-type", "")
    archive = config.settings.archive
    multipart = content_type.startswith("multipart/form-data")
    try:
        if multipart:
            sink: MultipartFiles | IncomingFile = MultipartFiles(
                content_type, archive, max_files=config.max_files, clean=clean_name
            )
        else:
            sink = IncomingFile(archive)
    except MultipartError as error:
        raise ApiError(400, str(error)) from error
    read = 0
    try:
        async for chunk in request.stream():
            read += len(chunk)
            if read > limit:  # stop reading here: nothing past the limit is buffered
                raise ApiError(413, f"body over the limit of {limit} bytes")
            sink.write(chunk)
        if isinstance(sink, MultipartFiles):
            sink.finish()
            files = sink.files
        else:
            files = [(clean_name(name or request.headers.get("x-filename")), sink)]
        if read == 0 or not files:
            raise ApiError(400, "no DEX file in the body")
    except MultipartError as error:
        sink.abort()
        raise ApiError(400, str(error)) from error
    except ClientDisconnect:
        sink.abort()  # a body cut short leaves nothing behind; no one is left to answer
        log.info("client left mid-upload", extra={"fields": {"bytes_read": read}})
        return error_response(400, "the client disconnected before the body ended")
    except (ApiError, OSError):
        sink.abort()  # a refused body leaves nothing behind
        raise
    answers = await run_in_threadpool(_record, request, token.name, files)
    return JSONResponse(answers[0] if not multipart else {"files": answers}, status_code=202)
