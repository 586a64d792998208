"""A ``multipart/form-data`` body streamed into the archive: each file part becomes an
:class:`ingest.incoming.IncomingFile` as its bytes arrive, so nothing is buffered in memory."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from python_multipart.multipart import MultipartParser, MultipartState, parse_options_header

from ingest.incoming import IncomingFile


class MultipartError(Exception):
    """The body is not the multipart it claims to be, or holds too many files."""


class MultipartFiles:
    """Feed body chunks with :meth:`write`; after :meth:`finish`, ``files`` holds each file part
    (its name, as the sender gave it, and its incoming bytes). Parts that are not files
    (no ``filename``) are read and ignored."""

    def __init__(
        self, content_type: str, archive: Path, *, max_files: int, clean: Callable[[str], str]
    ) -> None:
        _, options = parse_options_header(content_type)
        boundary = options.get(b"boundary")
        if not boundary:
            raise MultipartError("multipart/form-data without a boundary")
        self.files: list[tuple[str, IncomingFile]] = []
        self._archive = archive
        self._max_files = max_files
        self._clean = clean
        self._header_name = b""
        self._header_value = b""
        self._headers: dict[bytes, bytes] = {}
        self._current: IncomingFile | None = None
        self._parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._part_begin,
                "on_header_field": self._header_field,
                "on_header_value": self._header_value_data,
                "on_header_end": self._header_end,
                "on_headers_finished": self._headers_finished,
                "on_part_data": self._part_data,
                "on_part_end": self._part_end,
            },
        )

    def _part_begin(self) -> None:
        self._headers = {}

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _header_value_data(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _header_end(self) -> None:
        self._headers[self._header_name.lower()] = self._header_value
        self._header_name, self._header_value = b"", b""

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        filename = options.get(b"filename")
        if filename is None:
            self._current = None
            return
        if len(self.files) >= self._max_files:
            raise MultipartError(f"more than {self._max_files} files in one request")
        self._current = IncomingFile(self._archive)
        self.files.append((self._clean(filename.decode("utf-8", "replace")), self._current))

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._current is not None:
            self._current.write(data[start:end])

    def _part_end(self) -> None:
        self._current = None

    def write(self, chunk: bytes) -> None:
        """Parse the next chunk of the body."""
        try:
            self._parser.write(chunk)
        except MultipartError:
            raise
        except ValueError as error:  # python-multipart's MultipartParseError is a ValueError
            raise MultipartError(f"malformed multipart body: {error}") from error

    def finish(self) -> None:
        """The body ended: refuse a body cut short of its closing boundary."""
        self._parser.finalize()
        if self._parser.state not in (MultipartState.END, MultipartState.BOUNDARY_PADDING):
            raise MultipartError("multipart body ended before its closing boundary")

    def abort(self) -> None:
        """Drop every file part written so far."""
        for _, incoming in self.files:
            incoming.abort()
