"""ReplayBuffer: FIFO ring storage, seeded uniform sampling without replacement."""
import numpy as np
import pytest

from ddpg.core.replay_buffer import ReplayBuffer


def fill(buffer, n, start=0):
    for i in range(start, start + n):
        buffer.add(np.full(3, i, dtype=np.float32), np.array([i * 0.5]), float(i), i % 2 == 0,
                   np.full(3, i + 1, dtype=np.float32))


def test_size_counts_adds_until_capacity_then_stays():
    buffer = ReplayBuffer(5, random_seed=1)
    assert buffer.size() == 0
    fill(buffer, 3)
    assert buffer.size() == 3
    fill(buffer, 10, start=3)
    assert buffer.size() == 5


def test_fifo_eviction_keeps_the_newest_transitions():
    buffer = ReplayBuffer(4, random_seed=1)
    fill(buffer, 7)  # 0..6 added; 0, 1, 2 evicted
    s, a, r, t, s2 = buffer.sample_batch(4)
    assert sorted(r.tolist()) == [3.0, 4.0, 5.0, 6.0]
    for row in range(4):
        i = r[row]
        np.testing.assert_array_equal(s[row], np.full(3, i))
        np.testing.assert_array_equal(s2[row], np.full(3, i + 1))
        assert a[row, 0] == pytest.approx(i * 0.5)
        assert t[row] == (int(i) % 2 == 0)


def test_shapes_and_dtypes_of_a_batch():
    buffer = ReplayBuffer(100, random_seed=1)
    fill(buffer, 50)
    s, a, r, t, s2 = buffer.sample_batch(16)
    assert s.shape == (16, 3) and s2.shape == (16, 3)
    assert a.shape == (16, 1)
    assert r.shape == (16,) and t.shape == (16,)
    assert s.dtype == a.dtype == r.dtype == s2.dtype == np.float32
    assert t.dtype == bool


def test_observations_of_any_shape_come_back_in_their_shape():
    buffer = ReplayBuffer(10, random_seed=1)
    for i in range(4):
        buffer.add(np.full((2, 2), i), np.array([i, -i]), 0.0, False, np.full((2, 2), i + 1))
    s, a, _, _, s2 = buffer.sample_batch(4)
    assert s.shape == (4, 2, 2) and s2.shape == (4, 2, 2) and a.shape == (4, 2)
    for row in range(4):
        np.testing.assert_array_equal(s2[row], s[row] + 1)


def test_fewer_stored_than_batch_returns_all_in_random_order():
    buffer = ReplayBuffer(100, random_seed=3)
    fill(buffer, 10)
    _, _, r, _, _ = buffer.sample_batch(64)
    assert sorted(r.tolist()) == [float(i) for i in range(10)]
    assert r.tolist() != sorted(r.tolist())  # shuffled, with this seed


def test_no_duplicates_within_a_batch():
    buffer = ReplayBuffer(1000, random_seed=5)
    fill(buffer, 200)
    for _ in range(50):
        _, _, r, _, _ = buffer.sample_batch(64)
        assert len(set(r.tolist())) == 64


def test_sampling_is_uniform_over_stored_transitions():
    buffer = ReplayBuffer(20, random_seed=11)
    fill(buffer, 20)
    counts = np.zeros(20)
    for _ in range(2000):
        _, _, r, _, _ = buffer.sample_batch(5)
        counts[r.astype(int)] += 1
    expected = 2000 * 5 / 20
    assert np.all(np.abs(counts - expected) < 0.2 * expected)


def test_same_seed_and_adds_give_the_same_batches():
    one, two, other = ReplayBuffer(50, 42), ReplayBuffer(50, 42), ReplayBuffer(50, 43)
    for buffer in (one, two, other):
        fill(buffer, 30)
    batches = [(one.sample_batch(8)[2], two.sample_batch(8)[2], other.sample_batch(8)[2])
               for _ in range(5)]
    assert all(np.array_equal(a, b) for a, b, _ in batches)
    assert not all(np.array_equal(a, c) for a, _, c in batches)


def test_clear_empties_and_the_buffer_refills():
    buffer = ReplayBuffer(10, random_seed=1)
    fill(buffer, 10)
    buffer.clear()
    assert buffer.size() == 0
    assert buffer.sample_batch(4)[2].shape == (0,)
    fill(buffer, 2, start=100)
    assert sorted(buffer.sample_batch(4)[2].tolist()) == [100.0, 101.0]


def test_packed_rows_match_the_fields():
    buffer = ReplayBuffer(10, random_seed=1)
    fill(buffer, 6)
    rows = buffer.sample_rows(6)
    s, a, r, t, s2 = buffer.layout.split(rows)
    assert rows.shape == (6, 3 + 1 + 1 + 1 + 3) and rows.dtype == np.float32
    np.testing.assert_array_equal(s2, s + 1)
    np.testing.assert_allclose(a[:, 0], r[:, 0] * 0.5)
    np.testing.assert_array_equal(t[:, 0], (r[:, 0] % 2 == 0).astype(np.float32))


def test_state_dict_round_trip_continues_identically():
    original = ReplayBuffer(8, random_seed=9)
    fill(original, 12)
    original.sample_batch(3)
    copy = ReplayBuffer(8, random_seed=0)
    copy.load_state_dict(original.state_dict())
    copy.set_rng_state(original.rng_state())
    assert copy.size() == original.size() == 8
    for _ in range(3):
        np.testing.assert_array_equal(copy.sample_rows(4), original.sample_rows(4))
    fill(copy, 1, start=50)
    fill(original, 1, start=50)
    np.testing.assert_array_equal(copy.sample_rows(8), original.sample_rows(8))


@pytest.mark.parametrize("bad", [0, -1, 2.5, True])
def test_bad_capacity_is_refused(bad):
    with pytest.raises(ValueError, match="buffer_size"):
        ReplayBuffer(bad)
