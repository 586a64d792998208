"""Photo files of the driver's day, stored by content under a photos root.

A photo is accepted only if its first bytes say JPEG, PNG, WebP or HEIC (the name and the
browser's content type are not trusted) and it is no larger than ``MAX_PHOTO_BYTES``; JPEG, PNG
and WebP must also decode (Pillow), so a renamed or truncated file is refused with a reason.
The file lands at ``<root>/<sha256[:2]>/<sha256>.<type>`` (written to a temporary name, then
renamed: a reader never sees half a file; the same photo twice is one file) and a small JPEG
thumbnail beside it (``<sha256>.thumb.jpg``) for the manager's order view. HEIC has no decoder
in the lock: it is stored, and shown without a thumbnail.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from operations.errors import ValidationError

MAX_PHOTO_BYTES = 15 * 1024 * 1024  # a modern phone's full-size JPEG or HEIC fits
# Refuse a small file that claims a huge picture (a decompression bomb) before decoding it.
MAX_PIXELS = 60_000_000
THUMBNAIL_PIXELS = 320
HEIC_BRANDS = frozenset({b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"})
CONTENT_TYPES = {
    "jpg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "heic": "image/heic",
}


@dataclass(frozen=True)
class StoredPhoto:
    """A photo file under the root: its content hash, type and size."""

    sha256: str
    file_type: str
    size_bytes: int


def photo_type(data: bytes) -> str | None:
    """``jpg``, ``png``, ``webp`` or ``heic`` from the magic bytes; None for anything else."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[4:8] == b"ftyp" and data[8:12] in HEIC_BRANDS:
        return "heic"
    return None


def check_photo(data: bytes, name: str = "photo") -> str:
    """The photo's type, or :class:`ValidationError` naming ``name`` and what is wrong."""
    if not data:
        raise ValidationError("photo", name, "the file is empty")
    if len(data) > MAX_PHOTO_BYTES:
        raise ValidationError(
            "photo", name, f"{len(data)} bytes is over the limit of {MAX_PHOTO_BYTES} bytes"
        )
    kind = photo_type(data)
    if kind is None:
        raise ValidationError("photo", name, "is not a JPEG, PNG, WebP or HEIC image")
    if kind != "heic":
        _decodes(data, name)
    return kind


def _decodes(data: bytes, name: str) -> None:
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise ValidationError(
                    "photo", name, f"{width}x{height} pixels is over {MAX_PIXELS}"
                )
            image.verify()
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        OSError,
        SyntaxError,
        ValueError,
    ) as broken:
        raise ValidationError("photo", name, f"cannot be read as an image ({broken})") from None


def photo_path(root: Path, sha256: str, file_type: str) -> Path:
    """Where the photo with this hash and type is stored."""
    return root / sha256[:2] / f"{sha256}.{file_type}"


def thumbnail_path(root: Path, sha256: str) -> Path:
    """Where the photo's thumbnail is (absent for HEIC)."""
    return root / sha256[:2] / f"{sha256}.thumb.jpg"


def _write_atomically(target: Path, data: bytes) -> None:
    if target.exists():
        return  # same content, same name: already stored
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        Path(temporary).replace(target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _thumbnail(data: bytes) -> bytes:
    with Image.open(io.BytesIO(data)) as image:
        image.thumbnail((THUMBNAIL_PIXELS, THUMBNAIL_PIXELS))
        out = io.BytesIO()
        image.convert("RGB").save(out, format="JPEG", quality=80)
        return out.getvalue()


def store_photo(root: Path, data: bytes, name: str = "photo") -> StoredPhoto:
    """Check ``data`` (:func:`check_photo`) and store it, with its thumbnail, under ``root``."""
    kind = check_photo(data, name)
    sha = hashlib.sha256(data).hexdigest()
    _write_atomically(photo_path(root, sha, kind), data)
    if kind != "heic":
        _write_atomically(thumbnail_path(root, sha), _thumbnail(data))
    return StoredPhoto(sha, kind, len(data))
