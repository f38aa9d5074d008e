"""A WARC packaged as a WACZ 1.1.1 file by the `wacz` tool (py-wacz), then validated by it.

The tool runs in its own process: it prints its progress, which must not reach the
output of whoever called Siteline (a command's JSON, a server's log), and redirecting a
running program's stdout is not safe with threads. It needs no network (no signing URL
is given).

The package holds `archive/data.warc.gz` (the WARC, byte for byte), `indexes/index.cdx.gz`
and `indexes/index.idx` (a compressed CDXJ index), `pages/pages.jsonl` (the page, written
here), `datapackage.json` (every file's size and `sha256:` hex digest) and
`datapackage-digest.json` (the SHA-256 of datapackage.json).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from siteline.errors import InvalidInput

WARC_NAME = "data.warc.gz"  # the tool names the WARC in the package after the file
TOOL_SECONDS = 600


def package_wacz(
    warc: Path,
    output: Path,
    *,
    page: dict,
    title: str,
    description: str,
) -> Path:
    """The WACZ of a WARC named data.warc.gz, with one page: `page` has `id`, `url`
    (the URL of its response record), `ts` (ISO 8601) and `title`."""
    if warc.name != WARC_NAME:
        raise ValueError(f"the WARC to package must be named {WARC_NAME}, not {warc.name}")
    pages = warc.with_name("pages.jsonl")
    header = {"format": "json-pages-1.0", "id": "pages", "title": "Pages"}
    # ASCII only (json's default): the tool reads the file in the locale's encoding.
    pages.write_text(json.dumps(header) + "\n" + json.dumps(page) + "\n", encoding="ascii")
    _run_tool(
        "create",
        "--output",
        str(output),
        "--pages",
        str(pages),
        "--copy-pages",
        "--hash-type=sha256",
        f"--url={page['url']}",
        f"--date={page['ts']}",
        f"--title={title}",
        f"--desc={description}",
        str(warc),
    )
    return output


def validate_wacz(path: Path) -> None:
    """Nothing if the `wacz` tool finds the package valid (its files, their hashes and
    the digest of datapackage.json); else InvalidInput naming the file."""
    result = _run_tool("validate", "--file", str(path), check=False)
    if result.returncode != 0 or "Validation succeeded" not in result.stdout:
        said = " ".join((result.stdout + result.stderr).split())[-500:]
        raise InvalidInput(str(path), f"not a valid WACZ package ({said})")


def _run_tool(*arguments: str, check: bool = True) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "wacz", *arguments]
    result = subprocess.run(
        command, capture_output=True, text=True, errors="replace", timeout=TOOL_SECONDS, check=False
    )
    if check and result.returncode != 0:
        said = " ".join((result.stdout + result.stderr).split())[-1000:]
        raise RuntimeError(f"wacz {arguments[0]} failed ({said})")
    return result
