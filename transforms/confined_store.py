"""A read-only view of one prefix of object storage, for DuckDB connections that run queries
nobody on our side wrote (Ask CVD).

:func:`transforms.objectstore.register` hands DuckDB the lake's whole s3fs filesystem: every
bucket the credentials reach, for reading and writing. DuckDB's own ``allowed_directories``
does confine a registered filesystem to the prefixes it names once ``enable_external_access``
is off (checked against an S3 API server with DuckDB 2.0.1), but it lets ``COPY ... TO`` write
below them. :class:`ConfinedFileSystem` is the second wall under it: it answers only paths below
one prefix (no ``.`` or ``..`` segments, no empty ones), only for reading, and refuses every
other call, so a hole in DuckDB's own check still reaches nothing else.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NoReturn

import duckdb
from fsspec import AbstractFileSystem

from transforms.lake import Location

_WRITE_MODES = frozenset("wax+")


class ConfinedFileSystem(AbstractFileSystem):  # type: ignore[misc]  # fsspec ships no types
    """``inner`` restricted to reading the keys below ``prefix`` (``bucket/folder``, no
    protocol). Answers what DuckDB asks a registered filesystem when it reads: ``glob``,
    ``open`` (read modes), ``info``, ``size``, ``modified``, ``exists``, ``isdir``, ``isfile``,
    ``ls``; a path outside the prefix or a write raises :class:`PermissionError`."""

    cachable = False  # one per sandbox: fsspec's instance cache would share it across them

    def __init__(self, inner: AbstractFileSystem, prefix: str) -> None:
        super().__init__()
        self.inner = inner
        self.prefix = prefix.strip("/")
        if not self.prefix or not _plain(self.prefix):
            raise ValueError(f"{prefix!r} is not a plain bucket/folder prefix")
        # DuckDB routes a path to this filesystem by its protocol (s3://, s3a://)
        self.protocol = inner.protocol

    def _key(self, path: str) -> str:
        """``path`` without its protocol, if it lies below the prefix; else PermissionError."""
        key = str(self.inner._strip_protocol(path)).rstrip("/")
        if self._inside(key):
            return key
        raise PermissionError(f"{path}: outside the readable prefix {self.prefix}/")

    def _inside(self, key: str) -> bool:
        key = key.rstrip("/")
        return _plain(key) and (key == self.prefix or key.startswith(self.prefix + "/"))

    def glob(self, path: str, **kwargs: Any) -> Any:
        """Matches of ``path`` (a pattern below the prefix), none outside it."""
        found = self.inner.glob(self._key(path), **kwargs)
        if isinstance(found, dict):
            return {key: value for key, value in found.items() if self._inside(key)}
        return [key for key in found if self._inside(key)]

    def ls(self, path: str, detail: bool = True, **kwargs: Any) -> Any:
        """The entries of the folder ``path`` below the prefix."""
        return self.inner.ls(self._key(path), detail=detail, **kwargs)

    def info(self, path: str, **kwargs: Any) -> Any:
        """Size, type and times of ``path``."""
        return self.inner.info(self._key(path), **kwargs)

    def size(self, path: str) -> Any:
        """Bytes in ``path``."""
        return self.inner.size(self._key(path))

    def modified(self, path: str) -> Any:
        """When ``path`` was last written."""
        return self.inner.modified(self._key(path))

    def exists(self, path: str, **kwargs: Any) -> bool:
        """Whether ``path`` exists (PermissionError outside the prefix)."""
        return bool(self.inner.exists(self._key(path), **kwargs))

    def isdir(self, path: str) -> bool:
        """Whether ``path`` is a folder."""
        return bool(self.inner.isdir(self._key(path)))

    def isfile(self, path: str) -> bool:
        """Whether ``path`` is a file."""
        return bool(self.inner.isfile(self._key(path)))

    def unstrip_protocol(self, name: str) -> str:
        """``name`` as a full URL (DuckDB asks for the paths a glob returned)."""
        return str(self.inner.unstrip_protocol(name))

    def _open(self, path: str, mode: str = "rb", **kwargs: Any) -> Any:
        if _WRITE_MODES & set(mode):
            raise PermissionError(f"{path}: this filesystem is read-only")
        return self.inner.open(self._key(path), mode, **kwargs)

    def _refuse(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise PermissionError("this filesystem is read-only")

    # Everything that changes storage, whether DuckDB or fsspec's defaults would call it.
    mkdir = makedirs = rm = rm_file = _rm = mv = copy = cp_file = touch = _refuse
    pipe = pipe_file = put = put_file = rmdir = _refuse


def _plain(key: str) -> bool:
    """Whether ``key`` has no segment that is empty, ``.`` or ``..`` (a store or a client
    could resolve those to a key outside the prefix)."""
    return all(part not in ("", ".", "..") for part in key.split("/"))


def register_read_only(con: duckdb.DuckDBPyConnection, root: Location) -> None:
    """Let ``con`` read the files below ``root`` and nothing else of its object store (a local
    ``root`` needs no filesystem: DuckDB's ``allowed_directories`` confines it)."""
    if isinstance(root, Path):
        return
    con.register_filesystem(ConfinedFileSystem(root.fs, root.path))
