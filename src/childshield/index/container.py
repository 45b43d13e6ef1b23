"""The binary container every index file uses (specified in docs/index-format.md).

A file is a fixed header, a section table, a CRC-32 of both, then the sections, each
aligned to 64 bytes. Readers check the magic, the version, the header CRC and that every
section lies inside the file before touching any data; section CRCs are checked on demand
(``verify=True``) because reading gigabytes defeats memory-mapping. Files are written to a
temporary name, flushed to disk and renamed, so a reader sees the old file or the new one,
never half of one. Nothing is ever unpickled.
"""

from __future__ import annotations

import os
import struct
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from childshield.errors import IntegrityError

MAGIC = b"CSHIDX\r\n"  # the CR LF catches text-mode mangling, as PNG's magic does
VERSION = 1
ALIGN = 64

KIND_SEGMENT = 1
KIND_TOMBSTONES = 2
KIND_MANIFEST = 3

# magic, version, kind, n_sections, flags, count, reserved
_HEADER = struct.Struct("<8sIIIIQ24x")
# name, dtype, ndim, shape[3], offset, length, crc32
_SECTION = struct.Struct("<16s8sI3QQQI4x")
_CRC = struct.Struct("<I")


@dataclass(frozen=True)
class Section:
    name: str
    dtype: np.dtype
    shape: tuple[int, ...]
    offset: int
    length: int
    crc: int


@dataclass(frozen=True)
class Container:
    """A parsed header: what the file holds and where."""

    path: Path
    kind: int
    count: int
    sections: dict[str, Section]
    header_crc: int


def _pad(n: int) -> int:
    return (-n) % ALIGN


def write_container(path: Path, kind: int, count: int, arrays: Mapping[str, np.ndarray]) -> int:
    """Write ``arrays`` atomically to ``path``; returns the header CRC (the file's identity)."""
    header_len = _HEADER.size + _SECTION.size * len(arrays) + _CRC.size
    offset = header_len + _pad(header_len)
    table = b""
    layout = []
    for name, arr in arrays.items():
        arr = np.ascontiguousarray(arr)
        if arr.ndim > 3 or len(name) > 16:
            raise ValueError(f"section {name!r} cannot be stored")
        dt = arr.dtype.newbyteorder("<") if arr.dtype.byteorder == ">" else arr.dtype
        arr = arr.astype(dt, copy=False)
        shape = list(arr.shape) + [0] * (3 - arr.ndim)
        crc = zlib.crc32(arr.data.cast("B")) if arr.size else 0
        table += _SECTION.pack(
            name.encode(), dt.str.encode(), arr.ndim, *shape, offset, arr.nbytes, crc
        )
        layout.append((offset, arr))
        offset += arr.nbytes + _pad(arr.nbytes)
    head = _HEADER.pack(MAGIC, VERSION, kind, len(arrays), 0, count) + table
    header_crc = zlib.crc32(head)
    head += _CRC.pack(header_crc)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "wb") as f:
            f.write(head)
            for off, arr in layout:
                f.seek(off)
                if arr.size:
                    f.write(arr.data.cast("B"))
            f.truncate(offset)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    fsync_dir(path.parent)
    return header_crc


def fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_header(path: Path, expect_kind: int) -> Container:
    """Parse and check a container's header; raises IntegrityError naming the problem."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            fixed = f.read(_HEADER.size)
            if len(fixed) < _HEADER.size:
                raise IntegrityError(f"{path.name}: truncated header")
            magic, version, kind, n_sections, _flags, count = _HEADER.unpack(fixed)
            if magic != MAGIC:
                raise IntegrityError(f"{path.name}: not a childshield index file (bad magic)")
            if version != VERSION:
                raise IntegrityError(f"{path.name}: unsupported format version {version}")
            if n_sections > 64:
                raise IntegrityError(f"{path.name}: implausible section count {n_sections}")
            rest = f.read(_SECTION.size * n_sections + _CRC.size)
    except OSError as exc:
        raise IntegrityError(f"{path.name}: cannot read ({exc.strerror})") from exc
    if len(rest) < _SECTION.size * n_sections + _CRC.size:
        raise IntegrityError(f"{path.name}: truncated header")
    (crc,) = _CRC.unpack(rest[-_CRC.size :])
    if zlib.crc32(fixed + rest[: -_CRC.size]) != crc:
        raise IntegrityError(f"{path.name}: header checksum mismatch (file corrupt)")
    if kind != expect_kind:
        raise IntegrityError(f"{path.name}: file kind {kind}, expected {expect_kind}")
    sections: dict[str, Section] = {}
    for k in range(n_sections):
        raw = _SECTION.unpack_from(rest, k * _SECTION.size)
        name = raw[0].rstrip(b"\0").decode("ascii", "replace")
        try:
            dtype = np.dtype(raw[1].rstrip(b"\0").decode("ascii"))
        except (TypeError, ValueError) as exc:
            raise IntegrityError(f"{path.name}: section {name}: bad dtype") from exc
        ndim = raw[2]
        shape = tuple(int(s) for s in raw[3 : 3 + ndim])
        offset, length, scrc = raw[6], raw[7], raw[8]
        if dtype.hasobject or ndim > 3 or int(np.prod(shape)) * dtype.itemsize != length:
            raise IntegrityError(f"{path.name}: section {name}: shape does not match its length")
        if offset + length > size:
            raise IntegrityError(f"{path.name}: section {name} runs past the end of the file")
        sections[name] = Section(name, dtype, shape, offset, length, scrc)
    return Container(path, kind, count, sections, crc)


def map_sections(container: Container, mmap: bool, verify: bool) -> dict[str, np.ndarray]:
    """Arrays of every section: read-only memory maps, or copies in memory."""
    out: dict[str, np.ndarray] = {}
    whole: np.ndarray | None = None
    if mmap and container.sections:
        whole = np.memmap(container.path, dtype=np.uint8, mode="r")
    with open(container.path, "rb") as f:
        for s in container.sections.values():
            if whole is not None:
                raw = whole[s.offset : s.offset + s.length]
            else:
                f.seek(s.offset)
                raw = np.frombuffer(f.read(s.length), dtype=np.uint8)
                if raw.size != s.length:
                    raise IntegrityError(f"{container.path.name}: section {s.name} truncated")
            if verify and s.length and zlib.crc32(raw.data) != s.crc:
                raise IntegrityError(f"{container.path.name}: section {s.name} checksum mismatch")
            out[s.name] = np.ndarray(s.shape, dtype=s.dtype, buffer=raw)
    return out
