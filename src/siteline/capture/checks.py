"""The checks a capture makes of its input before it fetches anything.

`check_capture_url` (the URL: http(s), one that may be fetched), `checked_identity` (who
captures) and `checked_folder` (where the files go) each raise InvalidInput naming what
is wrong. `capture_allow_hosts_from_environment` reads SITELINE_CAPTURE_ALLOW_HOSTS, for
a caller that lets people name hosts on their own network.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from siteline.errors import InvalidInput
from siteline.net.safe_http import check_url, hosts_from_environment

CAPTURE_ALLOW_HOSTS_VARIABLE = "SITELINE_CAPTURE_ALLOW_HOSTS"
MAX_URL_CHARACTERS = 8_192
MAX_IDENTITY_CHARACTERS = 200
_CONTROL_OR_SPACE = re.compile(r"[\x00-\x20\x7f-\x9f]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def capture_allow_hosts_from_environment() -> frozenset[str]:
    """Host names in SITELINE_CAPTURE_ALLOW_HOSTS (comma-separated) that a capture may
    reach on a private network. capture_url never reads it: a caller that wants it (the
    command line) passes it as `allow_private_hosts`."""
    return hosts_from_environment(CAPTURE_ALLOW_HOSTS_VARIABLE)


def checked_identity(identity: str) -> str:
    """The capturing identity, stripped: one line of at most 200 characters."""
    if not isinstance(identity, str) or not identity.strip():
        raise InvalidInput("identity", "is empty: say who captures (a person or an account)")
    text = identity.strip()
    if len(text) > MAX_IDENTITY_CHARACTERS:
        raise InvalidInput("identity", f"is over {MAX_IDENTITY_CHARACTERS} characters")
    if _CONTROL.search(text):
        raise InvalidInput("identity", "holds a line break or another control character")
    return text


def check_capture_url(url: str, allow_private_hosts: frozenset[str] = frozenset()) -> str:
    """The URL, if a capture may fetch it: http(s), no spaces or control characters, no
    user name or password, and a host whose every address is public (or allowed)."""
    if not isinstance(url, str) or not url:
        raise InvalidInput("url", "is empty: give the http or https URL of a page")
    if len(url) > MAX_URL_CHARACTERS:
        raise InvalidInput("url", f"is over {MAX_URL_CHARACTERS} characters")
    if _CONTROL_OR_SPACE.search(url):
        raise InvalidInput(url, "holds a space or a control character (percent-encode it)")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - a port out of range raises ValueError
    except ValueError as error:  # 'http://[::1' and the like
        raise InvalidInput(url, f"is not a valid URL ({error})") from None
    if parts.username is not None or parts.password is not None:
        raise InvalidInput(url, "a URL with a user name or password is not fetched")
    return check_url(url, allow_private_hosts)


def checked_folder(target: Path) -> Path:
    """The folder a capture writes into, if it is one."""
    folder = Path(target)
    if not folder.is_dir():
        raise InvalidInput(str(target), "is not a folder: captures are written into one")
    return folder
