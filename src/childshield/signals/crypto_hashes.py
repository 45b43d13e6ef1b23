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


def md5_file(path: str | Path) -> str:
    md5 = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as fh:
        while block := fh.read(CHUNK):
            md5.update(block)
    return md5.hexdigest()


def sha256_file(path: str | Path) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(CHUNK):
            sha.update(block)
    return sha.hexdigest()


class Md5Signal(HexSignal):
    name = "md5"
    media = frozenset({"image", "video", "other"})
    default_threshold = 0
    hex_digits = 32

    def compute(self, path: Path) -> Computed:
        return Computed(md5_file(path))

    def examples(self) -> list[str]:
        return [hashlib.md5(b"", usedforsecurity=False).hexdigest(),
                hashlib.md5(b"childshield", usedforsecurity=False).hexdigest()]


class Sha256Signal(HexSignal):
    name = "sha256"
    media = frozenset({"image", "video", "other"})
    default_threshold = 0
    hex_digits = 64

    def compute(self, path: Path) -> Computed:
        return Computed(sha256_file(path))

    def examples(self) -> list[str]:
        return [hashlib.sha256(b"").hexdigest(), hashlib.sha256(b"childshield").hexdigest()]


MD5 = register_signal(Md5Signal())
SHA256 = register_signal(Sha256Signal())

__all__ = [
    "MD5",
    "SHA256",
    "Md5Signal",
    "Sha256Signal",
    "digests_of_bytes",
    "digests_of_stream",
    "file_digests",
    "md5_file",
    "sha256_file",
]
