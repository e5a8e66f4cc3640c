"""TensorDataset and DataLoader."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.data import DataLoader, Dataset, TensorDataset

X = np.arange(20.0).reshape(10, 2)
Y = np.arange(10)


def test_batches_in_order_with_the_last_smaller_one():
    loader = DataLoader(TensorDataset(cr.tensor(X), Y), batch_size=4)
    batches = list(loader)
    assert len(loader) == 3 and [len(xb) for xb, _ in batches] == [4, 4, 2]
    np.testing.assert_array_equal(batches[2][0].data, X[8:])
    assert batches[0][1].dtype == np.int64
    assert len(DataLoader(TensorDataset(X, Y), batch_size=4, drop_last=True)) == 2
    assert [len(b[0]) for b in DataLoader(TensorDataset(X, Y), 4, drop_last=True)] == [4, 4]


def test_shuffle_is_a_permutation_governed_by_the_seed():
    def epoch(seed=None, generator=None):
        if seed is not None:
            cr.manual_seed(seed)
        loader = DataLoader(TensorDataset(X, Y), batch_size=3, shuffle=True,
                            generator=generator)
        return np.concatenate([yb.data for _, yb in loader])

    a, b = epoch(seed=1), epoch(seed=1)
    np.testing.assert_array_equal(a, b)
    assert sorted(a) == list(range(10)) and not np.array_equal(a, Y)
    np.testing.assert_array_equal(epoch(generator=4), epoch(generator=4))
    cr.manual_seed(1)
    loader = DataLoader(TensorDataset(X, Y), batch_size=10, shuffle=True)
    first, second = next(iter(loader))[1].data, next(iter(loader))[1].data
    assert not np.array_equal(first, second)       # a new order each epoch


def test_a_plain_dataset_is_read_item_by_item():
    class Squares(Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return np.array([i, i * i]), i % 2

    xb, yb = next(iter(DataLoader(Squares(), batch_size=5)))
    np.testing.assert_array_equal(xb.data[:, 1], [0, 1, 4, 9, 16])
    np.testing.assert_array_equal(yb.data, [0, 1, 0, 1, 0])
    x0, y0 = TensorDataset(X, Y)[3]
    np.testing.assert_array_equal(x0.data, [6, 7]) and y0.item() == 3


def test_errors():
    with pytest.raises(ValueError, match="different lengths"):
        TensorDataset(X, Y[:3])
    with pytest.raises(ValueError, match="at least one"):
        TensorDataset()
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(TensorDataset(X), batch_size=0)
    with pytest.raises(TypeError, match="collate_fn"):
        DataLoader(TensorDataset(X), collate_fn=list)
    assert len(DataLoader(TensorDataset(X), num_workers=2)) == 10
    with pytest.raises(NotImplementedError):
        len(Dataset())
    with pytest.raises(NotImplementedError):
        Dataset()[0]
