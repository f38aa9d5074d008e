"""The key that seals confidential material, and sealing itself (AES-256-GCM).

The key never lives in the case folder: whoever copies a case without its key copies
ciphertext. It comes from `SITELINE_KEY` (base64) or from a key file named by
`--key-file` or `SITELINE_KEY_FILE`. Each sealed value is bound to where it belongs
(its context, passed as associated data) so that ciphertexts cannot be swapped
between items unnoticed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from siteline.errors import CaseError, InvalidInput, KeyRequired

KEY_ENV = "SITELINE_KEY"
KEY_FILE_ENV = "SITELINE_KEY_FILE"
NONCE_BYTES = 12


class Sealer:
    """Seals and opens bytes with the case key; without a key it can only say so."""

    def __init__(self, key: bytes | None):
        if key is not None and len(key) != 32:
            raise InvalidInput("key", f"a Siteline key is 32 bytes, this one is {len(key)}")
        self._aead = AESGCM(key) if key else None
        self.fingerprint = fingerprint(key) if key else None

    @property
    def has_key(self) -> bool:
        return self._aead is not None

    def require_key(self, purpose: str) -> AESGCM:
        if self._aead is None:
            raise KeyRequired(
                f"{purpose} needs the case key: set {KEY_ENV} or {KEY_FILE_ENV}, or pass --key-file"
            )
        return self._aead

    def seal(self, plaintext: bytes, context: str, purpose: str = "confidential material") -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self.require_key(purpose).encrypt(nonce, plaintext, context.encode())

    def open(self, sealed: bytes, context: str, purpose: str = "confidential material") -> bytes:
        aead = self.require_key(purpose)
        try:
            return aead.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], context.encode())
        except InvalidTag:
            raise CaseError(
                f"{context}: cannot be opened: the key is wrong or the sealed value was altered"
            ) from None

    def seal_text(self, text: str, context: str) -> str:
        return base64.b64encode(self.seal(text.encode(), context)).decode()

    def open_text(self, sealed: str, context: str) -> str:
        return self.open(base64.b64decode(sealed), context).decode()


def fingerprint(key: bytes) -> str:
    """Names a key without revealing it, so a case can tell a wrong key from a right one."""
    return hashlib.sha256(b"siteline key fingerprint\0" + key).hexdigest()[:32]


def load_key(key_file: Path | None = None) -> bytes | None:
    """The key from the given file, else `SITELINE_KEY`, else `SITELINE_KEY_FILE`, else none."""
    if key_file is None and os.environ.get(KEY_ENV):
        return _decode(os.environ[KEY_ENV], KEY_ENV)
    if key_file is None and os.environ.get(KEY_FILE_ENV):
        key_file = Path(os.environ[KEY_FILE_ENV])
    if key_file is None:
        return None
    try:
        return _decode(Path(key_file).read_text().strip(), str(key_file))
    except OSError as error:
        raise InvalidInput(str(key_file), f"cannot read the key file ({error.strerror})") from None


def _decode(text: str, where: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput(where, "the key is not base64 text") from None
    if len(key) != 32:
        raise InvalidInput(where, f"a Siteline key is 32 bytes, this one is {len(key)}")
    return key


def write_new_key(path: Path) -> str:
    """Creates a key file readable by its owner only; refuses to overwrite one."""
    path = Path(path)
    if path.exists():
        raise InvalidInput(str(path), "a file is already there; keys are never overwritten")
    key = AESGCM.generate_key(bit_length=256)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(base64.b64encode(key).decode() + "\n")
    return fingerprint(key)
