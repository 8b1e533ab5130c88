"""Reading a GGUF file's header to tell a complete file from a truncated one, without
loading it. Layout (GGUF v2/v3, little-endian): magic, version u32, tensor count u64,
metadata count u64, metadata key/value pairs, tensor infos (name, dims, type, offset), then
the tensor data, aligned to ``general.alignment`` (default 32)."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import BinaryIO

# ggml type id -> (elements per block, bytes per block), for the common types. A tensor of
# another type is only checked to start inside the file.
TYPE_SIZES = {
    0: (1, 4),
    1: (1, 2),
    2: (32, 18),
    3: (32, 20),
    6: (32, 22),
    7: (32, 24),
    8: (32, 34),
    10: (256, 84),
    11: (256, 110),
    12: (256, 144),
    13: (256, 176),
    14: (256, 210),
    15: (256, 292),
    24: (1, 1),
    25: (1, 2),
    26: (1, 4),
    27: (1, 8),
    28: (1, 8),
    30: (1, 2),
}
_SCALAR = {
    0: "B",
    1: "b",
    2: "H",
    3: "h",
    4: "I",
    5: "i",
    6: "f",
    7: "?",
    10: "Q",
    11: "q",
    12: "d",
}
_STRING, _ARRAY = 8, 9


class GgufFormatError(ValueError):
    pass


def required_size(path: Path) -> int:
    """Bytes the file must have for every tensor it declares. Raises GgufFormatError."""
    with open(path, "rb") as f:
        if f.read(4) != b"GGUF":
            raise GgufFormatError("bad magic")
        (version,) = _unpack(f, "I")
        if version not in (2, 3):
            raise GgufFormatError(f"unsupported GGUF version {version}")
        n_tensors, n_kv = _unpack(f, "QQ")
        if n_tensors > 1_000_000 or n_kv > 1_000_000:
            raise GgufFormatError("implausible header counts")
        alignment = 32
        for _ in range(n_kv):
            key = _string(f)
            (vtype,) = _unpack(f, "I")
            value = _value(f, vtype)
            if key == "general.alignment" and isinstance(value, int):
                alignment = value
        end_of_data = 0
        for _ in range(n_tensors):
            _string(f)
            (n_dims,) = _unpack(f, "I")
            if n_dims > 8:
                raise GgufFormatError("implausible tensor rank")
            dims = _unpack(f, "Q" * n_dims)
            ttype, offset = _unpack(f, "IQ")
            count = 1
            for d in dims:
                count *= d
            block, size = TYPE_SIZES.get(ttype, (1, 0))
            end_of_data = max(end_of_data, offset + -(-count // block) * size)
        start = f.tell()
        data_start = -(-start // alignment) * alignment
        return data_start + end_of_data


def _unpack(f: BinaryIO, fmt: str) -> tuple[int, ...]:
    size = struct.calcsize("<" + fmt)
    data = f.read(size)
    if len(data) != size:
        raise GgufFormatError("file ends inside its header")
    return struct.unpack("<" + fmt, data)


def _string(f: BinaryIO) -> str:
    (length,) = _unpack(f, "Q")
    if length > 1 << 24:
        raise GgufFormatError("implausible string length")
    data = f.read(length)
    if len(data) != length:
        raise GgufFormatError("file ends inside its header")
    return data.decode("utf-8", errors="replace")


def _value(f: BinaryIO, vtype: int) -> object:
    if vtype in _SCALAR:
        return _unpack(f, _SCALAR[vtype])[0]
    if vtype == _STRING:
        return _string(f)
    if vtype == _ARRAY:
        item_type, count = _unpack(f, "IQ")
        if item_type in _SCALAR:
            size = struct.calcsize("<" + _SCALAR[item_type])
            if len(f.read(size * count)) != size * count:
                raise GgufFormatError("file ends inside its header")
            return None
        for _ in range(count):
            _value(f, item_type)
        return None
    raise GgufFormatError(f"unknown metadata type {vtype}")
