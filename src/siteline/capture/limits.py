"""The limits of one capture: how much, how many and how long."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from siteline.errors import InvalidInput

MiB = 2**20


@dataclass(frozen=True)
class CaptureLimits:
    """Bounds on one capture. A page over a limit fails the capture; a medium over one is
    skipped (listed with the reason) and the capture goes on."""

    max_response_bytes: int = 100 * MiB  # one response's body, as received
    max_total_bytes: int = 500 * MiB  # every body of the capture together
    max_media: int = 100  # media URLs fetched from the page (those after are skipped)
    max_redirects: int = 5  # redirects followed from one URL
    request_seconds: float = 60.0  # one request, from connecting to the body's last byte
    capture_seconds: float = 300.0  # the whole capture, page and media

    def checked(self) -> CaptureLimits:
        """These limits, if each is a number in its range; else InvalidInput naming it."""
        for name in ("max_response_bytes", "max_total_bytes"):
            _check_whole(name, getattr(self, name), least=1)
        for name in ("max_media", "max_redirects"):
            _check_whole(name, getattr(self, name), least=0)
        for name in ("request_seconds", "capture_seconds"):
            value = getattr(self, name)
            if not _is_number(value) or not (0 < value < math.inf):
                raise InvalidInput(f"limits.{name}", f"must be seconds over 0, not {value!r}")
        return self

    def as_dict(self) -> dict:
        return asdict(self)


def _check_whole(name: str, value, *, least: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise InvalidInput(
            f"limits.{name}", f"must be a whole number of at least {least}, not {value!r}"
        )


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
