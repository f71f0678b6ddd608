"""Pre-encoded OPC UA Read/Write bodies and a fast decoder for their responses.

asyncua builds and serialises a ``ReadValueId``/``WriteValue`` object per node per call and decodes every
``DataValue`` into objects. The per-tick requests of a HIL run never change shape, so the request bodies are
encoded once at connect (only the values of a Write change), and responses are decoded with one precompiled
``struct.Struct`` per batch when their layout matches what the batch saw before; anything unusual (bad status,
arrays, strings, extra timestamps) falls back to a per-value decoder and then to asyncua's own.
"""

from __future__ import annotations

import math
import struct
import time
from collections.abc import Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, Callable

from asyncua import ua
from asyncua.common.utils import Buffer
from asyncua.ua.ua_binary import nodeid_to_binary, variant_from_binary

from app.engine.io import round_half_away

# Built-in scalar types a binding may target: VariantType id -> (name, struct format or None for String).
SCALAR_FORMATS: dict[int, str | None] = {
    1: "?",  # Boolean
    2: "b",  # SByte
    3: "B",  # Byte
    4: "h",  # Int16
    5: "H",  # UInt16
    6: "i",  # Int32
    7: "I",  # UInt32
    8: "q",  # Int64
    9: "Q",  # UInt64
    10: "f",  # Float
    11: "d",  # Double
    12: None,  # String
}
TYPE_NAMES = {vt: ua.VariantType(vt).name for vt in SCALAR_FORMATS}
INTEGER_RANGES: dict[int, tuple[int, int]] = {
    2: (-(2**7), 2**7 - 1),
    3: (0, 2**8 - 1),
    4: (-(2**15), 2**15 - 1),
    5: (0, 2**16 - 1),
    6: (-(2**31), 2**31 - 1),
    7: (0, 2**32 - 1),
    8: (-(2**63), 2**63 - 1),
    9: (0, 2**64 - 1),
}
# Twin-side kind of each node type; bool < int < float is the engine's widening order.
KIND = {1: "bool", **dict.fromkeys(range(2, 10), "int"), 10: "float", 11: "float", 12: "string"}
RANK = {"bool": 0, "int": 1, "float": 2}

_VALUE_ATTRIBUTE = 13
_TIMESTAMPS_NEITHER = 3
_INT32 = struct.Struct("<i")
_UINT32 = struct.Struct("<I")
_HEADER_TAIL = struct.Struct("<qIIiI")  # Timestamp, RequestHandle, ReturnDiagnostics, AuditEntryId(null), TimeoutHint
_NULL_EXTENSION_OBJECT = b"\x00\x00\x00"
_FILETIME_EPOCH = 11644473600
_BAD = 0x80000000
_FLOAT_MAX = 3.4028234663852886e38

READ_REQUEST = nodeid_to_binary(ua.FourByteNodeId(ua.ObjectIds.ReadRequest_Encoding_DefaultBinary))
WRITE_REQUEST = nodeid_to_binary(ua.FourByteNodeId(ua.ObjectIds.WriteRequest_Encoding_DefaultBinary))


def request_header(token: bytes, handle: int, timeout_ms: int) -> bytes:
    """Encode a RequestHeader from a pre-encoded authentication token."""
    stamp = int((time.time() + _FILETIME_EPOCH) * 10_000_000)
    return token + _HEADER_TAIL.pack(stamp, handle, 0, -1, timeout_ms) + _NULL_EXTENSION_OBJECT


def status_name(code: int) -> str:
    """A readable name for a status code (e.g. ``BadNodeIdUnknown``)."""
    try:
        return ua.StatusCode(code).name
    except Exception:
        return f"0x{code:08X}"


def to_node_value(vtype: int, value: Any) -> Any:
    """Convert a raw twin value to the Python value the node's VariantType encodes; raise ValueError if it cannot."""
    if vtype == 1:
        return bool(value)
    if vtype in INTEGER_RANGES:
        number = value if type(value) is int else round_half_away(value)
        low, high = INTEGER_RANGES[vtype]
        if not low <= number <= high:
            raise ValueError(
                f"{value!r} is out of range for {TYPE_NAMES[vtype]} ({low}..{high}); not written, the PLC keeps its "
                "value: bind a wider node or bring the value into range with scale/offset"
            )
        return number
    if vtype in (10, 11):
        real = float(value)
        if vtype == 10 and math.isfinite(real) and abs(real) > _FLOAT_MAX:
            raise ValueError(f"{value!r} is out of range for Float; not written: bind a Double node or use scale")
        return real
    return str(value)


def _fast_converter(vtype: int) -> Callable[[Any], Any]:
    """A cheap converter for the common case; range errors surface as struct.error and take the slow path."""
    if vtype == 1:
        return bool
    if vtype in INTEGER_RANGES:
        return lambda v: v if type(v) is int else round_half_away(v)
    if vtype in (10, 11):
        return float
    return str


def _encode_value(vtype: int, value: Any) -> bytes:
    """Variant body (type byte + value) for one converted scalar."""
    fmt = SCALAR_FORMATS[vtype]
    if fmt is None:
        raw = value.encode("utf-8")
        return bytes((vtype,)) + _INT32.pack(len(raw)) + raw
    return bytes((vtype,)) + struct.pack("<" + fmt, value)


class ReadBatch:
    """One pre-encoded Read request (one chunk of an endpoint's read bindings) and its response decoder."""

    def __init__(self, node_ids: Sequence[ua.NodeId], slots: Sequence[int]) -> None:
        self.slots = list(slots)  # positions in the adapter's read result list
        self.size = len(self.slots)
        items = b"".join(
            nodeid_to_binary(n) + _UINT32.pack(_VALUE_ATTRIBUTE) + b"\xff\xff\xff\xff" + b"\x00\x00\xff\xff\xff\xff"
            for n in node_ids
        )
        # ReadParameters: MaxAge (Double) 0, TimestampsToReturn Neither, NodesToRead[]
        self.body = struct.pack("<dIi", 0.0, _TIMESTAMPS_NEITHER, self.size) + items
        self._layout: _Layout | None = None

    def decode(self, data: bytes | memoryview, pos: int) -> tuple[list[Any], list[int] | None]:
        """Values (None where bad) and, only if some status is not Good, the status per node."""
        layout = self._layout
        if layout is not None:
            result = layout.try_unpack(data, pos)
            if result is not None:
                return result, None
        values, statuses, shape = _decode_data_values(data, pos, self.size)
        if shape is not None:
            self._layout = _Layout(shape)
        return values, statuses if any(statuses) else None


@dataclass(frozen=True)
class _Shape:
    masks: tuple[int, ...]
    vtypes: tuple[int, ...]


class _Layout:
    """A response layout seen before, unpacked with a single precompiled Struct."""

    def __init__(self, shape: _Shape) -> None:
        fmt = ["<i"]
        index = 1
        mask_at: list[int] = []
        type_at: list[int] = []
        value_at: list[int] = []
        status_at: list[int] = []
        for mask, vtype in zip(shape.masks, shape.vtypes, strict=True):
            fmt.append("B")
            mask_at.append(index)
            index += 1
            if mask & 0x01:
                fmt.append("B" + str(SCALAR_FORMATS[vtype]))
                type_at.append(index)
                value_at.append(index + 1)
                index += 2
            if mask & 0x02:
                fmt.append("I")
                status_at.append(index)
                index += 1
            for bit, code in ((0x04, "q"), (0x08, "q"), (0x10, "H"), (0x20, "H")):
                if mask & bit:
                    fmt.append(code)
                    index += 1
        self.struct = struct.Struct("".join(fmt))
        self.count = len(shape.masks)
        self.masks = shape.masks
        self.vtypes = tuple(v for m, v in zip(shape.masks, shape.vtypes, strict=True) if m & 0x01)
        self.get_masks = _getter(mask_at)
        self.get_types = _getter(type_at)
        self.get_values = _getter(value_at)
        self.get_statuses = _getter(status_at) if status_at else None
        self.good_statuses = (0,) * len(status_at)
        self.all_values = len(value_at) == self.count

    def try_unpack(self, data: bytes | memoryview, pos: int) -> list[Any] | None:
        if len(data) - pos < self.struct.size:
            return None
        fields = self.struct.unpack_from(data, pos)
        if fields[0] != self.count or self.get_masks(fields) != self.masks or self.get_types(fields) != self.vtypes:
            return None
        if not self.all_values:
            return None
        if self.get_statuses is not None and self.get_statuses(fields) != self.good_statuses:
            return None
        return list(self.get_values(fields))


def _getter(indexes: list[int]) -> Callable[[tuple[Any, ...]], tuple[Any, ...]]:
    if not indexes:
        return lambda _fields: ()
    if len(indexes) == 1:
        only = indexes[0]
        return lambda fields: (fields[only],)
    return itemgetter(*indexes)


def _decode_data_values(
    data: bytes | memoryview, pos: int, expected: int
) -> tuple[list[Any], list[int], _Shape | None]:
    """Per-value decoder of a DataValue array; returns a reusable shape when every value is a fixed-size scalar."""
    (count,) = _INT32.unpack_from(data, pos)
    pos += 4
    if count != expected:
        raise ua.UaError(f"server returned {count} results for {expected} nodes")
    values: list[Any] = []
    statuses: list[int] = []
    masks: list[int] = []
    vtypes: list[int] = []
    reusable = True
    for _ in range(count):
        mask = data[pos]
        pos += 1
        value = None
        vtype = 0
        if mask & 0x01:
            encoding = data[pos]
            vtype = encoding & 0x3F
            fmt = SCALAR_FORMATS.get(vtype, "") if not encoding & 0xC0 else ""
            if fmt:
                value = struct.unpack_from("<" + fmt, data, pos + 1)[0]
                pos += 1 + struct.calcsize("<" + fmt)
            else:
                reusable = False
                buf = Buffer(bytes(data), pos)
                variant = variant_from_binary(buf)
                pos = buf._cur_pos
                value = variant.Value
        status = 0
        if mask & 0x02:
            (status,) = _UINT32.unpack_from(data, pos)
            pos += 4
        pos += 8 * bool(mask & 0x04) + 8 * bool(mask & 0x08) + 2 * bool(mask & 0x10) + 2 * bool(mask & 0x20)
        if status & _BAD or not mask & 0x01:
            reusable = reusable and not status & _BAD and bool(mask & 0x01)
            if not status:
                status = ua.StatusCodes.BadNoData
            value = None
        values.append(value)
        statuses.append(status if status & _BAD or value is None else 0)
        masks.append(mask)
        vtypes.append(vtype)
    shape = _Shape(tuple(masks), tuple(vtypes)) if reusable else None
    return values, statuses, shape


class WriteBatch:
    """One chunk of an endpoint's write bindings with pre-encoded WriteValue prefixes."""

    def __init__(self, node_ids: Sequence[ua.NodeId], vtypes: Sequence[int], slots: Sequence[int]) -> None:
        self.slots = list(slots)  # positions in the adapter's write value list
        self.size = len(self.slots)
        self.vtypes = list(vtypes)
        # WriteValue: NodeId, AttributeId, IndexRange (null), then DataValue mask 0x01 (value only, no timestamps)
        self.prefixes = [
            nodeid_to_binary(n) + _UINT32.pack(_VALUE_ATTRIBUTE) + b"\xff\xff\xff\xff\x01" for n in node_ids
        ]
        self.converters = [_fast_converter(v) for v in self.vtypes]
        self._fixed = all(SCALAR_FORMATS[v] is not None for v in self.vtypes)
        if self._fixed:
            fmt = "<i" + "".join(
                f"{len(p)}sB{SCALAR_FORMATS[v]}" for p, v in zip(self.prefixes, self.vtypes, strict=True)
            )
            self._struct: struct.Struct | None = struct.Struct(fmt)
            template: list[Any] = [self.size]
            for prefix, vtype in zip(self.prefixes, self.vtypes, strict=True):
                template += [prefix, vtype, None]
            self._template = template
        else:
            self._struct = None
            self._template = []
        self._results = struct.Struct(f"<i{self.size}I")

    def encode_all(self, values: Sequence[Any]) -> tuple[bytes, list[int], dict[int, str]]:
        """Body for all nodes; returns (body, indexes sent, conversion errors by index)."""
        if self._struct is not None:
            try:
                args = self._template.copy()
                args[3::3] = [conv(v) for conv, v in zip(self.converters, values, strict=True)]
                return self._struct.pack(*args), list(range(self.size)), {}
            except (struct.error, TypeError, ValueError, OverflowError):
                pass
        return self.encode_some(values, range(self.size))

    def encode_some(self, values: Sequence[Any], indexes: Sequence[int]) -> tuple[bytes, list[int], dict[int, str]]:
        """Body for a subset of the nodes, converting each value on its own and skipping those that cannot be sent."""
        parts: list[bytes] = []
        sent: list[int] = []
        errors: dict[int, str] = {}
        for i in indexes:
            try:
                vtype = self.vtypes[i]
                parts.append(self.prefixes[i] + _encode_value(vtype, to_node_value(vtype, values[i])))
                sent.append(i)
            except (ValueError, TypeError, OverflowError, struct.error) as exc:
                errors[i] = f"cannot write {values[i]!r} to a {TYPE_NAMES[self.vtypes[i]]} node: {exc}"
        return _INT32.pack(len(sent)) + b"".join(parts), sent, errors

    def decode_results(self, data: bytes | memoryview, pos: int, count: int) -> tuple[int, ...]:
        """Status code per node written (0 is Good)."""
        if count == self.size and len(data) - pos >= self._results.size:
            fields = self._results.unpack_from(data, pos)
            if fields[0] == count:
                return fields[1:]
        (n,) = _INT32.unpack_from(data, pos)
        if n != count:
            raise ua.UaError(f"server returned {n} write results for {count} nodes")
        return struct.unpack_from(f"<{n}I", data, pos + 4)
