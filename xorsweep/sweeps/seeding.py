"""The seeding rule of sweeps: each run's initial normals from (seed, grid point, run).

Run ``r`` at the grid point ``(h, o, lr)`` starts from the standard normals
drawn by ::

    numpy.random.default_rng(
        numpy.random.SeedSequence(seed, spawn_key=(bits(h), bits(o), bits(lr), r))
    ).standard_normal(n_parameters)

where ``bits(x)`` (:func:`float_bits`) is the IEEE-754 bit pattern of the
float64 ``x`` read as an unsigned integer, ``o`` is the point's output std
(``output_std="glorot"``: ``sqrt(2 / (hidden + n_out))`` of the point's width)
and ``n_parameters`` that of the point's width. The width, the activation, the
gradient and the bias initialization are not part of the key: every width
draws from the same stream (the article's width 2 keeps its numbers, and a
width-3 network's normals begin with a width-2 one's), and runs that differ only
in activation, gradient or bias start from the same normals, ``bias="zero"``
zeroing the biases of that draw (common random numbers: their comparisons are
paired). :func:`standard_normals` computes
this for a whole block of runs at once, and :func:`standard_normals_by_numpy`
with NumPy's objects, one run at a time.

Imports nothing but NumPy: worker processes load it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "float_bits",
    "pcg64_states",
    "seed_sequence",
    "standard_normals",
    "standard_normals_by_numpy",
]


def float_bits(x: float) -> int:
    """The IEEE-754 bit pattern of the float64 ``x``, as a non-negative int.

    >>> hex(float_bits(1.0))
    '0x3ff0000000000000'
    """
    return int(np.float64(x).view(np.uint64))


def seed_sequence(seed: int, h: float, o: float, lr: float, run: int) -> np.random.SeedSequence:
    """The SeedSequence of run ``run`` at the grid point ``(h, o, lr)`` of a sweep seeded ``seed``.

    Parameters
    ----------
    seed : int
        The sweep's seed, >= 0.
    h, o, lr : float
        The grid point: hidden-layer std, output-layer std and learning rate.
    run : int
        The run index, >= 0.

    Returns
    -------
    numpy.random.SeedSequence
        ``default_rng`` of it draws the run's standard normals.
    """
    key = (float_bits(h), float_bits(o), float_bits(lr), int(run))
    return np.random.SeedSequence(seed, spawn_key=key)


# The seeding rule, computed for a whole block at once. ``SeedSequence(...)`` and
# ``default_rng`` cost about 13 us a run; the same numbers come from NumPy's published
# algorithms: SeedSequence's hash of the entropy words (numpy/random/bit_generator.pyx),
# here vectorised over a block's runs, which differ only in the last word (the run
# index); the PCG64 state it seeds (pcg64_set_seed in numpy/random/src/pcg64); and the
# normals drawn by one Generator whose bit generator is set to each run's state.
# standard_normals checks one run of every block against NumPy's own objects.
_M32, _M128 = (1 << 32) - 1, (1 << 128) - 1
_INIT_A, _MULT_A, _INIT_B, _MULT_B = 0x43B0D7E5, 0x931E8875, 0x8B51F9DD, 0x58F38DED
_MIX_L, _MIX_R = 0xCA01F9DD, 0x4973F715
_PCG64_MULT = 0x2360ED051FC65DA44385DF649FCCF645
_POOL = 4  # SeedSequence's pool size, in 32-bit words


def _words(n: int) -> list[int]:
    """An int >= 0 as SeedSequence reads it: 32-bit words, least significant first."""
    out = [n & _M32]
    n >>= 32
    while n:
        out.append(n & _M32)
        n >>= 32
    return out


def _hashmix(value: Any, hc: Any) -> tuple[Any, Any]:
    """SeedSequence's hashmix of 32-bit words (an int, or a uint64 array of them) and the
    hash constant it leaves."""
    value = value ^ hc
    hc = (hc * _MULT_A) & _M32
    value = (value * hc) & _M32
    return value ^ (value >> 16), hc


def _mix(x: Any, y: Any) -> Any:
    r = (_MIX_L * x - _MIX_R * y) & _M32
    return r ^ (r >> 16)


def _pool_before_last_word(words: list[int]) -> tuple[list[int], int]:
    """SeedSequence's mixing of every entropy word but the last (which must come
    after the first four): the pool and the hash constant reached."""
    pool, hc = [], _INIT_A
    for i in range(_POOL):
        value, hc = _hashmix(words[i] if i < len(words) else 0, hc)
        pool.append(value)
    for src in range(_POOL):
        for dst in range(_POOL):
            if src != dst:
                value, hc = _hashmix(pool[src], hc)
                pool[dst] = _mix(pool[dst], value)
    for word in words[_POOL:]:
        for dst in range(_POOL):
            value, hc = _hashmix(word, hc)
            pool[dst] = _mix(pool[dst], value)
    return pool, hc


def pcg64_states(seed: int, keys: list[tuple[int, ...]], lo: np.ndarray, hi: np.ndarray) -> list:
    """The PCG64 state of every run of a block, as NumPy's own seeding sets it.

    Parameters
    ----------
    seed : int
        The sweep's seed, >= 0.
    keys : list of tuple of int, length k
        Each entry's spawn key before the run index: ``(float_bits(h),
        float_bits(o), float_bits(lr))``.
    lo, hi : numpy.ndarray of int, shape (k,)
        Entry ``k`` holds the runs ``lo[k] <= r < hi[k]``; run indices must be
        below 2**32 (one entropy word).

    Returns
    -------
    list of (int, int)
        ``(state, inc)`` of ``PCG64(SeedSequence(seed, spawn_key=(*keys[k], r)))``
        for every run, entry by entry, then by run index.
    """
    seed_words = _words(seed)
    seed_words += [0] * (_POOL - len(seed_words))  # SeedSequence pads the seed's words
    counts = (hi - lo).astype(np.int64)
    pools, consts = [], []
    for key in keys:
        words = seed_words + [w for k in key for w in _words(k)]
        pool, hc = _pool_before_last_word(words)
        pools.append(pool)
        consts.append(hc)
    pool = np.repeat(np.array(pools, dtype=np.uint64), counts, axis=0)  # (run, 4)
    hc = np.repeat(np.array(consts, dtype=np.uint64), counts)  # (run,)
    run = np.concatenate([np.arange(a, b, dtype=np.uint64) for a, b in zip(lo, hi, strict=True)])
    for dst in range(_POOL):  # the last word, the run index, for every run at once
        value, hc = _hashmix(run, hc)
        pool[:, dst] = _mix(pool[:, dst], value)
    # generate_state(4, uint64): eight 32-bit words from the pool, paired little-endian
    out, hc_b = np.empty((len(run), 8), dtype=np.uint64), _INIT_B
    for i in range(8):
        value = pool[:, i % _POOL] ^ hc_b
        hc_b = (hc_b * _MULT_B) & _M32
        value = (value * hc_b) & _M32
        out[:, i] = value ^ (value >> 16)
    state = out[:, 0::2] | (out[:, 1::2] << np.uint64(32))  # (run, 4) uint64
    runs = []
    for s0, s1, i0, i1 in state.tolist():
        inc = ((((i0 << 64) | i1) << 1) | 1) & _M128  # pcg_setseq_128_srandom_r
        runs.append((((inc + ((s0 << 64) | s1)) * _PCG64_MULT + inc) & _M128, inc))
    return runs


def standard_normals(
    seed: int, keys: list[tuple[int, ...]], lo: np.ndarray, hi: np.ndarray, size: int
) -> np.ndarray:
    """The standard normals of every run of a block, all runs' seeding at once.

    Parameters
    ----------
    seed, keys, lo, hi
        As in :func:`pcg64_states` (larger run indices fall back on
        :func:`standard_normals_by_numpy`).
    size : int
        Normals per run.

    Returns
    -------
    numpy.ndarray, shape (run, size)
        Row ``i`` is ``default_rng(SeedSequence(seed, spawn_key=(*key, r)))
        .standard_normal(size)`` of the ``i``-th run in the order of
        :func:`pcg64_states`. The first run is checked against NumPy's own
        objects; if they differ (a NumPy that seeds otherwise), every run is
        drawn with them.
    """
    n = int(np.sum(hi - lo))
    z = np.empty((n, size))
    if n == 0:
        return z
    if np.any(hi > 1 << 32):  # run indices of two words (more runs than fit in memory)
        return standard_normals_by_numpy(seed, keys, lo, hi, size)
    bitgen = np.random.PCG64(0)  # its state is set for each run
    gen = np.random.Generator(bitgen)
    draw = gen.standard_normal
    state: dict[str, Any] = {"bit_generator": "PCG64", "has_uint32": 0, "uinteger": 0}
    for pos, (st, inc) in enumerate(pcg64_states(seed, keys, lo, hi)):
        state["state"] = {"state": st, "inc": inc}
        bitgen.state = state
        draw(out=z[pos])
    k = int(np.flatnonzero(hi > lo)[0])  # the first entry with runs: its first run is z[0]
    first = standard_normals_by_numpy(seed, [keys[k]], lo[k : k + 1], lo[k : k + 1] + 1, size)
    if not np.array_equal(first[0], z[0]):  # pragma: no cover - a NumPy that seeds otherwise
        return standard_normals_by_numpy(seed, keys, lo, hi, size)
    return z


def standard_normals_by_numpy(
    seed: int, keys: list[tuple[int, ...]], lo: np.ndarray, hi: np.ndarray, size: int
) -> np.ndarray:
    """:func:`standard_normals` with one SeedSequence and Generator per run (slow)."""
    default_rng, sequence = np.random.default_rng, np.random.SeedSequence
    rows = [
        default_rng(sequence(seed, spawn_key=(*key, r))).standard_normal(size)
        for key, a, b in zip(keys, lo, hi, strict=True)
        for r in range(int(a), int(b))
    ]
    return np.array(rows).reshape(len(rows), size)
