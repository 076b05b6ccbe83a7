"""common.cache_reads: a request's reads in one get_many, each value handed out once."""

from django.core.cache import cache

from common import cache_reads


def test_prefetched_values_are_read_once_then_the_cache_answers(monkeypatch):
    cache.set("a", 1)
    cache.set("b", 2)
    many = []
    get_many = cache.get_many
    monkeypatch.setattr(cache, "get_many", lambda keys: many.append(list(keys)) or get_many(keys))
    with cache_reads.batch():
        cache_reads.prefetch(["a", "b", "missing", None])
        cache.set("a", 10)  # written after the prefetch: the prefetched copy is still this request's read
        assert cache_reads.get("a") == 1
        assert cache_reads.get("a") == 10  # a second read sees the write
        assert cache_reads.get("missing") is None
        cache.set("missing", 3)
        assert cache_reads.get("missing") == 3
        assert cache_reads.get("b") == 2
    assert many == [["a", "b", "missing"]]


def test_outside_a_batch_nothing_is_prefetched_and_get_reads_the_cache(monkeypatch):
    cache.set("c", 4)
    monkeypatch.setattr(cache, "get_many", lambda keys: (_ for _ in ()).throw(AssertionError("no batch")))
    cache_reads.prefetch(["c"])
    assert cache_reads.get("c") == 4


def test_a_batch_ends_with_its_block():
    cache.set("d", 5)
    with cache_reads.batch():
        cache_reads.prefetch(["d"])
    cache.set("d", 6)
    assert cache_reads.get("d") == 6
