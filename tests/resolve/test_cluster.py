"""Clustering must not chain: a path of pairwise links is not one person."""

import numpy as np
import pandas as pd

from watchhouse.resolve.cluster import average_linkage, cluster_records


def scorer(matrix: np.ndarray):
    """A score_groups stand-in that reads every within-group pair from ``matrix``."""

    def score(groups: pd.Series) -> pd.DataFrame:
        rows = []
        for _, members in groups.groupby(groups):
            nodes = sorted(members.index)
            rows += [(a, b, matrix[a, b]) for i, a in enumerate(nodes) for b in nodes[i + 1:]]
        return pd.DataFrame(rows, columns=["uid_l", "uid_r", "match_probability"])

    return score


def chain(n: int, link: float = 0.9) -> np.ndarray:
    matrix = np.full((n, n), 0.01)
    for i in range(n - 1):
        matrix[i, i + 1] = matrix[i + 1, i] = link
    return matrix


def edges_above(matrix: np.ndarray, floor: float = 0.05) -> pd.DataFrame:
    a, b = np.triu_indices(len(matrix), 1)
    keep = matrix[a, b] >= floor
    return pd.DataFrame({"uid_l": a[keep], "uid_r": b[keep], "match_probability": matrix[a, b][keep]})


def test_a_chain_of_links_does_not_become_one_cluster():
    matrix = chain(9)
    labels = cluster_records(9, edges_above(matrix), 0.5, scorer(matrix))
    sizes = np.bincount(labels)
    assert sizes.max() <= 2, labels
    for a, b in zip(range(8), range(1, 9)):  # every kept pair was a real link
        if labels[a] == labels[b]:
            assert matrix[a, b] > 0.5


def test_a_clique_stays_together_and_a_weak_hanger_on_is_cut_off():
    matrix = np.full((6, 6), 0.02)
    matrix[:4, :4] = 0.97  # one person, four records
    matrix[3, 4] = matrix[4, 3] = 0.8  # a relative strongly like one record only
    labels = cluster_records(6, edges_above(matrix), 0.5, scorer(matrix))
    assert len(set(labels[:4])) == 1
    assert labels[4] != labels[0]
    assert labels[5] not in set(labels[:5])


def test_average_linkage_merges_only_above_threshold():
    pairs = np.array([[0, 1], [1, 2], [0, 2]])
    assert len(set(average_linkage(3, pairs, np.array([0.9, 0.9, 0.9]), 0.5))) == 1
    assert len(set(average_linkage(3, pairs, np.array([0.9, 0.6, 0.1]), 0.5))) == 2


def test_a_split_pair_never_shares_a_cluster_even_inside_a_clique():
    matrix = np.full((5, 5), 0.02)
    matrix[:4, :4] = 0.97
    labels = cluster_records(5, edges_above(matrix), 0.5, scorer(matrix), cannot_link=np.array([[2, 0]]))
    assert labels[0] != labels[2]
    assert len(set(labels[:4])) == 2  # the other two records still join one of them
    two = cluster_records(2, edges_above(np.array([[0, 0.99], [0.99, 0]])), 0.5, scorer(np.eye(2)),
                          cannot_link=np.array([[0, 1]]))
    assert two[0] != two[1]


def test_a_confirmed_pair_is_linked_whatever_its_score():
    matrix = np.full((4, 4), 0.02)
    matrix[0, 1] = matrix[1, 0] = 0.97
    matrix[1, 3] = matrix[3, 1] = 0.4  # the confirmed record half agrees with 1: on average, one person
    labels = cluster_records(4, edges_above(matrix), 0.5, scorer(matrix), must_link=np.array([[3, 0]]))
    assert labels[0] == labels[3] == labels[1]
    assert labels[2] != labels[0]
    alone = cluster_records(4, edges_above(matrix), 0.5, scorer(matrix), must_link=np.array([[2, 3]]))
    assert alone[2] == alone[3] and alone[2] != alone[0]


def test_decisions_naming_unknown_records_are_refused():
    import pytest

    with pytest.raises(ValueError, match="outside"):
        cluster_records(3, edges_above(np.eye(3)), 0.5, scorer(np.eye(3)), must_link=np.array([[0, 7]]))
