"""The key set that tells a bulk load whether a file holds a key twice."""

import pyarrow as pa
import pytest

from ingest.keyset import KeySet, string_hashes


def test_the_same_string_hashes_the_same_wherever_it_sits():
    a = pa.array(["", "a", "ab", "", "ba", "a", "厂区一", "厂区一"])
    h = string_hashes(a)
    assert h[0] == h[3] and h[1] == h[5] and h[6] == h[7]
    assert len({int(x) for x in h}) == 5  # "", "a", "ab", "ba", "厂区一"
    assert list(string_hashes(a.slice(2, 3))) == list(h[2:5])  # a slice reads its own offsets
    assert list(string_hashes(a.cast(pa.large_string()))) == list(h)


def test_no_two_of_many_keys_hash_alike():
    keys = pa.array([f"ipe-v:{i:07d}" for i in range(300_000)])
    assert len(set(string_hashes(keys).tolist())) == 300_000


@pytest.mark.parametrize(("blocks", "distinct"), [
    ([["x1", "x2"], ["x3"]], True),
    ([["x1", "x2"], ["x3", "x1"]], False),  # across blocks
    ([["x1", "x1"]], False),  # inside one
    ([], True),
])
def test_a_key_twice_is_found(blocks, distinct):
    keys = KeySet()
    for b in blocks:
        keys.add(pa.chunked_array([pa.array(b)]))
    assert keys.distinct() is distinct


def test_a_block_it_cannot_hash_means_not_known_distinct():
    keys = KeySet()
    keys.add(pa.array(["x1", None]))
    assert not keys.distinct()
    keys = KeySet()
    keys.add(pa.array([1, 2]))
    assert not keys.distinct()
