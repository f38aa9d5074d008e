"""Reading dataset CSV files robustly, one record at a time.

Datasets arrive as UTF-8, UTF-8 with a byte-order mark, or Windows-1252 (Excel's default on
Western Windows), with LF or CRLF line ends, and sometimes with a damaged row in the middle.
The reader decides the encoding from the start of the file, keeps every row it can read, and
names each one it cannot by its file and physical line, so that one bad row never costs the
rest of the file.
"""

from __future__ import annotations

import codecs
import csv
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from siteline.errors import InvalidInput
from siteline.ingest.model import DatasetRow, ParseResult, RowProblem, collected

SNIFF_BYTES = 64 * 1024
# A record that an unbalanced quote ran on for more lines than this is given up whole rather
# than re-read line by line, which would cost time in the square of its length.
MAX_REREAD_LINES = 200
FALLBACK_ERRORS = "siteline-cp1252"


def _cp1252_fallback(error: UnicodeError) -> tuple[str, int]:
    """Read bytes that are not UTF-8 as Windows-1252, as browsers do (the WHATWG rule).

    A file that is UTF-8 at its start can still hold a row pasted from a Windows-1252 source
    further down; reading those few bytes as Windows-1252 keeps the row legible. The five
    bytes Windows-1252 leaves undefined become the code points of the same number.
    """
    if not isinstance(error, UnicodeDecodeError):
        raise error
    bad = error.object[error.start : error.end]
    text = "".join(_cp1252_byte(byte) for byte in bad)
    return text, error.end


def _cp1252_byte(byte: int) -> str:
    try:
        return bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:
        return chr(byte)


codecs.register_error(FALLBACK_ERRORS, _cp1252_fallback)


@dataclass(frozen=True)
class CsvStyle:
    """How a file was written, so that a writer can give back the same bytes."""

    encoding: str = "utf-8"  # utf-8, utf-8-sig (with a byte-order mark), cp1252, utf-16
    newline: str = "\n"
    quote_all: bool = False  # every field quoted (else only those that need it)


def sniff_encoding(head: bytes, name: str) -> str:
    """The encoding of a file, from its first bytes; binary files are refused."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in head:
        raise InvalidInput(name, "this is a binary file, not text (it holds NUL bytes)")
    try:
        # Not final: the sample may end in the middle of a character.
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


class _Lines:
    """The file's lines with their physical numbers; lines can be handed back to be re-read."""

    def __init__(self, stream: IO[str]):
        self.stream = stream
        self.number = 0
        self.pending: deque[tuple[int, str]] = deque()
        self.taken: list[tuple[int, str]] = []  # the lines of the record being read

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if self.pending:
            item = self.pending.popleft()
        else:
            text = next(self.stream)
            self.number += 1
            item = (self.number, text)
        self.taken.append(item)
        return item[1]


@dataclass
class CsvTable:
    """An open CSV file: its header, its style, and its records as they are read."""

    path: Path
    style: CsvStyle
    header: list[str]
    problems: list[RowProblem] = field(default_factory=list)
    _lines: _Lines | None = None
    _reader: Iterator[list[str]] | None = None

    def records(self) -> Iterator[tuple[int, dict[str, str]]]:
        """(first physical line, {column: text}) for each good row; the bad ones to problems."""
        width = len(self.header)
        for line, fields in self._rows():
            if not any(fields):  # blank lines and rows of bare commas carry nothing
                continue
            if len(fields) == width:
                yield line, dict(zip(self.header, fields, strict=True))
            else:
                self._wrong_width(line, fields)

    def _rows(self) -> Iterator[tuple[int, list[str]]]:
        lines, reader = self._lines, self._reader
        assert lines is not None and reader is not None
        while True:
            lines.taken.clear()
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                self._unreadable(str(error))
                continue
            yield lines.taken[0][0], fields

    def _unreadable(self, why: str) -> None:
        lines = self._lines
        assert lines is not None
        taken = list(lines.taken)
        if not taken:  # the reader failed before it took a line: nothing more to read
            return
        if why.startswith("unexpected end of data"):
            why = "the file ends inside a quoted field (an unbalanced quote, or a truncated file)"
        self._problem(taken[0][0], why)
        self._reread(taken)

    def _wrong_width(self, line: int, fields: list[str]) -> None:
        taken = list(self._lines.taken) if self._lines else []
        message = f"{len(fields)} columns where the header has {len(self.header)}"
        if len(taken) > 1:
            message += f" (the row runs on to line {taken[-1][0]}: an unbalanced quote?)"
        self._problem(line, message)
        self._reread(taken)

    def _reread(self, taken: list[tuple[int, str]]) -> None:
        """Lines swallowed by a bad record after its first are read again as rows of their own."""
        if 1 < len(taken) <= MAX_REREAD_LINES and self._lines is not None:
            self._lines.pending.extendleft(reversed(taken[1:]))

    def _problem(self, line: int, message: str) -> None:
        self.problems.append(RowProblem(str(self.path), line, message))


class open_csv:  # noqa: N801 - used as a function: `with open_csv(path) as table`
    """Open a CSV file for reading: `with open_csv(path) as table: for line, row in …`."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.file: IO[str] | None = None

    def __enter__(self) -> CsvTable:
        try:
            with open(self.path, "rb") as raw:
                head = raw.read(SNIFF_BYTES)
        except OSError as error:
            raise InvalidInput(str(self.path), f"cannot be read ({error.strerror})") from None
        encoding = sniff_encoding(head, str(self.path))
        # newline="": lines keep their own ends, and CR or CRLF inside quotes stay as written.
        self.file = open(self.path, encoding=encoding, errors=FALLBACK_ERRORS, newline="")  # noqa: SIM115
        lines = _Lines(self.file)
        reader = csv.reader(lines, strict=True)
        header = self._header(reader, lines)
        raw_header = "".join(text for _, text in lines.taken)
        style = CsvStyle(encoding, _newline(raw_header), _all_quoted(raw_header, header))
        return CsvTable(self.path, style, unique_names(header), _lines=lines, _reader=reader)

    def _header(self, reader: Iterator[list[str]], lines: _Lines) -> list[str]:
        try:
            header = next(reader)
        except StopIteration:
            raise InvalidInput(str(self.path), "the file is empty: it has no header") from None
        except csv.Error as error:
            raise InvalidInput(str(self.path), f"the header cannot be read ({error})") from None
        return header

    def __exit__(self, *exc: object) -> None:
        if self.file is not None:
            self.file.close()


def _newline(raw_line: str) -> str:
    return "\r\n" if raw_line.endswith("\r\n") else "\r" if raw_line.endswith("\r") else "\n"


def _all_quoted(raw_line: str, header: list[str]) -> bool:
    quoted = ",".join('"' + name.replace('"', '""') + '"' for name in header)
    return raw_line.rstrip("\r\n") == quoted


def unique_names(header: list[str]) -> list[str]:
    """Column names, a repeated one given a suffix ('name#2') so that no column is lost."""
    seen: dict[str, int] = {}
    names = []
    for name in header:
        seen[name] = seen.get(name, 0) + 1
        names.append(name if seen[name] == 1 else f"{name}#{seen[name]}")
    return names


def read_csv(
    path: str | Path,
    required: Iterable[str],
    build: Callable[[dict[str, str], int], DatasetRow],
) -> Iterator[DatasetRow | RowProblem]:
    """Each record of a dataset's CSV file made into a row by `build`, or a RowProblem that
    names its line, in the order of the file; a file of any size is read as it goes.

    `build` raises InvalidInput for a value it cannot read; the row becomes a problem
    that names the column, and the rest of the file is still read. A file that is not
    this dataset at all raises InvalidInput when the first row is asked for.
    """
    with open_csv(path) as table:
        absent = [column for column in required if column not in table.header]
        if absent:
            raise InvalidInput(
                str(path), f"the header lacks {', '.join(map(repr, absent))}: not this dataset"
            )
        yield from rows_built(table.records(), table.problems, build, str(path))


def rows_built(
    records: Iterable[tuple[int, dict]],
    problems: list[RowProblem],
    build: Callable[[dict, int], DatasetRow],
    file: str,
) -> Iterator[DatasetRow | RowProblem]:
    """`build` over each (line, record) a reader gives, or the problem it raised, with the
    problems the reader itself appends to `problems` as it goes yielded in their place."""
    for line, record in records:
        if problems:
            yield from problems
            problems.clear()
        try:
            yield build(record, line)
        except InvalidInput as error:
            yield RowProblem(file, line, str(error))
    yield from problems


def parse_csv(
    path: str | Path,
    required: Iterable[str],
    build: Callable[[dict[str, str], int], DatasetRow],
) -> ParseResult:
    """All of `read_csv` at once."""
    return collected(read_csv(path, required, build))


def csv_style(path: str | Path) -> CsvStyle:
    """The encoding, line ends and quoting of a CSV file, to write another like it."""
    with open_csv(path) as table:
        return table.style
