"""The fitted graphical model as NumPy tables: the marginals of its junction-tree cliques.

A decomposable model is fully described by the joint distributions of the maximal cliques
of its junction tree. From them, `sample` draws one column at a time in an elimination
order (each column conditioned on the already drawn columns it shares a clique with), and
`marginal` answers any marginal inside a clique or any pair of columns (along the tree
path between their cliques). Everything here is NumPy: a saved model loads and samples
without JAX; only `from_potentials` (called during the fit) uses `mbi`'s tree builder.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import logsumexp

from synthera.errors import ModelFileError

Clique = tuple[str, ...]
_SAMPLE_CHUNK = 65_536  # rows drawn at once: bounds the (rows × levels) comparison matrix


@dataclass(frozen=True)
class Table:
    """A non-negative array whose axes are named by columns."""

    attrs: Clique
    values: np.ndarray

    def expand(self, attrs: Sequence[str], sizes: Mapping[str, int]) -> np.ndarray:
        """The values broadcastable against an array whose axes are `attrs` (a superset)."""
        order = [self.attrs.index(a) for a in attrs if a in self.attrs]
        shape = [sizes[a] if a in self.attrs else 1 for a in attrs]
        return self.values.transpose(order).reshape(shape)

    def sum_to(self, keep: Sequence[str]) -> Table:
        """The marginal over `keep` (in that order)."""
        axes = tuple(i for i, a in enumerate(self.attrs) if a not in keep)
        summed = self.values.sum(axis=axes)
        remaining = tuple(a for a in self.attrs if a in keep)
        order = [remaining.index(a) for a in keep]
        return Table(tuple(keep), summed.transpose(order))


def _union(*cliques: Sequence[str]) -> Clique:
    out: list[str] = []
    for clique in cliques:
        out.extend(a for a in clique if a not in out)
    return tuple(out)


class JunctionTreeModel:
    """Clique marginals (probabilities) of a decomposable model over coded columns."""

    def __init__(
        self,
        sizes: Mapping[str, int],
        cliques: Sequence[Clique],
        marginals: Sequence[np.ndarray],
        order: Sequence[str],
        edges: Sequence[tuple[int, int]],
    ) -> None:
        self.sizes = dict(sizes)
        self.cliques = [tuple(c) for c in cliques]
        self.marginals = [np.asarray(m, dtype=np.float64) for m in marginals]
        self.order = list(order)
        self.edges = [(int(i), int(j)) for i, j in edges]
        self._check()
        self._plan = self._sampling_plan()

    # ---- building from mbi potentials ---------------------------------------------------

    @classmethod
    def from_potentials(
        cls, sizes: Mapping[str, int], potentials: Mapping[Clique, np.ndarray]
    ) -> JunctionTreeModel:
        """Calibrate log-potentials on their junction tree (HUGIN message passing, in log
        space) and keep the normalised clique marginals."""
        from mbi import Domain, junction_tree

        domain = Domain(list(sizes), list(sizes.values()))
        jtree, elimination = junction_tree.make_junction_tree(domain, list(potentials))
        maximal = [tuple(c) for c in junction_tree.maximal_cliques(jtree)]
        beliefs = {c: np.zeros([sizes[a] for a in c]) for c in maximal}
        for clique, log_values in potentials.items():
            home = next(c for c in maximal if set(clique) <= set(c))
            beliefs[home] = beliefs[home] + Table(clique, log_values).expand(home, sizes)
        messages: dict[tuple[Clique, Clique], np.ndarray] = {}
        for i, j in junction_tree.message_passing_order(jtree):
            separator = tuple(a for a in i if a in j)
            tau = beliefs[i]
            if (j, i) in messages:
                tau = tau - Table(separator, messages[(j, i)]).expand(i, sizes)
            axes = tuple(k for k, a in enumerate(i) if a not in separator)
            messages[(i, j)] = logsumexp(tau, axis=axes) if axes else tau
            beliefs[j] = beliefs[j] + Table(separator, messages[(i, j)]).expand(j, sizes)
        marginals = [np.exp(beliefs[c] - logsumexp(beliefs[c])) for c in maximal]
        index = {c: k for k, c in enumerate(maximal)}
        edges = [(index[tuple(a)], index[tuple(b)]) for a, b in jtree.edges()]
        return cls(sizes, maximal, marginals, elimination[::-1], edges)

    # ---- queries ------------------------------------------------------------------------

    def marginal(self, attrs: Sequence[str]) -> np.ndarray:
        """The probability table over `attrs` (axes in that order): any set inside one
        clique, or any pair of columns."""
        attrs = tuple(attrs)
        for clique, values in zip(self.cliques, self.marginals, strict=True):
            if set(attrs) <= set(clique):
                return Table(clique, values).sum_to(attrs).values
        if len(attrs) != 2:
            raise ValueError(f"marginal over {attrs} spans several cliques")
        return self._pair_marginal(*attrs)

    def _pair_marginal(self, a: str, b: str) -> np.ndarray:
        """P(a, b) for columns in different cliques: carry P(a, separator) along the tree
        path, multiplying by each clique's conditional P(clique | previous separator)."""
        start = next(k for k, c in enumerate(self.cliques) if a in c)
        end = next(k for k, c in enumerate(self.cliques) if b in c)
        path = self._path(start, end)
        first = self.cliques[path[0]]
        carried = Table(first, self.marginals[path[0]]).sum_to(
            _union((a,), [x for x in first if x in self.cliques[path[1]]])
        )
        for step, k in enumerate(path[1:], start=1):
            clique = self.cliques[k]
            joint = Table(clique, self.marginals[k])
            previous = tuple(x for x in clique if x in self.cliques[path[step - 1]])
            separator = joint.sum_to(previous)
            attrs = _union(carried.attrs, clique)
            with np.errstate(divide="ignore", invalid="ignore"):
                conditional = joint.expand(attrs, self.sizes) / separator.expand(attrs, self.sizes)
            conditional = np.nan_to_num(conditional, nan=0.0, posinf=0.0)
            product = Table(attrs, carried.expand(attrs, self.sizes) * conditional)
            if k == path[-1]:
                return product.sum_to((a, b)).values
            following = self.cliques[path[step + 1]]
            carried = product.sum_to(_union((a,), [x for x in clique if x in following]))
        raise AssertionError("unreachable: a path always ends at the clique holding b")

    def _path(self, start: int, end: int) -> list[int]:
        neighbours: dict[int, list[int]] = {k: [] for k in range(len(self.cliques))}
        for i, j in self.edges:
            neighbours[i].append(j)
            neighbours[j].append(i)
        previous = {start: start}
        queue = deque([start])
        while queue:
            node = queue.popleft()
            for other in neighbours[node]:
                if other not in previous:
                    previous[other] = node
                    queue.append(other)
        if end not in previous:  # separate components: the pair is independent
            return [start, end]
        path = [end]
        while path[-1] != start:
            path.append(previous[path[-1]])
        return path[::-1]

    # ---- sampling -----------------------------------------------------------------------

    def _sampling_plan(self) -> list[tuple[str, Clique, np.ndarray]]:
        """For each column in order: its conditioning columns and the cumulative
        conditional distribution table, one row per configuration of those columns."""
        plan: list[tuple[str, Clique, np.ndarray]] = []
        drawn: set[str] = set()
        for column in self.order:
            near = set().union(*(set(c) for c in self.cliques if column in c))
            parents = tuple(a for a in self.order if a in drawn and a in near)
            joint = self.marginal((*parents, column)).reshape(-1, self.sizes[column])
            totals = joint.sum(axis=1, keepdims=True)
            with np.errstate(divide="ignore", invalid="ignore"):
                conditional = np.where(totals > 0, joint / totals, 1.0 / joint.shape[1])
            plan.append((column, parents, np.cumsum(conditional, axis=1)))
            drawn.add(column)
        return plan

    def sample(self, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """`n` rows of codes, column by column."""
        codes: dict[str, np.ndarray] = {}
        for column, parents, cdf in self._plan:
            if parents:
                flat = np.ravel_multi_index(
                    [codes[p] for p in parents], [self.sizes[p] for p in parents]
                )
            else:
                flat = np.zeros(n, dtype=np.int64)
            draws = rng.random(n)
            out = np.empty(n, dtype=np.int64)
            for lo in range(0, n, _SAMPLE_CHUNK):
                rows = slice(lo, lo + _SAMPLE_CHUNK)
                out[rows] = (cdf[flat[rows]] <= draws[rows, None]).sum(axis=1)
            codes[column] = np.minimum(out, self.sizes[column] - 1)
        return codes

    # ---- state --------------------------------------------------------------------------

    def get_state(self) -> dict[str, Any]:
        return {
            "columns": list(self.sizes),
            "sizes": [self.sizes[a] for a in self.sizes],
            "cliques": [list(c) for c in self.cliques],
            "marginals": [m.astype(np.float64) for m in self.marginals],
            "order": list(self.order),
            "edges": np.asarray(self.edges, dtype=np.int64).reshape(-1, 2),
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> JunctionTreeModel:
        sizes = dict(zip(state["columns"], (int(s) for s in state["sizes"]), strict=True))
        edges = [tuple(edge) for edge in np.asarray(state["edges"]).reshape(-1, 2).tolist()]
        return cls(
            sizes,
            [tuple(c) for c in state["cliques"]],
            list(state["marginals"]),
            list(state["order"]),
            edges,
        )

    def _check(self) -> None:
        """Refuse tables that do not describe a distribution over these columns."""
        if sorted(self.order) != sorted(self.sizes) or len(self.cliques) != len(self.marginals):
            raise ModelFileError("the junction tree does not cover the model's columns")
        for clique, values in zip(self.cliques, self.marginals, strict=True):
            if any(a not in self.sizes for a in clique):
                raise ModelFileError(f"clique {clique} names an unknown column")
            if values.shape != tuple(self.sizes[a] for a in clique):
                raise ModelFileError(f"the marginal of clique {clique} has the wrong shape")
            if not (np.all(np.isfinite(values)) and np.all(values >= 0)):
                raise ModelFileError(f"the marginal of clique {clique} is not a distribution")
        for i, j in self.edges:
            if not (0 <= i < len(self.cliques) and 0 <= j < len(self.cliques)):
                raise ModelFileError("a junction-tree edge names an unknown clique")
