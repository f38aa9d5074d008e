"""Capturing a web page and its media into a WARC and a WACZ package (see page.py;
its input checks are in checks.py, its result types in result.py).

Public names, for the service layer:
- `capture_url(url, folder, identity=..., allow_private_hosts=..., limits=...)`;
- `CaptureLimits`, `CaptureResult`, `CapturedRecord`, `NotCaptured`;
- `check_capture_url`, `checked_identity`: the checks capture_url makes first;
- `read_records(warc)`: a WARC's records, each digest recomputed;
- `validate_wacz(wacz)`: the `wacz` tool's own validation;
- `capture_allow_hosts_from_environment()`: SITELINE_CAPTURE_ALLOW_HOSTS, for a caller
  that lets people name hosts on their own network.
"""

from siteline.capture.checks import (
    CAPTURE_ALLOW_HOSTS_VARIABLE,
    capture_allow_hosts_from_environment,
    check_capture_url,
    checked_identity,
)
from siteline.capture.limits import CaptureLimits
from siteline.capture.page import capture_url, sha256_file
from siteline.capture.result import CapturedRecord, CaptureResult, NotCaptured
from siteline.capture.wacz_package import validate_wacz
from siteline.capture.warc import StoredRecord, read_records, sha256_hex

__all__ = [
    "CAPTURE_ALLOW_HOSTS_VARIABLE",
    "CaptureLimits",
    "CaptureResult",
    "CapturedRecord",
    "NotCaptured",
    "StoredRecord",
    "capture_allow_hosts_from_environment",
    "capture_url",
    "check_capture_url",
    "checked_identity",
    "read_records",
    "sha256_file",
    "sha256_hex",
    "validate_wacz",
]
