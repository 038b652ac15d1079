"""Compiled loops for building graphs: the sequential generators, the CSR builder, a bucketed
search and the edge-list parser (numba, cached on disk next to this file).

Imported only when a graph needs them: numba's import and start-up cost about half a second,
more than the arrays they replace save on graphs of a hundred thousand nodes.
"""

import numba as nb
import numpy as np

MAX_DIGITS = 18  # longer numbers are read as labels (no int64 overflow)


@nb.njit(cache=True)
def csr_arrays(u, v, n, out_dtype):
    """Symmetric CSR of the pairs (u, v): rows sorted by column, loops and duplicates dropped.

    One scatter of both directions into their rows, then each row is sorted where it lies
    (insertion sort for short rows, which most are) and its repeats removed in place.
    """
    count = np.zeros(n + 1, np.int64)
    for k in range(u.size):
        if u[k] != v[k]:
            count[u[k] + 1] += 1
            count[v[k] + 1] += 1
    start = np.cumsum(count)
    indices = np.empty(start[n], out_dtype)
    pos = start[:-1].copy()
    for k in range(u.size):
        a, b = u[k], v[k]
        if a != b:
            indices[pos[a]] = b
            pos[a] += 1
            indices[pos[b]] = a
            pos[b] += 1
    indptr = np.zeros(n + 1, out_dtype)
    w = 0
    for r in range(n):
        lo, hi = start[r], start[r + 1]
        if hi - lo <= 32:
            for i in range(lo + 1, hi):
                x = indices[i]
                j = i - 1
                while j >= lo and indices[j] > x:
                    indices[j + 1] = indices[j]
                    j -= 1
                indices[j + 1] = x
        else:
            indices[lo:hi] = np.sort(indices[lo:hi])
        first = w
        for k in range(lo, hi):
            c = indices[k]
            if w == first or indices[w - 1] != c:
                indices[w] = c
                w += 1
        indptr[r + 1] = w
    return indptr, indices[:w].copy()


@nb.njit(cache=True)
def pick_distinct(rng, pool, size, m, out):
    """m distinct values drawn uniformly from pool[:size] with repetition (networkx's _random_subset)."""
    got = 0
    while got < m:
        x = pool[rng.integers(0, size)]
        fresh = True
        for j in range(got):
            if out[j] == x:
                fresh = False
                break
        if fresh:
            out[got] = x
            got += 1


@nb.njit(cache=True)
def barabasi_albert_pairs(n, m, rng):
    ties = m + (n - m - 1) * m
    u = np.empty(ties, np.int32)
    v = np.empty(ties, np.int32)
    pool = np.empty(2 * ties, np.int32)  # each node once per tie end: degree-proportional draws
    for i in range(m):  # the initial star: node 0 linked to 1..m
        u[i], v[i] = 0, i + 1
        pool[2 * i], pool[2 * i + 1] = 0, i + 1
    e, size = m, 2 * m
    targets = np.empty(m, np.int32)
    for source in range(m + 1, n):
        pick_distinct(rng, pool, size, m, targets)
        for j in range(m):
            u[e], v[e] = source, targets[j]
            e += 1
            pool[size] = targets[j]
            pool[size + 1] = source
            size += 2
    return u, v


@nb.njit(cache=True)
def append(arena, lists, top, x, w):
    """Append w to node x's neighbour list; lists[x] = (offset, capacity, length) in the arena.

    A full list moves to a block twice its size at the arena's top; returns the new top.
    """
    off, cap, size = lists[x, 0], lists[x, 1], lists[x, 2]
    if size == cap:
        cap = max(4, 2 * cap)
        arena[top : top + size] = arena[off : off + size]
        off = top
        top += cap
        lists[x, 0], lists[x, 1] = off, cap
    arena[off + size] = w
    lists[x, 2] = size + 1
    return top


@nb.njit(cache=True)
def is_free(w, source, linked, count):
    if w == source:
        return False
    for j in range(count):  # noqa: SIM110 (numba compiles loops, not generator expressions)
        if linked[j] == w:
            return False
    return True


@nb.njit(cache=True)
def free_neighbour(rng, arena, lists, target, source, linked, count):
    """A neighbour of ``target`` not yet linked to ``source``, uniformly, or -1 if there is none.

    At most count + 1 neighbours are taken (``source`` and its links), so a target with more
    neighbours than twice that is sampled by rejection; a smaller one is enumerated.
    """
    off, deg = lists[target, 0], lists[target, 2]
    if deg > 2 * (count + 1):
        while True:
            w = arena[off + rng.integers(0, deg)]
            if is_free(w, source, linked, count):
                return w
    valid = 0
    for k in range(deg):
        valid += is_free(arena[off + k], source, linked, count)
    if valid == 0:
        return -1
    pick = rng.integers(0, valid)
    for k in range(deg):
        w = arena[off + k]
        if is_free(w, source, linked, count):
            if pick == 0:
                return w
            pick -= 1
    return -1


@nb.njit(cache=True)
def powerlaw_cluster_pairs(n, m, p, rng):
    ties = (n - m) * m
    u = np.empty(ties, np.int32)
    v = np.empty(ties, np.int32)
    # each node's neighbours so far, in doubling blocks of one arena (untouched pages cost nothing)
    arena = np.empty(4 * n + 8 * ties, np.int32)
    lists = np.zeros((n, 3), np.int64)
    top = 0
    pool = np.empty(m + 2 * ties, np.int32)  # networkx's repeated_nodes: draws by degree
    for i in range(m):
        pool[i] = i
    drawn, e = m, 0
    candidates = np.empty(m, np.int32)
    linked = np.empty(m, np.int32)  # the source's links so far
    for source in range(m, n):
        pick_distinct(rng, pool, drawn, m, candidates)
        used = 0  # candidates are attached in the order drawn
        target = candidates[0]
        for count in range(m):
            nbr = -1
            if count > 0 and rng.random() < p:  # triangle: a neighbour of the last target
                nbr = free_neighbour(rng, arena, lists, target, source, linked, count)
            if nbr < 0:  # preferential attachment
                if count > 0:
                    used += 1
                    target = candidates[used]
                nbr = target
            if is_free(nbr, source, linked, count):  # networkx re-adds a tie: a no-op
                u[e], v[e] = source, nbr
                e += 1
                top = append(arena, lists, top, source, nbr)
                top = append(arena, lists, top, nbr, source)
            linked[count] = nbr
            pool[drawn] = nbr
            drawn += 1
        pool[drawn : drawn + m] = source
        drawn += m
    return u[:e], v[:e]


@nb.njit(cache=True)
def search_sorted(cum, keys, buckets):
    """``np.searchsorted(cum, keys, side="right")`` for a non-decreasing ``cum`` with cum[0] >= 0.

    Same results; a bucket table narrows each binary search to a few entries, so a million
    random keys cost a few cache misses each instead of twenty.
    """
    n = cum.size
    top = cum[n - 1]
    width = top / buckets
    # first[b] = searchsorted(cum, b * width, "right"): where bucket b's answers start
    first = np.searchsorted(cum, np.arange(buckets + 2) * width, side="right")
    out = np.empty(keys.size, np.int64)
    for i in range(keys.size):
        x = keys[i]
        b = min(max(int(x / width) if width > 0 else 0, 1), buckets) - 1
        lo, hi = first[b], first[min(b + 2, buckets + 1)]
        if not (b * width <= x < (b + 2) * width):  # rounding pushed x outside: search it all
            lo, hi = 0, n
        while lo < hi:  # first index in [lo, hi) with cum > x
            mid = (lo + hi) // 2
            if cum[mid] > x:
                hi = mid
            else:
                lo = mid + 1
        out[i] = lo
    return out


@nb.njit(cache=True)
def is_separator(c):
    return c == 32 or c == 9 or c == 44 or c == 13  # space, tab, comma, carriage return


@nb.njit(cache=True)
def edge_fields(buf, lines, span_dtype):
    """The first two fields of every data line, as byte spans, and whether all fields are integers.

    Returns (spans, count, numeric, bad_line, bad_start): ``spans[k]`` = (start, end) of the
    source and target of data line k; a line with a single field stops the scan and is
    reported by its number and the offset where it starts (bad_line = 0 when all is well).
    """
    spans = np.empty((lines, 4), span_dtype)
    count, numeric = 0, True
    pos, line, size = 0, 0, buf.size
    while pos < size:
        line += 1
        start = pos
        got = 0
        while pos < size and buf[pos] != 10:
            c = buf[pos]
            if c == 35:  # '#': skip to the end of the line
                while pos < size and buf[pos] != 10:
                    pos += 1
                break
            if is_separator(c):
                pos += 1
                continue
            first = pos
            while pos < size and buf[pos] != 10 and buf[pos] != 35 and not is_separator(buf[pos]):
                c = buf[pos]
                if c < 48 or c > 57:
                    numeric = False
                pos += 1
            if got < 2:
                spans[count, 2 * got] = first
                spans[count, 2 * got + 1] = pos
                if pos - first > MAX_DIGITS:
                    numeric = False
            got += 1
        if got == 1:
            return spans, count, numeric, line, start
        if got >= 2:
            count += 1
        pos += 1  # the newline
    return spans, count, numeric, 0, 0


@nb.njit(cache=True)
def parse_integers(buf, spans, count):
    out = np.empty(2 * count, np.int64)
    for k in range(count):
        for f in range(2):
            value = 0
            for i in range(spans[k, 2 * f], spans[k, 2 * f + 1]):
                value = value * 10 + (buf[i] - 48)
            out[2 * k + f] = value
    return out


@nb.njit(cache=True)
def hash_fields(buf, spans, count):
    """64-bit FNV-1a hash of every field (collisions are checked by the caller)."""
    out = np.empty(2 * count, np.uint64)
    for k in range(count):
        for f in range(2):
            h = np.uint64(14695981039346656037)
            for i in range(spans[k, 2 * f], spans[k, 2 * f + 1]):
                h = (h ^ np.uint64(buf[i])) * np.uint64(1099511628211)
            out[2 * k + f] = h
    return out


@nb.njit(cache=True)
def same_text(buf, spans, first, inverse):
    """True if every field equals the first field with the same hash (no hash collision)."""
    for j in range(inverse.size):
        a = spans[j // 2, 2 * (j % 2)], spans[j // 2, 2 * (j % 2) + 1]
        r = first[inverse[j]]
        b = spans[r // 2, 2 * (r % 2)], spans[r // 2, 2 * (r % 2) + 1]
        if a[1] - a[0] != b[1] - b[0]:
            return False
        for i in range(a[1] - a[0]):
            if buf[a[0] + i] != buf[b[0] + i]:
                return False
    return True
