"""Object storage (any S3 API: AWS S3, MinIO, Ceph, GCS interop) for the lake and the archive.

A location is a local :class:`pathlib.Path` or an :class:`upath.UPath` over s3fs (fsspec), so
the lake's code reads and writes both through the same path operations. Credentials and the
endpoint are passed in (the edge reads the standard ``AWS_*`` variables); nothing here reads
the environment. DuckDB reads the remote lake through the same fsspec filesystem, registered on
each connection (:func:`register`): its ``httpfs`` extension cannot be installed offline.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
from upath import UPath

from transforms.lake import Location

SCHEMES = ("s3://",)


class ObjectStoreError(ValueError):
    """A storage URL that cannot be used (the message names it)."""


@dataclass(frozen=True)
class ObjectStoreConfig:
    """How to reach the object store; None fields fall back to s3fs's own defaults."""

    endpoint_url: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = None
    session_token: str | None = None
    region: str | None = None

    def storage_options(self) -> dict[str, Any]:
        """The s3fs options for this configuration."""
        # no listing cache: other writers (and this process) add keys all the time, and a
        # cached listing would hide a new version or dataset from the next catalog
        options: dict[str, Any] = {"use_listings_cache": False}
        if self.endpoint_url:
            options["endpoint_url"] = self.endpoint_url
        if self.access_key_id:
            options["key"] = self.access_key_id
        if self.secret_access_key:
            options["secret"] = self.secret_access_key
        if self.session_token:
            options["token"] = self.session_token
        if self.region:
            options["client_kwargs"] = {"region_name": self.region}
        return options


def is_object_url(url: str) -> bool:
    """Whether ``url`` names object storage rather than a local folder."""
    return url.startswith(SCHEMES)


def location(url: str, config: ObjectStoreConfig | None = None) -> Location:
    """The lake or archive root named by ``url``: ``s3://bucket/prefix`` or a local path."""
    if not is_object_url(url):
        return Path(url).expanduser().resolve()
    bucket = url.removeprefix("s3://").split("/", 1)[0]
    if not bucket:
        raise ObjectStoreError(f"{url!r}: no bucket named (expected s3://bucket/prefix)")
    return UPath(url.rstrip("/"), **(config or ObjectStoreConfig()).storage_options())


def register(con: duckdb.DuckDBPyConnection, root: Location) -> duckdb.DuckDBPyConnection:
    """Let ``con`` read the files below ``root`` when it is in object storage (a registered
    fsspec filesystem answers DuckDB's ``s3://`` paths); a local root needs nothing."""
    if isinstance(root, Path):
        return con
    if not con.filesystem_is_registered(_protocol(root)):
        con.register_filesystem(root.fs)
    return con


def _protocol(root: UPath) -> str:
    protocol = root.fs.protocol
    return protocol if isinstance(protocol, str) else protocol[0]


def uri(path: Location) -> str:
    """The name DuckDB and other engines read ``path`` by: an absolute local path or
    ``s3://bucket/key``. An absolute local Parquet file is resolved by its folder, once per
    folder in a process (a catalog lists thousands of version files in a few hundred folders,
    and resolving each one walks the file system again): the lake writes its files, never
    links to them."""
    if isinstance(path, Path):
        if path.is_absolute() and path.suffix == ".parquet":
            return f"{_resolved_folder(str(path.parent))}/{path.name}"
        return path.resolve().as_posix()
    return str(path)


@functools.lru_cache(maxsize=65536)
def _resolved_folder(folder: str) -> str:
    return Path(folder).resolve().as_posix().rstrip("/")  # the root: "", then "/" + name
