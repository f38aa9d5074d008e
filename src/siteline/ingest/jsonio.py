"""Reading JSON and JSON lines as people hold them: any common encoding, CRLF, cut short.

Exports come from many machines and tools: UTF-8 with or without a byte-order mark,
UTF-16 from Windows tools, cp1252 from old editors, files cut off by a full disk. A good
record must never be lost because a neighbour is bad, so JSON lines are read one line at a
time (streamed: a file of many gigabytes never sits in memory) and a top-level array one
element at a time; each bad line or element becomes a RowProblem. A whole file that is no
JSON at all raises InvalidInput.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from siteline.errors import InvalidInput
from siteline.ingest.model import RowProblem

# A single JSON document is parsed whole, so it must fit in memory several times over
# (the text, then the objects): refuse larger ones rather than exhaust the machine.
MAX_DOCUMENT_BYTES = 2 * 1024**3
# One line of JSON lines is parsed whole too; a twarc2 page is a few megabytes at most.
MAX_LINE_BYTES = 256 * 1024**2

_BOMS = [
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xfe\xff", "utf-16-be"),
    (b"\xff\xfe", "utf-16-le"),
]
_WHITESPACE = re.compile(r"[ \t\n\r]*")


@dataclass(frozen=True)
class Record:
    """One JSON value read from a file, and where: a line, or a position in an array."""

    number: int  # 1-based line (JSON lines) or record number (array elements)
    where: str  # "file:line" or "file#record"
    value: Any


def _refuse_constant(name: str) -> Any:
    # Python's json reads NaN and Infinity, which are not JSON: what we keep as `native`
    # must be readable by any JSON tool.
    raise ValueError(f"{name} is not a JSON value")


_DECODER = json.JSONDecoder(parse_constant=_refuse_constant)
# An escape of half a surrogate pair: Python reads "\ud800" alone as a string no database
# or UTF-8 file can hold. Only text with such an escape is checked further.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def sniff_encoding(head: bytes) -> str | None:
    """The encoding a byte-order mark, or NUL bytes around ASCII, reveal; None: UTF-8 or cp1252."""
    for mark, encoding in _BOMS:
        if head.startswith(mark):
            return encoding
    # JSON begins with an ASCII character, so UTF-16 without a mark shows a NUL beside it.
    if len(head) >= 2 and head[0] == 0 and head[1] != 0:
        return "utf-16-be"
    if len(head) >= 2 and head[0] != 0 and head[1] == 0:
        return "utf-16-le"
    return None


def decode(data: bytes) -> str:
    """Text from bytes: by mark or NULs, else UTF-8, else cp1252 (what old Windows tools wrote)."""
    encoding = sniff_encoding(data[:4])
    if encoding:
        text = data.decode(encoding, errors="replace")
        return text[1:] if text.startswith("\ufeff") else text
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def why_not_json(error: Exception, lines: bool = True) -> str:
    """A short reason a piece of text is not JSON, with where in it."""
    if isinstance(error, json.JSONDecodeError):
        place = f"column {error.colno}" if lines else f"line {error.lineno} column {error.colno}"
        return f"not valid JSON ({error.msg.removesuffix(' at')} at {place})"
    if isinstance(error, RecursionError):
        return "not readable JSON (nested too deeply)"
    return f"not valid JSON ({str(error).split(':')[0]})"


def loads(text: str, lines: bool = True) -> Any:
    """Parse JSON text; any failure is a ValueError whose message says why and where."""
    try:
        value = _DECODER.decode(text)
    except (ValueError, RecursionError) as error:
        raise ValueError(why_not_json(error, lines)) from None
    if _SURROGATE_ESCAPE.search(text) and not _all_characters(value):
        raise ValueError(
            "not valid JSON text (a \\u escape names half of a surrogate pair, which is no character)"
        )
    return value


def _all_characters(value: Any) -> bool:
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def read_bytes(path: Path, max_bytes: int = MAX_DOCUMENT_BYTES) -> bytes:
    """A whole file, refused above `max_bytes` (checked on the size and again while reading)."""
    if not path.is_file():
        raise InvalidInput(str(path), "not a file")
    try:
        if path.stat().st_size > max_bytes:
            raise InvalidInput(str(path), _too_large(max_bytes))
        with path.open("rb") as stream:
            data = stream.read(max_bytes + 1)  # the size on disk may lie (a growing file)
    except OSError as error:
        raise InvalidInput(str(path), f"cannot be read ({error.strerror or error})") from None
    if len(data) > max_bytes:
        raise InvalidInput(str(path), _too_large(max_bytes))
    return data


def _too_large(max_bytes: int) -> str:
    return (
        f"larger than {max_bytes:,} bytes, the most read as one JSON document;"
        " convert it to JSON lines (one record a line), which has no limit"
    )


def read_document(path: Path, max_bytes: int = MAX_DOCUMENT_BYTES) -> Any:
    """One whole JSON document; InvalidInput when it is empty, too large or not JSON."""
    text = decode(read_bytes(path, max_bytes))
    if not text.strip():
        raise InvalidInput(str(path), "the file is empty")
    try:
        return loads(text, lines=False)
    except ValueError as error:
        raise InvalidInput(str(path), str(error)) from None


def read_records(
    path: Path, max_bytes: int = MAX_DOCUMENT_BYTES, max_line: int = MAX_LINE_BYTES
) -> Iterator[Record | RowProblem]:
    """The records of a JSON lines file, of a top-level array, or one object, as found.

    Which form the file is, is decided now (InvalidInput when it is none); the records
    are read as the iterator is consumed.
    """
    path = Path(path)
    form = detect_form(path, max_line)
    if form == "lines":
        return _line_records(path, max_line)
    text = decode(read_bytes(path, max_bytes))
    if form == "array":
        return _array_records(str(path), text)
    try:
        value = loads(text, lines=False)
    except ValueError as error:
        raise InvalidInput(str(path), str(error)) from None
    return iter([Record(1, f"{path}#1", value)])


def detect_form(path: Path, max_line: int = MAX_LINE_BYTES) -> str:
    """'array', 'lines' (JSON lines) or 'object' (one document), from the first lines."""
    if not path.is_file():
        raise InvalidInput(str(path), "not a file")
    first = second = None
    for _number, line in numbered_lines(path, max_line):
        stripped = line.strip() if line is not None else "{"  # an overlong line: a record
        if not stripped:
            continue
        if first is None:
            first = stripped
        else:
            second = stripped
            break
    if first is None:
        raise InvalidInput(str(path), "the file is empty")
    if first.startswith("["):
        return "array"
    if not first.startswith("{"):
        raise InvalidInput(str(path), f"not JSON: it begins with {first[:20]!r}")
    # A pretty-printed object's second line is a key ('"…'), never a new object; an object
    # on one line is read as JSON lines, so that problems and records name the line.
    if (second is not None and second.startswith("{")) or _is_json(first):
        return "lines"
    return "object"


def _is_json(text: str) -> bool:
    try:
        loads(text)
    except ValueError:
        return False
    return True


def numbered_lines(path: Path, max_line: int = MAX_LINE_BYTES) -> Iterator[tuple[int, str | None]]:
    """(line number, text) for each line, streamed; the text is None for an overlong line."""
    try:
        with path.open("rb") as raw:
            encoding = sniff_encoding(raw.read(4))
            raw.seek(3 if encoding == "utf-8-sig" else 0)
            if encoding and encoding != "utf-8-sig":
                # errors="replace": a bad pair of bytes spoils one line's JSON, not the file.
                text = io.TextIOWrapper(raw, encoding=encoding, errors="replace")
                yield from _split(text.readline, max_line, "\n", str)
            else:
                yield from _split(raw.readline, max_line, b"\n", _decode_line)
    except OSError as error:
        raise InvalidInput(str(path), f"cannot be read ({error.strerror or error})") from None


def _decode_line(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _split(readline: Callable, limit: int, newline: Any, to_text: Callable) -> Iterator:
    number = 0
    while piece := readline(limit):
        number += 1
        if len(piece) >= limit and not piece.endswith(newline):
            while piece and not piece.endswith(newline):  # pass over the rest, unread
                piece = readline(limit)
            yield number, None
        else:
            yield number, to_text(piece).lstrip("\ufeff")


def _line_records(path: Path, max_line: int) -> Iterator[Record | RowProblem]:
    for number, line in numbered_lines(path, max_line):
        if line is None:
            yield RowProblem(str(path), number, f"longer than {max_line:,} bytes; not read")
            continue
        if not line.strip():
            continue
        try:
            yield Record(number, f"{path}:{number}", loads(line.rstrip("\r\n")))
        except ValueError as error:
            yield RowProblem(str(path), number, str(error))


def _array_records(file: str, text: str) -> Iterator[Record | RowProblem]:
    """Each element of a top-level array; a bad or cut-short element ends the reading."""
    at = _skip(text, _skip(text, 0) + 1)  # past the '['
    if text[at : at + 1] == "]":
        return
    number = 0
    while True:
        number += 1
        try:
            value, at = _DECODER.raw_decode(text, at)
        except (ValueError, RecursionError) as error:
            reason = why_not_json(error, lines=False)
            yield RowProblem(file, number, f"{reason}; the rest of the array was not read")
            return
        yield Record(number, f"{file}#{number}", value)
        at = _skip(text, at)
        following = text[at : at + 1]
        if following == ",":
            at = _skip(text, at + 1)
        elif following == "]":
            return
        else:
            what = "the file ends" if not following else f"{following!r} comes"
            yield RowProblem(
                file, number + 1, f"the array is cut short: {what} after record {number}"
            )
            return


def _skip(text: str, at: int) -> int:
    return _WHITESPACE.match(text, at).end()
