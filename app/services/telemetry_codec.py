"""The payload of a telemetry chunk: the sample times and one column per port, each compressed on its own.

Layout: ``b"DTC1"``, a 4-byte little-endian header length, the header (JSON: ``{"n": samples, "times": [kind,
size], "cols": [[kind, size], ...]}``), then the compressed columns in that order. Column kinds:

- ``f8``: IEEE float64, little-endian (bit-exact, NaN and ±Infinity included);
- ``i8``: int64, little-endian;
- ``b1``: one byte per sample, 0 or 1 (booleans);
- ``j``: JSON of the values, for a column that fits none of the above (a ``None`` of a port a live edit removed,
  an int beyond 64 bits, a mixed column).

The kind is chosen per chunk from the port's data type and falls back to ``j`` when the values do not fit,
so a column is always stored exactly. Packing is C-speed (``array``, ``bytes``); one chunk of a second of
samples costs one transpose and one ``zlib.compress`` per column, and ``zlib`` releases the GIL while it works.
Compressing each column separately lets a read of a few ports decompress only those columns.
"""

from __future__ import annotations

import json
import struct
import sys
import zlib
from array import array
from collections.abc import Sequence
from typing import Any

__all__ = ["Column", "KINDS", "decode_chunk", "decode_times", "encode_chunk", "kind_for"]

MAGIC = b"DTC1"
KINDS = ("f8", "i8", "b1", "j")
LEVEL = 1  # float64 columns compress little better at 6, and 1 is several times faster
_BIG_ENDIAN = sys.byteorder == "big"

Column = Sequence[Any]  # array('d'), array('q'), bytes (b1) or list (j)


def kind_for(data_type: str | None) -> str:
    """The preferred kind of a port's column (``j`` and the fall-backs cover everything else)."""
    return {"float": "f8", "int": "i8", "bool": "b1"}.get(data_type or "", "f8")


def _pack(kind: str, values: Sequence[Any]) -> tuple[str, bytes]:
    """The column as raw bytes of ``kind``, or of the first kind after it that holds every value exactly."""
    if kind == "b1":
        try:
            packed = bytes(values)  # bools and 0/1 ints
            if max(packed, default=0) <= 1:
                return "b1", packed
        except (TypeError, ValueError):
            pass
        kind = "i8"
    if kind == "i8":
        try:
            ints = array("q", values)  # refuses floats and None; bools become 0/1
            return "i8", _little(ints).tobytes()
        except (TypeError, OverflowError):
            kind = "f8" if not any(isinstance(v, int) and not isinstance(v, bool) for v in values) else "j"
    if kind == "f8":
        try:
            return "f8", _little(array("d", values)).tobytes()  # ints and bools are stored as floats of the port
        except (TypeError, OverflowError):
            pass
    return "j", json.dumps(list(values), separators=(",", ":")).encode()


def _little(a: array[Any]) -> array[Any]:
    if _BIG_ENDIAN:
        a.byteswap()
    return a


def encode_chunk(times: Sequence[float], columns: Sequence[Sequence[Any]], kinds: Sequence[str]) -> bytes:
    """A chunk of ``len(times)`` samples; ``columns[i]`` holds port i's values, ``kinds[i]`` its preferred kind."""
    parts: list[bytes] = []
    _, raw_times = _pack("f8", times)
    parts.append(zlib.compress(raw_times, LEVEL))
    cols = []
    for column, preferred in zip(columns, kinds):
        kind, raw = _pack(preferred, column)
        parts.append(zlib.compress(raw, LEVEL))
        cols.append([kind, len(parts[-1])])
    header = json.dumps({"n": len(times), "times": ["f8", len(parts[0])], "cols": cols}, separators=(",", ":"))
    head = header.encode()
    return MAGIC + struct.pack("<I", len(head)) + head + b"".join(parts)


def _header(data: bytes) -> tuple[dict[str, Any], int]:
    if data[:4] != MAGIC:
        raise ValueError("not a telemetry chunk")
    (size,) = struct.unpack_from("<I", data, 4)
    return json.loads(data[8 : 8 + size]), 8 + size


def _unpack(kind: str, raw: bytes) -> Column:
    if kind == "f8":
        out = array("d")
        out.frombytes(raw)
        return _little(out)
    if kind == "i8":
        ints = array("q")
        ints.frombytes(raw)
        return _little(ints)
    if kind == "b1":
        return raw
    return json.loads(raw)  # type: ignore[no-any-return]


def decode_times(data: bytes) -> array[float]:
    """Only the sample times of a chunk."""
    header, offset = _header(data)
    size = header["times"][1]
    return _unpack("f8", zlib.decompress(data[offset : offset + size]))  # type: ignore[return-value]


def decode_chunk(data: bytes, indexes: Sequence[int] | None = None) -> tuple[array[float], list[Column], list[str]]:
    """The times, the columns (all, or those at ``indexes``, in that order) and their kinds."""
    header, offset = _header(data)
    view = memoryview(data)
    times_size = header["times"][1]
    times: array[float] = _unpack("f8", zlib.decompress(view[offset : offset + times_size]))  # type: ignore[assignment]
    starts, position = [], offset + times_size
    for _kind, size in header["cols"]:
        starts.append(position)
        position += size
    chosen = range(len(header["cols"])) if indexes is None else indexes
    columns, kinds = [], []
    for i in chosen:
        kind, size = header["cols"][i]
        columns.append(_unpack(kind, zlib.decompress(view[starts[i] : starts[i] + size])))
        kinds.append(kind)
    return times, columns, kinds
