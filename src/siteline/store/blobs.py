"""Content-addressed storage of original bytes.

A file is stored once, under the SHA-256 of what is on disk, and made read-only. It is
never rewritten: storing the same bytes again finds the file already there. Files are
written to a temporary name and renamed into place, so a crash never leaves a
half-written original under a real hash.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path

from siteline.errors import CaseError

HASH_NAME = "sha256"

# syncfs(2) flushes one file system rather than all of them; Linux only.
_syncfs = getattr(ctypes.CDLL(None, use_errno=True), "syncfs", None)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class BlobStore:
    def __init__(self, root: Path):
        self.root = Path(root)
        self._files = self.root / HASH_NAME
        self._incoming = self.root / "incoming"
        self._made_dirs: set[str] = set()

    def create(self) -> None:
        self._files.mkdir(parents=True, exist_ok=True)
        self._incoming.mkdir(parents=True, exist_ok=True)

    def path_for(self, digest: str) -> Path:
        return self._files / digest[:2] / digest

    def _path_text(self, digest: str) -> str:
        # Plain strings and os calls: bulk adds store thousands of files a second, and
        # pathlib's objects cost more than the file system does. Same layout as path_for.
        return f"{self._files}/{digest[:2]}/{digest}"

    def has(self, digest: str) -> bool:
        return self.path_for(digest).exists()

    def put(self, data: bytes, digest: str | None = None) -> tuple[str, bool]:
        """Stores bytes; returns their digest and whether a new file was written."""
        digest = digest or sha256_hex(data)
        if os.path.exists(self._path_text(digest)):
            return digest, False
        return self.put_absent(data, digest), True

    def put_absent(self, data: bytes, digest: str) -> str:
        """Stores bytes the case's records say it does not hold yet; returns the digest.

        No look for an existing file first: the records are the authority, and a stray file
        left under this name (by a process that stopped before its commit) is replaced by
        the right bytes.
        """
        final = self._path_text(digest)
        try:
            self._write_new(data, os.path.dirname(final), final)
        except OSError as error:
            where = error.filename or final
            raise CaseError(f"{where}: the original cannot be stored ({error.strerror})") from None
        return digest

    def sync(self) -> None:
        """Makes the files written so far durable: the store's own file system where Linux
        can say which (syncfs), else every file system."""
        if _syncfs is None:
            os.sync()
            return
        descriptor = os.open(self.root, os.O_RDONLY)
        try:
            if _syncfs(descriptor) != 0:
                os.sync()
        finally:
            os.close(descriptor)

    def _write_new(self, data: bytes, folder: str, final: str) -> None:
        if folder not in self._made_dirs:
            os.makedirs(folder, exist_ok=True)
            self._made_dirs.add(folder)
        temporary = f"{self._incoming}/{os.path.basename(final)}.{os.getpid()}.part"
        descriptor = self._open_new(temporary)
        try:
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(descriptor, view) :]
            finally:
                os.close(descriptor)
            os.replace(temporary, final)
        except BaseException:
            with suppress(OSError):
                os.unlink(temporary)
            raise

    @staticmethod
    def _open_new(path: str) -> int:
        # Created read-only at once (the descriptor may still write): no chmod afterwards.
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
        try:
            return os.open(path, flags, 0o444)
        except FileExistsError:
            # Left by a process of this id that stopped half-way; it was never a blob.
            os.unlink(path)
            return os.open(path, flags, 0o444)

    def read(self, digest: str) -> bytes:
        return self.path_for(digest).read_bytes()

    def remove_new(self, digest: str) -> None:
        """Takes back a file written by a transaction that did not commit."""
        self.path_for(digest).unlink(missing_ok=True)

    def digest_of_file(self, digest: str) -> str | None:
        """The SHA-256 of what is stored under a name now, or None when it is gone."""
        path = self.path_for(digest)
        if not path.is_file():
            return None
        hasher = hashlib.sha256()
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                hasher.update(chunk)
        return hasher.hexdigest()

    def stored_names(self) -> Iterator[tuple[str, Path]]:
        """Every file in the store, by the name it is stored under."""
        if not self._files.is_dir():
            return
        for path in sorted(self._files.rglob("*")):
            if path.is_file():
                yield path.name, path
