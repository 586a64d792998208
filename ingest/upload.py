"""DEX files uploaded on the dashboards' Upload DEX page: received as every file is, with a verdict.

Each file is archived content-addressed and recorded in the ledger exactly as the HTTP API does
it (:mod:`ingest.incoming`: the same archive, the same ledger, one transaction for the batch;
names ``upload/<user>/<file>``), so the pipeline builds it like any delivery. The page then gets
an immediate verdict: the file built alone as the pipeline would build it
(:func:`ingest.raw_tables.inspect_delivery`): machine serials, reads, CRCs verified, or the
reasons it would be quarantined.

Permission ``dex.upload`` (admins, managers, drivers) is checked first; the batch is audited
(action ``upload`` of entity ``dex_file``, one row per file) in the transaction that records it.
A file over the size limit, or empty, is refused and nothing of it is kept; the others go on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ingest.blobs import offload
from ingest.incoming import IncomingFile, Streamed, clean_name, receive_streams
from ingest.ledger import Delivery
from ingest.raw_tables import inspect_delivery
from operations import audit
from operations.db import DbTarget, transaction
from operations.permissions import Action, Actor, require
from transforms.lake import Location

UPLOAD_PREFIX = "upload/"
MAX_UPLOAD_BYTES = 2 * 1024 * 1024  # DEX files are kilobytes; a handheld's day is well below
MAX_UPLOAD_FILES = 50
CHUNK = 1 << 16
# what the ledger says -> what the uploader is told
OUTCOMES = {
    "received": "received",
    "duplicate": "already received",
    "already_recorded": "already received",
}


@dataclass(frozen=True)
class UploadVerdict:
    """What became of one uploaded file."""

    name: str
    size: int
    outcome: str  # received / already received / refused
    status: str  # loaded / partial / quarantined / refused (the pipeline's dex_files status)
    sha256: str | None = None
    serials: tuple[str, ...] = ()
    reads: int = 0
    usable_reads: int = 0
    crc_present: int = 0
    crc_verified: int = 0
    reasons: tuple[str, ...] = ()  # "reason: message", one per quarantined read or file


def _refused(name: str, size: int, why: str) -> UploadVerdict:
    return UploadVerdict(name, size, "refused", "refused", reasons=(why,))


def _verdict(
    archive: Path,
    name: str,
    delivery: Delivery,
    outcome: str,
    *,
    blobs: Location | None,
    ledger_url: str | None,
) -> UploadVerdict:
    built = inspect_delivery(archive, delivery, blobs, ledger_url)
    files = built.rows["dex_files"]
    reads = built.rows["dex_reads"]
    record = built.quarantined.get(delivery.sha256, {})
    reasons = tuple(
        f"{r['reason']}: {r['message']}"
        + ("" if r["read_index"] is None else f" (read {r['read_index']})")
        for r in record.get("reasons", [])
    )
    return UploadVerdict(
        name=name,
        size=delivery.size,
        outcome=OUTCOMES.get(outcome, outcome),
        status=str(files["status"][0]) if files["status"] else "quarantined",
        sha256=delivery.sha256,
        serials=tuple(sorted({str(s) for s in reads["machine_serial"] if s})),
        reads=int(files["reads"][0]) if files["reads"] else 0,
        usable_reads=int(files["usable_reads"][0]) if files["usable_reads"] else 0,
        crc_present=sum(1 for v in reads["crc_present"] if v),
        crc_verified=sum(1 for v in reads["crc_verified"] if v),
        reasons=reasons,
    )


def upload_files(
    archive: Path,
    db: DbTarget,
    actor: Actor,
    files: Sequence[tuple[str | None, bytes]],
    *,
    limit: int = MAX_UPLOAD_BYTES,
    now: datetime | None = None,
    blobs: Location | None = None,
    ledger_url: str | None = None,
) -> list[UploadVerdict]:
    """Receive ``files`` (name, bytes) into ``archive`` and give each its verdict, in order.
    ``blobs`` (object storage) gets the bytes before the ledger (``ledger_url``; None: the
    archive's SQLite file) records them, as the inbox and the HTTP API do."""
    require(actor, Action.UPLOAD_DEX)
    if len(files) > MAX_UPLOAD_FILES:
        return [
            _refused(clean_name(n), len(d), f"more than {MAX_UPLOAD_FILES} files at once")
            for n, d in files
        ]
    verdicts: dict[int, UploadVerdict] = {}
    settled: list[tuple[int, str, Streamed]] = []
    for index, (given, data) in enumerate(files):
        name = clean_name(given)
        if not data:
            verdicts[index] = _refused(name, 0, "the file is empty")
            continue
        if len(data) > limit:
            verdicts[index] = _refused(
                name, len(data), f"{len(data)} bytes: over the limit of {limit}"
            )
            continue
        incoming = IncomingFile(archive, limit=limit)
        for start in range(0, len(data), CHUNK):
            incoming.write(data[start : start + CHUNK])
        sha, size = incoming.settle(durable=True)
        settled.append((index, name, Streamed(sha, size, f"{actor.username}/{name}")))
    if settled:
        if blobs is not None:
            offload(archive, blobs, [s.sha256 for _, _, s in settled])  # before the ledger
        with transaction(db) as session:
            recorded = receive_streams(
                archive,
                [s for _, _, s in settled],
                now=now,
                prefix=UPLOAD_PREFIX,
                ledger_url=ledger_url,
            )
            for (index, name, _), (delivery, outcome) in zip(settled, recorded, strict=True):
                verdicts[index] = _verdict(
                    archive, name, delivery, outcome, blobs=blobs, ledger_url=ledger_url
                )
                audit.record(
                    session,
                    actor,
                    "upload",
                    "dex_file",
                    delivery.sha256,
                    after={
                        "delivery_id": delivery.delivery_id,
                        "name": delivery.original_name,
                        "size": delivery.size,
                        "outcome": verdicts[index].outcome,
                        "status": verdicts[index].status,
                    },
                )
    return [verdicts[i] for i in range(len(files))]
