from watchhouse.publish import cache as cache_module
from watchhouse.publish.cache import VersionedCache, gzipped


def test_response_is_built_once_per_version():
    cache = VersionedCache()
    builds = []

    def build():
        builds.append(1)
        return b"[1]"

    first = cache.response(5, "k", build)
    assert cache.response(5, "k", build) is first
    assert len(builds) == 1
    cache.response(6, "k", build)  # the data changed: rebuilt
    assert len(builds) == 2


def test_a_request_holding_an_older_version_neither_reads_nor_fills_the_cache():
    cache = VersionedCache()
    cache.response(7, "k", lambda: b"new")
    assert cache.response(6, "k", lambda: b"old") == b"old"
    assert cache.response(7, "k", lambda: b"rebuilt") == b"new"  # still the version-7 answer


def test_fragments_are_built_only_for_missing_ids_and_kept_in_order():
    cache = VersionedCache()
    asked = []

    def build(ids):
        asked.append(list(ids))
        return {i: str(i).encode() for i in ids}

    assert cache.fragments_for(1, [3, 1, 2], build) == [b"3", b"1", b"2"]
    assert cache.fragments_for(1, [2, 4], build) == [b"2", b"4"]
    assert asked == [[3, 1, 2], [4]]
    assert cache.fragments_for(2, [2], build) == [b"2"]
    assert asked[-1] == [2]


def test_responses_are_evicted_oldest_first(monkeypatch):
    monkeypatch.setattr(cache_module, "MAX_RESPONSES", 2)
    cache = VersionedCache()
    for key in ("a", "b", "c"):
        cache.response(1, key, lambda key=key: key.encode())
    assert list(cache.responses) == ["b", "c"]


def test_gzipped_body_round_trips_and_is_remembered():
    import gzip

    body = b'[{"category":"burglary"}]' * 100
    packed = gzipped(body)
    assert gzip.decompress(packed) == body
    assert gzipped(body) is packed
