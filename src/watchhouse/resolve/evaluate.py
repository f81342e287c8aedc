"""Linkage quality against known truth: pairwise links and the pairs clusters imply."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import combinations


@dataclass(frozen=True)
class Quality:
    true_positives: int
    predicted: int
    actual: int

    @property
    def precision(self) -> float:
        return self.true_positives / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.actual if self.actual else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def __str__(self) -> str:
        return f"P={self.precision:.4f} R={self.recall:.4f} F1={self.f1:.4f}"


def _pair(a, b) -> tuple:
    return (a, b) if str(a) <= str(b) else (b, a)


def pair_set(pairs: Iterable[tuple]) -> set[tuple]:
    return {_pair(a, b) for a, b in pairs if a != b}


def pairs_from_clusters(assignment: Mapping) -> set[tuple]:
    """Every pair of records that share a cluster id."""
    members: dict = {}
    for record, cluster in assignment.items():
        members.setdefault(cluster, []).append(record)
    return {_pair(a, b) for group in members.values() for a, b in combinations(group, 2)}


def pair_quality(predicted: Iterable[tuple], truth: Iterable[tuple]) -> Quality:
    predicted_set, truth_set = pair_set(predicted), pair_set(truth)
    return Quality(len(predicted_set & truth_set), len(predicted_set), len(truth_set))


def cluster_quality(assignment: Mapping, truth: Mapping) -> Quality:
    """Pairwise quality of the pairs implied by clusters; ``truth`` maps record -> true entity."""
    return pair_quality(pairs_from_clusters(assignment), pairs_from_clusters(truth))


def largest_group(assignment: Mapping) -> int:
    sizes: dict = {}
    for cluster in assignment.values():
        sizes[cluster] = sizes.get(cluster, 0) + 1
    return max(sizes.values(), default=0)
