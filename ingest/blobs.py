"""The archive's blobs in object storage (``CVD_ARCHIVE_URL=s3://bucket/prefix``).

Receiving always lands a file in the local archive folder first (hashed while it is linked or
copied: the content address is known only then). Where the blobs live in object storage, each
new blob is then uploaded under the same key layout (``<sha[:2]>/<sha>.dex``) and its local
copy removed, all before the ledger records the batch: a delivery the ledger names has its bytes
in the bucket. Keys are content addresses, so an upload is never a replacement: the same key
always holds the same bytes, and two receivers uploading it at once write the same object.

Readers look in the local folder first and then in the bucket, so a blob that was not
offloaded (received before the store was configured, or by a path that does not offload) is
still found.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ingest.incoming import blob_path
from transforms.lake import Location, read_object


def offload(archive: Path, blobs: Location, shas: Iterable[str]) -> int:
    """Upload the local blobs of ``shas`` to ``blobs`` (object storage) where the key is not
    there yet, then remove the local copies; returns how many were uploaded. A local archive
    (``blobs`` a local folder, the default) is left as it is."""
    if isinstance(blobs, Path):
        return 0
    uploaded = 0
    for sha in sorted(set(shas)):
        local = blob_path(archive, sha)
        if not local.exists():
            continue  # offloaded by an earlier attempt (or another receiver)
        remote = blobs / sha[:2] / f"{sha}.dex"
        if not remote.exists():
            remote.fs.put_file(str(local), remote.path)
            uploaded += 1
        local.unlink()
    return uploaded


def blob_path_in(blobs: Location, sha: str) -> Location:
    """Where the bytes with hash ``sha`` are kept below ``blobs`` (the archive's layout)."""
    return blobs / sha[:2] / f"{sha}.dex"


def read_blob(archive: Path, blobs: Location | None, sha: str) -> bytes:
    """The archived bytes with hash ``sha``: the local archive's copy if it has one, else the
    object store's. Raises ``FileNotFoundError`` when neither has them."""
    local = blob_path(archive, sha)
    if blobs is None or isinstance(blobs, Path) or local.exists():
        return local.read_bytes()
    return read_object(blob_path_in(blobs, sha))
