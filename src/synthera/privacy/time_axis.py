"""The public grids on which a private fit releases a datetime column, and what is read
off their noisy counts (pure post-processing: nothing here sees a row).

A datetime column is a number on a time axis: instants counted in the column's storage
unit since 1970-01-01 (local wall-clock time for a zoned column, so local dates stay
dates). The numeric grid of `privacy.preprocessing` is relative (quarter octaves), far
too coarse there: 2015 and 2021 fall in one bin. So datetimes get their own public grid,
**calendar months from 1678 to 2261** (every month a `datetime64[ns]` can hold; earlier or
later instants count in the end months), and two public read-outs of its noisy counts:

- **the range**: noisy counts are summed, free of charge, over blocks of 1, 2, 4, ...
  8192 months (aligned, and shifted by half a block, so an edge is off by at most half a
  block). At each block size the blocks that clear a bar (an empty block clears it with
  probability `FALSE_BLOCK_RATE` over all blocks of all sizes) span a range; the finest
  block size whose range holds all but `COVERAGE_SLACK` of the rows (by noisy mass,
  against the public row count less the noisy missing count) wins. A large table gets a
  range to the month; a small one, or one with thin tails, a wider one: a range wider
  than the data costs little (the modes follow the noisy mass), a clipped tail piles up
  on the bound. When nothing clears anywhere (very few rows or a tiny ε) the block least
  likely to be noise (for the number of blocks of its size) is used and a note says so.
- **the resolution**: each present value also adds 1 to the cell of the coarsest of day,
  hour, minute, second, ms, us, ns that divides it (one more cell per row, so one more
  unit of sensitivity per datetime column). The finest level whose noisy count clears
  the bar is the column's resolution: a column of dates comes back as dates. Text dates
  in a declared `datetime_format` without time-of-day fields have public whole days (no
  cell).
"""

from __future__ import annotations

import math
import re

import numpy as np
from scipy.stats import norm

FIRST_MONTH = (1678 - 1970) * 12  # months since 1970-01: January 1678 ...
END_MONTH = (2262 - 1970) * 12  # ... to December 2261
N_MONTHS = END_MONTH - FIRST_MONTH
BLOCK_LEVELS = math.ceil(math.log2(N_MONTHS)) + 1  # blocks of 2^0 ... 2^13 months
COVERAGE_SLACK = 0.02  # share of the rows a finer range may leave out (clipped to it)
FALSE_BLOCK_RATE = 1e-3  # chance per column that an empty block widens the range

UNIT_NS = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}
DAY_NS = 86_400 * 10**9
# Resolutions, coarsest first, in nanoseconds: day, hour, minute, second, ms, us, ns.
RESOLUTIONS_NS = (DAY_NS, 3_600 * 10**9, 60 * 10**9, 10**9, 10**6, 10**3, 1)
_TIME_OF_DAY = re.compile(r"%[-#_^0]?[HIMSfpTXcrRkls]")  # strftime fields finer than a day


def month_bins(instants: np.ndarray, unit: str) -> np.ndarray:
    """Grid cell (0 .. N_MONTHS - 1) of each instant (int64 counts of `unit`, no NaT)."""
    months = instants.view(f"datetime64[{unit}]").astype("datetime64[M]").astype(np.int64)
    return np.clip(months - FIRST_MONTH, 0, N_MONTHS - 1)


def month_start(cell: int, unit: str) -> int:
    """The first instant of grid cell `cell` (N_MONTHS: the grid's end), in `unit`."""
    start = np.datetime64(int(FIRST_MONTH + cell), "M").astype(f"datetime64[{unit}]")
    return int(start.astype(np.int64))


def resolution_levels(unit: str) -> tuple[int, ...]:
    """Candidate resolutions in counts of `unit`, coarsest first (none finer than it)."""
    step = UNIT_NS[unit]
    return tuple(r // step for r in RESOLUTIONS_NS if r % step == 0)


def resolution_cells(instants: np.ndarray, levels: tuple[int, ...]) -> np.ndarray:
    """For each instant, the index of the coarsest level that divides it."""
    cells = np.full(instants.size, len(levels) - 1, dtype=np.int64)
    for index in range(len(levels) - 2, -1, -1):  # finest first: coarser ones overwrite
        cells[instants % levels[index] == 0] = index
    return cells


def whole_days_declared(datetime_format: str | None) -> bool:
    """Whether a declared text format writes dates only (so whole days are public)."""
    if datetime_format is None or datetime_format == "mixed":
        return False
    return _TIME_OF_DAY.search(datetime_format) is None


def released_resolution(noisy: np.ndarray, bar: float) -> int:
    """Index of the finest level whose noisy count clears `bar` (else the fullest)."""
    cleared = np.flatnonzero(noisy > bar)
    return int(cleared[-1]) if cleared.size else int(np.argmax(noisy))


def released_months(noisy: np.ndarray, sigma: float, present: float) -> tuple[int, int, bool]:
    """(first cell, end cell exclusive) of the released range and whether it was guessed
    (no block cleared its bar), from the noisy month counts and the noisy number of
    present values."""
    running = np.concatenate([[0.0], np.cumsum(noisy)])  # mass of [a, b): running[b] - running[a]
    levels = [_blocks(2**level) for level in range(BLOCK_LEVELS)]
    n_blocks = sum(starts.size for starts, _ in levels)
    z = float(norm.isf(FALSE_BLOCK_RATE / n_blocks))
    best: tuple[float, int, int] | None = None  # (mass, first, end)
    for starts, ends in levels:  # finest first
        sums = running[ends] - running[starts]
        cleared = sums > z * sigma * np.sqrt(ends - starts)
        if not cleared.any():
            continue
        first, end = int(starts[cleared].min()), int(ends[cleared].max())
        mass = float(running[end] - running[first])
        if mass >= (1.0 - COVERAGE_SLACK) * present:
            return first, end, False
        if best is None or mass > best[0]:
            best = (mass, first, end)
    if best is not None:
        return best[1], best[2], False
    # Nothing cleared: the block least likely to be noise, counting how many blocks its
    # size has (among thousands of empty months one looks full by chance).
    guesses = []
    for starts, ends in levels:
        scores = norm.logsf((running[ends] - running[starts]) / (sigma * np.sqrt(ends - starts)))
        block = int(np.argmin(scores))
        guesses.append(
            (float(scores[block]) + math.log(starts.size), int(starts[block]), int(ends[block]))
        )
    _, first, end = min(guesses)
    return first, end, True


def _blocks(size: int) -> tuple[np.ndarray, np.ndarray]:
    """(starts, ends) of the blocks of `size` months: aligned ones and, from two months on,
    ones shifted by half a block (a range edge is then off by at most half a block)."""
    offsets = (0,) if size == 1 else (0, size // 2)
    starts, ends = [], []
    for offset in offsets:
        first = np.arange(-offset, N_MONTHS, size)
        starts.append(np.maximum(first, 0))
        ends.append(np.minimum(first + size, N_MONTHS))
    return np.concatenate(starts), np.concatenate(ends)
