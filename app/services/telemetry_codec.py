"""The payload of a telemetry chunk: its sample times and rows, exact, compressed.

Layout (``DTC2``): ``b"DTC2"``, a 4-byte little-endian header length, the header (JSON: ``{"n": samples, "kinds":
[kind per port]}``), then ``zlib`` of ``marshal`` of ``(times, rows)``. ``marshal`` writes Python's own floats,
ints of any size, bools and ``None`` exactly, and does it in C at about 17 ns a value: the writer's thread holds
the GIL for that long per value and no longer (zlib releases it), so persisting a second of samples costs the
tick loop little. ``kinds`` (``f8``, ``i8``, ``b1`` from the port types, ``j`` for anything else) only tell the
readers how to format a column.

Chunks written by the first version (``DTC1``) were columnar (one compressed column per port, packed with
``struct``): packing and transposing cost about 130 ns a value under the GIL, which halved the tick rate of a
run recording flat out. They are still read.
"""

from __future__ import annotations

import json
import marshal
import struct
import sys
import zlib
from array import array
from collections.abc import Sequence
from operator import itemgetter
from typing import Any

__all__ = ["Column", "KINDS", "decode_chunk", "decode_times", "encode_chunk", "encode_columnar_chunk", "kind_for"]

MAGIC = b"DTC1"  # columnar, read only
MAGIC2 = b"DTC2"
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
            return "i8", struct.pack(f"<{len(values)}q", *values)  # refuses floats and None; bools become 0/1
        except struct.error:
            kind = "f8" if not any(isinstance(v, int) and not isinstance(v, bool) for v in values) else "j"
    if kind == "f8":
        try:  # ints and bools are stored as floats of the port
            return "f8", struct.pack(f"<{len(values)}d", *values)
        except (struct.error, OverflowError):
            pass
    return "j", json.dumps(list(values), separators=(",", ":")).encode()


def _little(a: array[Any]) -> array[Any]:
    if _BIG_ENDIAN:
        a.byteswap()
    return a


def encode_chunk(times: Sequence[float], rows: Sequence[Sequence[Any]], kinds: Sequence[str]) -> bytes:
    """A chunk of ``len(times)`` samples: ``rows[i]`` holds one value per port, ``kinds`` the ports' kinds."""
    head = json.dumps({"n": len(times), "kinds": list(kinds)}, separators=(",", ":")).encode()
    body = zlib.compress(marshal.dumps((list(times), list(rows)), 4), LEVEL)
    return MAGIC2 + struct.pack("<I", len(head)) + head + body


def encode_columnar_chunk(times: Sequence[float], columns: Sequence[Sequence[Any]], kinds: Sequence[str]) -> bytes:
    """The first version's layout (``DTC1``), kept to test that such chunks are still read."""
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
    if data[:4] not in (MAGIC, MAGIC2):
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


def _rows(data: bytes, offset: int) -> tuple[list[float], list[tuple[Any, ...]]]:
    times, rows = marshal.loads(zlib.decompress(memoryview(data)[offset:]))
    return times, rows


def decode_times(data: bytes) -> Sequence[float]:
    """Only the sample times of a chunk."""
    header, offset = _header(data)
    if data[:4] == MAGIC2:
        return _rows(data, offset)[0]
    size = header["times"][1]
    return _unpack("f8", zlib.decompress(data[offset : offset + size]))  # type: ignore[return-value]


def decode_chunk(
    data: bytes, indexes: Sequence[int] | None = None
) -> tuple[Sequence[float], list[Column], list[str]]:
    """The times, the columns (all, or those at ``indexes``, in that order) and their kinds."""
    header, offset = _header(data)
    if data[:4] == MAGIC2:
        times, rows = _rows(data, offset)
        kinds = header["kinds"]
        chosen = range(len(kinds)) if indexes is None else indexes
        if not rows:
            return times, [[] for _ in chosen], [kinds[i] for i in chosen]
        if 2 * len(chosen) <= len(kinds):  # a few ports of many: pick them rather than transpose every port
            return times, [list(map(itemgetter(i), rows)) for i in chosen], [kinds[i] for i in chosen]
        columns = list(zip(*rows))
        return times, [columns[i] for i in chosen], [kinds[i] for i in chosen]
    return _decode_columnar(data, header, offset, indexes)


def _decode_columnar(
    data: bytes, header: dict[str, Any], offset: int, indexes: Sequence[int] | None
) -> tuple[Sequence[float], list[Column], list[str]]:
    view = memoryview(data)
    times_size = header["times"][1]
    times: Sequence[float] = _unpack("f8", zlib.decompress(view[offset : offset + times_size]))
    starts, position = [], offset + times_size
    for _kind, size in header["cols"]:
        starts.append(position)
        position += size
    chosen = range(len(header["cols"])) if indexes is None else indexes
    columns: list[Column] = []
    kinds: list[str] = []
    for i in chosen:
        kind, size = header["cols"][i]
        columns.append(_unpack(kind, zlib.decompress(view[starts[i] : starts[i] + size])))
        kinds.append(kind)
    return times, columns, kinds
