"""Reading a social graph from a file: edge lists (compiled parser) and GraphML (networkx).

Every file goes through ``sim.core.files`` (regular files only, ``GRAPH_LIMIT`` bytes), and
every problem is one ``InputError`` line naming the file, the line or key, the value and what
is allowed. An edge list of a million nodes is parsed straight into arrays (no networkx graph).
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import scipy.sparse as sp

from sim.core import files
from sim.core.errors import InputError
from sim.core.generators import csr_from_pairs

GRAPHML_SUFFIXES = (".graphml", ".xml")
EDGE_LIST_FORMAT = (
    "each line 'source target' (more columns are ignored), fields separated by spaces, tabs or commas, "
    "'#' starts a comment"
)


def _node_ids(buf: np.ndarray, spans: np.ndarray, count: int, numeric: bool) -> tuple[np.ndarray, int]:
    """Each field's node number 0..n-1 (source, target, source, ...): integer labels in numeric
    order, others in order of first appearance."""
    from sim.core import graph_kernels

    if numeric:
        values = graph_kernels.parse_integers(buf, spans, count)
        top = int(values.max()) if values.size else -1
        if top < 4 * values.size + 1024:  # dense labels: a lookup table beats sorting
            present = np.zeros(top + 1, bool)
            present[values] = True
            rank = np.cumsum(present) - 1
            return rank[values], int(present.sum())
        labels, inverse = np.unique(values, return_inverse=True)
        return inverse, labels.size
    keys = graph_kernels.hash_fields(buf, spans, count)
    labels, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    if not graph_kernels.same_text(buf, spans, first, inverse):
        raise RuntimeError("hash collision between two node labels")  # about 1 in 10^7 at 2M labels
    order = np.argsort(first, kind="stable")  # number nodes in order of first appearance
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    return rank[inverse], labels.size


def read_edge_list(path: str | Path, *, key: str = "network.path") -> sp.csr_array:
    """The undirected graph of an edge list: one tie per line, node labels numbered 0..n-1.

    Parameters
    ----------
    path : str or Path
        A UTF-8 text file: each line ``source target`` (further columns, such as weights, are
        ignored), fields separated by spaces, tabs or commas; ``#`` starts a comment. Labels made
        of digits are numbered in numeric order, other labels in order of first appearance.
        Self-loops and repeated ties are dropped (their nodes stay).
    key : str
        The scenario key named in error messages.

    Returns
    -------
    scipy.sparse.csr_array
        Symmetric 0/1 adjacency.

    Raises
    ------
    InputError
        For a missing, non-regular, oversized, binary or non-UTF-8 file, a line with one field,
        or a file without any tie.

    Example
    -------
    >>> import tempfile, os
    >>> fh = tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False)
    >>> _ = fh.write("# friends\\nann,bob\\nbob cid 0.5\\n"); fh.close()
    >>> read_edge_list(fh.name).toarray().astype(int).tolist()
    [[0, 1, 0], [1, 0, 1], [0, 1, 0]]
    >>> os.unlink(fh.name)
    """
    from sim.core import graph_kernels

    data = files.read_bytes(path, what="graph", limit=files.GRAPH_LIMIT, key=key)
    if not data.isascii() or b"\x00" in data:
        files.read_text(path, what="graph", limit=files.GRAPH_LIMIT, key=key)  # one line if binary or not UTF-8
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    buf = np.frombuffer(data, np.uint8)
    lines = int(np.count_nonzero(buf == ord("\n"))) + 1
    span_dtype = np.dtype(np.int32 if buf.size < 2**31 - 1 else np.int64)  # byte offsets
    spans, count, numeric, bad_line, bad_start = graph_kernels.edge_fields(buf, lines, span_dtype)
    if bad_line:
        text = data[bad_start:].split(b"\n", 1)[0].decode("utf-8", "replace").strip()
        raise InputError(str(path), f"line {bad_line}", text, EDGE_LIST_FORMAT)
    if count == 0:
        raise InputError(str(path), "(edges)", 0, "a graph file needs at least one tie; " + EDGE_LIST_FORMAT)
    ids, n = _node_ids(buf, spans[:count], count, numeric)
    ends = ids.reshape(-1, 2).T.copy()  # contiguous sources and targets
    return csr_from_pairs(ends[0], ends[1], n)


def read_graphml(path: str | Path, *, key: str = "network.path") -> tuple[sp.csr_array, np.ndarray | None]:
    """A GraphML graph (through networkx) and its nodes' ``niche`` attribute, if every node has one.

    Returns
    -------
    (scipy.sparse.csr_array, numpy array of int64 or None)
        Adjacency in the file's node order, and niches numbered 0.. by their sorted labels.
    """
    text = files.read_text(path, what="GraphML", limit=files.GRAPH_LIMIT, key=key)
    try:
        g = nx.parse_graphml(text)
    except Exception as exc:  # networkx and the XML parser raise several types
        raise InputError(str(path), "(graphml)", str(exc).splitlines()[0][:80], "a valid GraphML file") from None
    return graph_arrays(g, str(path))


def graph_arrays(g: nx.Graph, source: str) -> tuple[sp.csr_array, np.ndarray | None]:
    """A networkx graph as CSR (nodes in its order, loops dropped) and its ``niche`` attribute."""
    n = g.number_of_nodes()
    if n == 0:
        raise InputError(source, "(nodes)", 0, "a graph needs at least one node")
    index = {v: i for i, v in enumerate(g)}
    ends = np.array([(index[a], index[b]) for a, b in g.edges()], dtype=np.int64).reshape(-1, 2)
    adjacency = csr_from_pairs(ends[:, 0], ends[:, 1], n)
    given = nx.get_node_attributes(g, "niche")
    if len(given) < n:
        return adjacency, None
    labels = {value: i for i, value in enumerate(sorted(set(given.values()), key=str))}
    return adjacency, np.array([labels[given[v]] for v in g], dtype=np.int64)


def read_graph_file(path: str | Path, *, key: str = "network.path") -> tuple[sp.csr_array, np.ndarray | None]:
    """A graph file by its suffix: GraphML (``.graphml``, ``.xml``) or an edge list (anything else)."""
    if Path(path).suffix.lower() in GRAPHML_SUFFIXES:
        return read_graphml(path, key=key)
    return read_edge_list(path, key=key), None
