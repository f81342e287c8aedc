"""Clustering pairwise links into people without chaining.

Plain connected components join A-B-C-...-Z whenever each neighbour pair links, so at scale a
family, or everyone called John Smith in one town, collapses into one "person". Here
connected components only propose groups; inside every group of three or more records all
pairs are scored and records are merged by average linkage: two partial clusters merge only
when the mean match probability over *all* pairs between them reaches the threshold, so one
strong link cannot drag in a record that disagrees with the rest of the cluster.

Analysts' decisions outrank the model: a pair confirmed as one person is linked whatever its
score, and a pair split into two people never ends in one cluster, however the records around
them score (``must_link`` / ``cannot_link``).
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
# What a decided pair counts for in average linkage: far beyond any sum of model scores, so a
# confirmed pair merges first and a cluster holding a split pair never reaches the threshold.
DECISION_WEIGHT = 1e9


def _pair_keys(pairs: np.ndarray | None, n_nodes: int) -> np.ndarray:
    """Order-free int64 keys of uid pairs."""
    if pairs is None or len(pairs) == 0:
        return np.empty(0, dtype=np.int64)
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    low, high = pairs.min(axis=1), pairs.max(axis=1)
    if high.max() >= n_nodes or low.min() < 0:
        raise ValueError(f"decided pairs name records outside 0..{n_nodes - 1}")
    return np.unique(low[low != high] * n_nodes + high[low != high])


def _with_decisions(pairs: pd.DataFrame, n_nodes: int, must: np.ndarray, cannot: np.ndarray,
                    agree: float, disagree: float | None, labels: np.ndarray | None = None) -> pd.DataFrame:
    """``pairs`` with decided pairs scored ``agree`` (confirmed) or ``disagree`` (split; dropped when
    None). Confirmed pairs missing from ``pairs`` are added — only those inside one group when
    ``labels`` is given, since score_groups output covers pairs within groups only."""
    left, right = pairs["uid_l"].to_numpy(np.int64), pairs["uid_r"].to_numpy(np.int64)
    keys = np.minimum(left, right) * n_nodes + np.maximum(left, right)
    probability = pairs["match_probability"].to_numpy(np.float64).copy()
    probability[np.isin(keys, must)] = agree
    keep = np.ones(len(pairs), dtype=bool)
    if disagree is None:
        keep = ~np.isin(keys, cannot)
    else:
        probability[np.isin(keys, cannot)] = disagree
    extra = [must[~np.isin(must, keys)]]
    if disagree is not None:
        extra.append(cannot[~np.isin(cannot, keys)])
    extra_probability = [np.full(len(extra[0]), agree)] + (
        [np.full(len(extra[1]), disagree)] if disagree is not None else [])
    extra_keys = np.concatenate(extra)
    extra_probability = np.concatenate(extra_probability)
    extra_left, extra_right = extra_keys // n_nodes, extra_keys % n_nodes
    if labels is not None:
        inside = labels[extra_left] == labels[extra_right]
        extra_left, extra_right, extra_probability = extra_left[inside], extra_right[inside], extra_probability[inside]
    return pd.DataFrame({
        "uid_l": np.concatenate([left[keep], extra_left]),
        "uid_r": np.concatenate([right[keep], extra_right]),
        "match_probability": np.concatenate([probability[keep], extra_probability]),
    })


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
    # Mean probability between partial clusters, updated only in the merged row and column:
    # recomputing the whole matrix at every merge made a component of 900 records cost seconds.
    mean = total.copy()
    while True:
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
        row = total[i, :] / (counts[i] * counts)
        row[~active] = -np.inf
        mean[i, :] = row
        mean[:, i] = row
        mean[j, :] = -np.inf
        mean[:, j] = -np.inf
    return labels


def cluster_records(
    n_nodes: int,
    edges: pd.DataFrame,
    threshold: float,
    score_groups: Callable[[pd.Series], pd.DataFrame],
    *,
    must_link: np.ndarray | None = None,
    cannot_link: np.ndarray | None = None,
) -> np.ndarray:
    """Cluster label per uid (0..n_nodes-1).

    ``edges`` holds scored pairs (uid_l, uid_r, match_probability); ``score_groups`` takes a
    Series uid -> group and returns scores for every pair inside each group. ``must_link`` and
    ``cannot_link`` are (k, 2) arrays of uid pairs decided by people, which outrank the scores.
    """
    must, cannot = _pair_keys(must_link, n_nodes), _pair_keys(cannot_link, n_nodes)
    decided = len(must) > 0 or len(cannot) > 0
    if decided:
        edges = _with_decisions(edges, n_nodes, must, cannot, agree=1.0, disagree=None)
    labels = _split_large(n_nodes, edges, components(n_nodes, edges, threshold), threshold)
    sizes = np.bincount(labels)
    members = np.flatnonzero(sizes[labels] >= 3)
    if len(members) == 0:
        return labels
    scored = score_groups(pd.Series(labels[members], index=members))
    if decided:
        scored = _with_decisions(scored, n_nodes, must, cannot, agree=DECISION_WEIGHT, disagree=-DECISION_WEIGHT,
                                 labels=labels)
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
