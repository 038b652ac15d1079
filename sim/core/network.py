"""The social graph the engines share: a CSR adjacency, degrees and niches.

``build_graph`` maps a scenario's ``[network]`` section onto the generators of
``sim.core.generators`` (compiled, straight into CSR) or the readers of
``sim.core.graph_files``. ``complete`` is stored implicitly (mean field).
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np
import scipy.sparse as sp

from sim.core import generators as gen
from sim.core.errors import InputError
from sim.core.graph_files import graph_arrays, read_graph_file
from sim.core.scenario import Network

LOUVAIN_MAX_NODES = 20_000
SPARSE_SENDERS = 8  # below n / 8 senders, scatter from them instead of a full mat-vec


@dataclass(frozen=True)
class SocialGraph:
    """Undirected consumer graph: CSR adjacency (None when complete), degrees and niches."""

    n: int
    adjacency: sp.csr_array | None
    niche: np.ndarray
    kind: str

    @property
    def complete(self) -> bool:
        return self.adjacency is None

    @property
    def degree(self) -> np.ndarray:
        if self.adjacency is None:
            return np.full(self.n, self.n - 1, dtype=np.float64)
        return np.diff(self.adjacency.indptr).astype(np.float64)

    @property
    def edges(self) -> int:
        if self.adjacency is None:
            return self.n * (self.n - 1) // 2
        return self.adjacency.nnz // 2

    def neighbour_sum(self, values: np.ndarray, senders: np.ndarray | None = None) -> np.ndarray:
        """For each node, the sum of ``values`` (a vector, or columns) over its neighbours.

        ``senders``, if given, lists the only nodes whose values may be non-zero. When they are
        few (early in a diffusion) only their ties are visited: the graph is undirected, so
        summing over a node's neighbours equals scattering from the senders.
        """
        if self.adjacency is None:
            return values.sum(axis=0) - values
        if senders is not None and senders.size * SPARSE_SENDERS < self.n:
            return self.adjacency[senders].T @ values[senders]
        return self.adjacency @ values

    def neighbours(self, i: int) -> np.ndarray:
        if self.adjacency is None:
            return np.delete(np.arange(self.n), i)
        a = self.adjacency
        return a.indices[a.indptr[i] : a.indptr[i + 1]]

    def to_networkx(self) -> nx.Graph:
        """The same graph for Mesa's Network space and for drawing (small graphs only)."""
        g = nx.complete_graph(self.n) if self.adjacency is None else nx.from_scipy_sparse_array(self.adjacency)
        nx.set_node_attributes(g, {i: int(k) for i, k in enumerate(self.niche)}, "niche")
        return g


def build_graph(net: Network, n: int, rng: np.random.Generator, source: str = "<scenario>") -> SocialGraph:
    """Build the graph a scenario's ``[network]`` asks for, with ``n`` consumers unless read from a file."""
    kind = net.kind
    if kind == "complete":
        return SocialGraph(n, None, rng.integers(0, net.niches, n), kind)
    if kind == "niches":
        adj, niche = gen.niche_graph(n, net.mean_degree, net.niches, net.homophily, net.degree_exponent, rng)
        return SocialGraph(n, adj, niche, kind)
    if kind == "watts_strogatz":
        adj = gen.watts_strogatz(n, 2 * max(1, int(round(net.mean_degree / 2))), net.rewiring, rng)
        niche = (np.arange(n) * net.niches // n).astype(np.int64)  # ring blocks are communities
        return SocialGraph(n, adj, niche, kind)
    if kind == "erdos_renyi":
        adj = gen.erdos_renyi(n, int(round(n * net.mean_degree / 2)), rng)
        return SocialGraph(n, adj, rng.integers(0, net.niches, n), kind)
    m = max(1, min(n - 1, int(round(net.mean_degree / 2))))
    given = None
    if kind == "barabasi_albert":
        adj = gen.barabasi_albert(n, m, rng)
    elif kind == "powerlaw_cluster":
        adj = gen.powerlaw_cluster(n, m, net.clustering, rng)
    else:
        try:
            adj, given = read_graph_file(net.path or "", key="network.path")
        except InputError as err:
            if err.key != "network.path":  # a problem inside the file: the file and line say where
                raise
            raise InputError(source, err.key, err.value, err.allowed) from None  # missing, a folder, a pipe, too big
    niche = given if given is not None else community_niches(adj, net.niches, rng)
    return SocialGraph(adj.shape[0], adj, niche, kind)


def from_networkx(g: nx.Graph, niches: int, rng: np.random.Generator, kind: str = "file") -> SocialGraph:
    """A networkx graph as a ``SocialGraph``, nodes numbered in the graph's order.

    Niches come from a ``niche`` node attribute when every node has one, else from communities.
    """
    adj, given = graph_arrays(g, "<graph>")
    niche = given if given is not None else community_niches(adj, niches, rng)
    return SocialGraph(adj.shape[0], adj, niche, kind)


def community_niches(adjacency: sp.csr_array, niches: int, rng: np.random.Generator) -> np.ndarray:
    """Niches from graph communities (Louvain), packed largest-first into ``niches`` groups.

    Above ``LOUVAIN_MAX_NODES`` nodes (or with one niche) niches are drawn uniformly instead.
    """
    n = adjacency.shape[0]
    if n > LOUVAIN_MAX_NODES or niches == 1:
        return rng.integers(0, niches, n).astype(np.int64)
    g = nx.from_scipy_sparse_array(adjacency)
    communities = nx.community.louvain_communities(g, seed=int(rng.integers(2**31)))
    sizes = np.zeros(niches)
    niche = np.zeros(n, dtype=np.int64)
    for community in sorted(communities, key=len, reverse=True):
        target = int(np.argmin(sizes))
        niche[list(community)] = target
        sizes[target] += len(community)
    return niche
