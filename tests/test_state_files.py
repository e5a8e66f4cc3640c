"""Loading weights from hostile input: every kind of bad .npz file gets its own message,
headers are checked before anything is allocated, and load_state_dict assigns all or
nothing and refuses lossy conversions."""

from __future__ import annotations

import io
import pickle
import zipfile

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.nn.npz import BadStateFile, read_headers


def _model():
    return nn.MLP([2, 3, 2], rng=0)


def _unchanged(model, before):
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[name])


def _npy_bytes(array):
    buf = io.BytesIO()
    np.save(buf, array)
    return buf.getvalue()


def test_a_crafted_header_is_refused_before_allocating(tmp_path):
    # a header claiming 200 million float64s (1.6 GB) over a few bytes of data
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f8", "fortran_order": False, "shape": (200_000_000,)})
    path = tmp_path / "crafted.npz"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("weight.npy", header.getvalue() + b"\x00" * 64)
    with pytest.raises(BadStateFile, match=r"claims shape \(200000000,\) \(1,600,000,000 "
                                           r"bytes\) but holds 64 bytes"):
        nn.load_npz(path)


@pytest.mark.parametrize("content, message", [
    (b"", "the file is empty"),
    (bytes(range(256)) * 4, "not a .npz archive"),
    (b"PK\x03\x04" + b"\x00" * 10, "not a .npz archive"),
    (_npy_bytes(np.zeros(3)), "this is a .npy file"),
])
def test_each_kind_of_bad_file_has_its_own_message(tmp_path, content, message):
    path = tmp_path / "bad.npz"
    path.write_bytes(content)
    model = _model()
    before = model.state_dict()
    with pytest.raises(BadStateFile, match=message):
        model.load(path)
    _unchanged(model, before)


def test_a_truncated_archive_is_a_bad_file(tmp_path):
    path = tmp_path / "w.npz"
    _model().save(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(BadStateFile, match="not a .npz archive"):
        nn.load_npz(path)


def test_pickled_data_is_never_loaded(tmp_path):
    path = tmp_path / "p.npz"
    np.savez(path, weight=np.array([{"a": 1}], dtype=object))
    with pytest.raises(BadStateFile, match="pickled Python objects"):
        nn.load_npz(path)
    with zipfile.ZipFile(tmp_path / "q.npz", "w") as z:
        z.writestr("weight.pkl", pickle.dumps(1))
    with pytest.raises(BadStateFile, match="'weight.pkl' is not a .npy array"):
        nn.load_npz(tmp_path / "q.npz")


def test_a_damaged_header_is_named(tmp_path):
    with zipfile.ZipFile(tmp_path / "h.npz", "w") as z:
        z.writestr("weight.npy", b"\x93NUMPY\x01\x00\x10\x00{garbage}       ")
    with pytest.raises(BadStateFile, match="'weight' has a damaged header"):
        nn.load_npz(tmp_path / "h.npz")


def test_read_headers_reads_shapes_without_the_data(tmp_path):
    path = tmp_path / "w.npz"
    _model().save(path)
    headers = read_headers(path)
    assert headers["0.weight"] == ((3, 2), np.dtype(np.float64))


def test_load_checks_shapes_against_the_model_before_reading(tmp_path):
    path = tmp_path / "w.npz"
    nn.MLP([2, 4, 2], rng=0).save(path)
    model = _model()
    before = model.state_dict()
    with pytest.raises(cr.ShapeError, match=r"'0.weight' has shape \(4, 2\) in the "
                                            r"file but \(3, 2\)"):
        model.load(path)
    _unchanged(model, before)
    np.savez(path, **before, extra=np.zeros(1))
    with pytest.raises(KeyError, match="the file has 'extra'"):
        model.load(path)
    model.load(path, strict=False)


def test_a_missing_file_is_the_usual_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        nn.load_npz(tmp_path / "none.npz")


@pytest.mark.parametrize("value, kind", [
    (np.zeros((3, 2), dtype=complex), "complex"),
    (np.zeros((3, 2), dtype="datetime64[s]"), "datetime"),
    (np.zeros((3, 2), dtype=bool), "bool"),
    (np.zeros((3, 2), dtype=np.int64), "integer"),
    (np.full((3, 2), "a"), "text"),
])
def test_load_state_dict_refuses_lossy_conversions_and_changes_nothing(value, kind):
    model = _model()
    before = model.state_dict()
    state = dict(before)
    state["2.bias"] = np.ones(2)         # a good entry before the bad one
    state["0.weight"] = value
    with pytest.raises(TypeError, match=f"'0.weight' holds {kind} values"):
        model.load_state_dict(state)
    _unchanged(model, before)


def test_a_value_outside_float32_is_refused():
    model = nn.Linear(2, 2, rng=0, dtype=np.float32)
    state = model.state_dict()
    state = {k: v.astype(np.float64) for k, v in state.items()}
    state["weight"][0, 0] = 1e300
    with pytest.raises(ValueError, match="outside the range of the parameter's dtype float32"):
        model.load_state_dict(state)
    state["weight"][0, 0] = 0.5
    model.load_state_dict(state)
    assert model.weight.dtype == np.float32 and model.weight.data[0, 0] == 0.5


def test_load_state_dict_needs_a_mapping():
    with pytest.raises(TypeError, match="expected a mapping"):
        _model().load_state_dict([("a", 1)])


def test_load_state_dict_takes_tensors_and_refuses_ragged_lists():
    model = nn.Linear(2, 1, rng=0)
    model.load_state_dict({"weight": cr.Tensor(np.ones((1, 2))), "bias": np.zeros(1)})
    assert model.weight.data.sum() == 2.0
    with pytest.raises(TypeError, match="'bias' is not an array"):
        model.load_state_dict({"weight": np.ones((1, 2)), "bias": [[1.0], [1.0, 2.0]]})


def test_a_member_whose_data_is_damaged_cannot_be_read(tmp_path):
    path = tmp_path / "w.npz"
    np.savez(path, weight=np.arange(100_000.0))
    data = bytearray(path.read_bytes())
    at = data.index(np.arange(100_000.0).tobytes()[-16:])
    data[at] ^= 0xFF                       # the CRC no longer matches (past the header)
    path.write_bytes(bytes(data))
    with pytest.raises(BadStateFile, match="'weight' cannot be read"):
        nn.load_npz(path)


def test_a_member_claiming_more_than_the_file_is_refused(tmp_path):
    path = tmp_path / "w.npz"
    np.savez(path, weight=np.zeros(4))
    data = bytearray(path.read_bytes())
    central = data.rindex(b"PK\x01\x02")
    data[central + 20:central + 24] = (10 ** 9).to_bytes(4, "little")   # compressed size
    path.write_bytes(bytes(data))
    with pytest.raises(BadStateFile, match="claims more data than the file holds"):
        nn.load_npz(path)
