"""Telemetry chunks and min/max decimation, against brute force: exact round trips, spikes kept, bounds held."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Sequence
from typing import Any

from app.services.telemetry import Block, decimate
from app.services.telemetry_codec import decode_chunk, decode_times, encode_chunk, encode_columnar_chunk


def blocks_of(times: list[float], columns: list[list[Any]], sizes: Sequence[int]) -> Iterator[Block]:
    """The samples cut into blocks of the given sizes (cycled), as chunks would deliver them."""
    start, i = 0, 0
    while start < len(times):
        stop = min(len(times), start + sizes[i % len(sizes)])
        yield Block(times[start:stop], [c[start:stop] for c in columns], ["f8"] * len(columns))
        start, i = stop, i + 1


def reference(values: list[float], n_buckets: int) -> list[tuple[float, float]]:
    """Per bucket (same cut as the implementation): its min and max."""
    n = len(values)
    out = []
    for b in range(n_buckets):
        lo, hi = -(-b * n // n_buckets), -(-(b + 1) * n // n_buckets)
        if lo < hi:
            out.append((min(values[lo:hi]), max(values[lo:hi])))
    return out


def test_a_chunk_round_trips_floats_ints_bools_and_odd_values_exactly() -> None:
    times = [k * 0.1 for k in range(5)]
    columns = [
        [0.1, -2.5, math.inf, -math.inf, 1e-300],
        [1, 2, -3, 2**62, 0],
        [True, False, True, True, False],
        [1.0, None, 2.0, None, 3.0],  # a port a live edit removed reads None
        [1, 2**70, 3, 4, 5],  # beyond int64
    ]
    kinds = ["f8", "i8", "b1", "f8", "i8"]
    got_times, got, got_kinds = decode_chunk(encode_chunk(times, list(zip(*columns)), kinds))
    assert list(got_times) == times and got_kinds == kinds
    assert [list(c) for c in got] == columns
    assert [type(v) for v in got[2]] == [bool] * 5 and type(got[1][0]) is int
    nan = decode_chunk(encode_chunk([0.0], [(math.nan,)], ["f8"]))[1][0][0]
    assert math.isnan(nan)


def test_a_chunk_decodes_the_columns_asked_for_and_its_times_alone() -> None:
    times = [0.0, 0.5]
    data = encode_chunk(times, [(1.0, 3, True), (2.0, 4, False)], ["f8", "i8", "b1"])
    _, columns, kinds = decode_chunk(data, [2, 0])
    assert kinds == ["b1", "f8"] and list(columns[0]) == [True, False] and list(columns[1]) == [1.0, 2.0]
    assert list(decode_chunk(data, [1])[1][0]) == [3, 4]
    assert list(decode_times(data)) == times


def test_chunks_of_the_first_columnar_layout_are_still_read() -> None:
    times = [0.0, 0.5, 1.0]
    columns = [[1.5, 2.5, 3.5], [1, 2, 3], [True, False, True], [None, 1.0, None]]
    data = encode_columnar_chunk(times, columns, ["f8", "i8", "b1", "f8"])
    got_times, got, kinds = decode_chunk(data)
    assert list(got_times) == times and kinds == ["f8", "i8", "b1", "j"]
    assert [list(c) for c in got[:2]] == columns[:2] and [bool(v) for v in got[2]] == columns[2]
    assert list(got[3]) == columns[3] and list(decode_times(data)) == times
    assert [list(c) for c in decode_chunk(data, [1])[1]] == [columns[1]]


def test_decimation_keeps_every_buckets_min_and_max_across_block_boundaries() -> None:
    rng = random.Random(4)
    n = 10_007
    times = [k * 0.01 for k in range(n)]
    a = [rng.uniform(-1, 1) for _ in range(n)]
    b = [math.sin(k / 50) for k in range(n)]
    for max_points in (2, 3, 50, 1000):
        out = decimate(blocks_of(times, [a, b], [997, 13, 4096]), n, max_points, 2)
        assert len(out.times) <= max_points
        n_buckets = max_points // 2
        for column, values in zip(out.columns, (a, b)):
            pairs = [tuple(sorted(column[i : i + 2])) for i in range(0, len(column), 2)]
            assert pairs == reference(values, n_buckets)


def test_a_one_sample_spike_survives_decimation_at_its_bucket() -> None:
    n = 100_000
    times = [k * 0.001 for k in range(n)]
    values = [0.0] * n
    values[61_234] = 50.0
    values[80_000] = -7.0
    out = decimate(blocks_of(times, [values], [1000]), n, 20, 1)
    assert max(out.columns[0]) == 50.0 and min(out.columns[0]) == -7.0
    bucket = 61_234 * 10 // n  # each bucket gives two rows, at its first and last sample time
    first, last = out.times[2 * bucket], out.times[2 * bucket + 1]
    assert first <= times[61_234] <= last and 50.0 in out.columns[0][2 * bucket : 2 * bucket + 2]


def test_minimum_and_maximum_come_in_the_order_they_occurred() -> None:
    times = [float(k) for k in range(8)]
    falling = [8.0, 7.0, 6.0, 5.0, 4.0, 3.0, 2.0, 1.0]
    out = decimate(blocks_of(times, [falling, falling[::-1]], [3]), 8, 4, 2)
    assert out.times == [0.0, 3.0, 4.0, 7.0]
    assert out.columns[0] == [8.0, 5.0, 4.0, 1.0]  # max first, then min
    assert out.columns[1] == [1.0, 4.0, 5.0, 8.0]


def test_decimation_skips_none_and_nan_and_keeps_booleans_boolean() -> None:
    times = [float(k) for k in range(6)]
    floats: list[Any] = [None, math.nan, 3.0, None, 1.0, 2.0]
    flags = bytes([0, 0, 1, 0, 0, 0])
    blocks = iter([Block(times, [floats, flags], ["j", "b1"])])
    out = decimate(blocks, 6, 2, 2)
    assert out.times == [0.0, 5.0]
    assert out.columns[0] == [3.0, 1.0] and out.columns[1] == [False, True]
