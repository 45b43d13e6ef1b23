"""MD5 and SHA-256 of files, read in fixed-size chunks so memory stays flat for any size."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import BinaryIO

from childshield.signals.base import Computed, HexSignal, register_signal

CHUNK = 1024 * 1024


def digests_of_stream(stream: BinaryIO, *, chunk: int = CHUNK) -> tuple[str, str]:
    """(md5, sha256) of everything left in ``stream``, read ``chunk`` bytes at a time."""
    md5 = hashlib.md5(usedforsecurity=False)
    sha = hashlib.sha256()
    while block := stream.read(chunk):
        md5.update(block)
        sha.update(block)
    return md5.hexdigest(), sha.hexdigest()


def digests_of_bytes(data: bytes) -> tuple[str, str]:
    """(md5, sha256) of bytes already in memory."""
    return hashlib.md5(data, usedforsecurity=False).hexdigest(), hashlib.sha256(data).hexdigest()


def file_digests(path: str | Path) -> tuple[str, str]:
    """(md5, sha256) of a file in one streaming pass."""
    with open(path, "rb") as fh:
        return digests_of_stream(fh)


def _file_digest(path: str | Path, algorithm: str) -> str:
    digest = hashlib.new(algorithm, usedforsecurity=False)
    with open(path, "rb") as fh:
        while block := fh.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def md5_file(path: str | Path) -> str:
    return _file_digest(path, "md5")


def sha256_file(path: str | Path) -> str:
    return _file_digest(path, "sha256")


class DigestSignal(HexSignal):
    """A cryptographic digest of the file's bytes: matches only an identical file."""

    media = frozenset({"image", "video", "other"})
    default_threshold = 0

    def __init__(self, name: str, hex_digits: int) -> None:
        self.name = name
        self.hex_digits = hex_digits

    def compute(self, path: Path) -> Computed:
        return Computed(_file_digest(path, self.name))

    def examples(self) -> list[str]:
        return [hashlib.new(self.name, data, usedforsecurity=False).hexdigest()
                for data in (b"", b"childshield")]


MD5 = register_signal(DigestSignal("md5", 32))
SHA256 = register_signal(DigestSignal("sha256", 64))

__all__ = [
    "MD5",
    "SHA256",
    "DigestSignal",
    "digests_of_bytes",
    "digests_of_stream",
    "file_digests",
    "md5_file",
    "sha256_file",
]
