"""Clustering pairwise links into people without chaining.

Plain connected components join A-B-C-...-Z whenever each neighbour pair links, so at scale a
family, or everyone called John Smith in one town, collapses into one "person". Here
connected components only propose groups; inside every group of three or more records all
pairs are scored and records are merged by average linkage: two partial clusters merge only
when the mean match probability over *all* pairs between them reaches the threshold, so one
strong link cannot drag in a record that disagrees with the rest of the cluster.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

# Components larger than this are first cut by raising the edge threshold: real people have
# a handful of records, so a giant component is chaining, not one person.
MAX_COMPONENT = 1500


def components(n_nodes: int, edges: pd.DataFrame, threshold: float) -> np.ndarray:
    strong = edges[edges["match_probability"] >= threshold]
    graph = coo_matrix(
        (np.ones(len(strong)), (strong["uid_l"].to_numpy(), strong["uid_r"].to_numpy())), shape=(n_nodes, n_nodes)
    )
    return connected_components(graph, directed=False)[1]


def _split_large(n_nodes: int, edges: pd.DataFrame, labels: np.ndarray, threshold: float) -> np.ndarray:
    """Cut oversized components by raising their edge threshold until each is small enough."""
    labels = labels.copy()
    next_label = labels.max() + 1 if len(labels) else 0
    sizes = np.bincount(labels)
    for label in np.flatnonzero(sizes > MAX_COMPONENT):
        members = np.flatnonzero(labels == label)
        inside = edges[np.isin(edges["uid_l"], members) & np.isin(edges["uid_r"], members)]
        cut = threshold
        while True:
            cut = 1 - (1 - cut) / 4
            local = components(n_nodes, inside, cut)[members]
            if np.bincount(local).max() <= MAX_COMPONENT or cut > 1 - 1e-9:
                break
        _, local = np.unique(local, return_inverse=True)
        labels[members] = local + next_label
        next_label += local.max() + 1
    return labels


def average_linkage(size: int, pairs: np.ndarray, probabilities: np.ndarray, threshold: float) -> np.ndarray:
    """Cluster ``size`` nodes given scores for node pairs; unscored pairs count as 0."""
    total = np.zeros((size, size))
    total[pairs[:, 0], pairs[:, 1]] = probabilities
    total[pairs[:, 1], pairs[:, 0]] = probabilities
    counts = np.ones(size)
    active = np.ones(size, dtype=bool)
    labels = np.arange(size)
    np.fill_diagonal(total, -np.inf)
    while True:
        mean = total / np.outer(counts, counts)
        mean[~active, :] = -np.inf
        mean[:, ~active] = -np.inf
        flat = int(np.argmax(mean))
        i, j = divmod(flat, size)
        if mean[i, j] < threshold:
            break
        total[i, :] += total[j, :]
        total[:, i] += total[:, j]
        total[i, i] = -np.inf
        counts[i] += counts[j]
        active[j] = False
        labels[labels == j] = i
    return labels


def cluster_records(
    n_nodes: int,
    edges: pd.DataFrame,
    threshold: float,
    score_groups: Callable[[pd.Series], pd.DataFrame],
) -> np.ndarray:
    """Cluster label per uid (0..n_nodes-1).

    ``edges`` holds scored pairs (uid_l, uid_r, match_probability); ``score_groups`` takes a
    Series uid -> group and returns scores for every pair inside each group.
    """
    labels = _split_large(n_nodes, edges, components(n_nodes, edges, threshold), threshold)
    sizes = np.bincount(labels)
    members = np.flatnonzero(sizes[labels] >= 3)
    if len(members) == 0:
        return labels
    scored = score_groups(pd.Series(labels[members], index=members))
    left, right = scored["uid_l"].to_numpy(), scored["uid_r"].to_numpy()
    same = labels[left] == labels[right]
    left, right = left[same], right[same]
    probability = scored["match_probability"].to_numpy()[same]

    # Each group's records and scored pairs as contiguous slices, so the loop below does no
    # per-group searching (a million records make hundreds of thousands of groups).
    members = members[np.argsort(labels[members], kind="stable")]
    groups, starts, counts = np.unique(labels[members], return_index=True, return_counts=True)
    local = np.empty(n_nodes, dtype=np.int64)
    local[members] = np.arange(len(members)) - np.repeat(starts, counts)
    pair_order = np.argsort(labels[left], kind="stable")
    left, right, probability = left[pair_order], right[pair_order], probability[pair_order]
    pair_bounds = np.searchsorted(labels[left], groups, side="left"), np.searchsorted(labels[left], groups, "right")

    next_label = labels.max() + 1
    for index, group in enumerate(groups):
        nodes = members[starts[index]:starts[index] + counts[index]]
        lo, hi = pair_bounds[0][index], pair_bounds[1][index]
        size = len(nodes)
        if hi - lo == size * (size - 1) // 2 and probability[lo:hi].min() >= threshold:
            continue  # every pair agrees: one person
        pairs = np.column_stack([local[left[lo:hi]], local[right[lo:hi]]])
        split = average_linkage(size, pairs, probability[lo:hi], threshold)
        _, split = np.unique(split, return_inverse=True)
        labels[nodes] = np.where(split == 0, group, next_label + split - 1)
        next_label += split.max()
    return labels
