"""State dicts in numpy ``.npz`` archives, read with every header checked before any array
is allocated.

An ``.npz`` file is a zip archive of ``.npy`` members; each member's header states its
shape and dtype. :func:`read_headers` reads only the headers and checks them against the
archive (a header that claims more bytes than its member holds is refused, so a crafted
1.5 MB file cannot make the reader allocate 1.5 GB); :func:`load_npz` then reads the data,
optionally only after the caller (``Module.load``) has compared the shapes with its
parameters. Each kind of bad file has its own message (:class:`BadStateFile`).
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from numpy.lib import format as npy

_NPY_MAGIC = b"\x93NUMPY"


class BadStateFile(ValueError):
    """A file that is not a readable ``.npz`` archive of numeric arrays."""


def save_npz(state: Mapping[str, np.ndarray], path: str | os.PathLike) -> None:
    """Write a state dict (name -> array) to ``path`` with ``np.savez``."""
    arrays: dict[str, Any] = {name: np.asarray(a) for name, a in state.items()}
    np.savez(path, **arrays)


def _open(path: str | os.PathLike) -> zipfile.ZipFile:
    name = os.fspath(path)
    with open(name, "rb") as f:     # FileNotFoundError, IsADirectoryError pass through
        start = f.read(len(_NPY_MAGIC))
    if not start:
        raise BadStateFile(f"{name}: the file is empty; expected a .npz archive")
    if start == _NPY_MAGIC:
        raise BadStateFile(f"{name}: this is a .npy file (one array), not a .npz archive of "
                           "named arrays; write it with Module.save or np.savez")
    try:
        return zipfile.ZipFile(name)
    except (zipfile.BadZipFile, EOFError, ValueError, OSError):
        raise BadStateFile(f"{name}: not a .npz archive (not a readable zip file: damaged, "
                           "truncated, or another kind of file)") from None


def read_headers(path: str | os.PathLike) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
    """``{name: (shape, dtype)}`` of every array in the archive, from the headers alone.

    Raises BadStateFile for an empty file, a ``.npy`` file, a file that is not a zip
    archive, a member that is not a ``.npy`` array, a damaged header, pickled (object) data
    or a header that claims more data than its member holds."""
    with _open(path) as archive:
        return {name: (shape, dtype) for name, (shape, dtype, _) in
                _headers(archive, os.fspath(path)).items()}


def _headers(archive: zipfile.ZipFile,
             where: str) -> dict[str, tuple[tuple[int, ...], np.dtype, bool]]:
    found = {}
    on_disk = os.path.getsize(where)
    for info in archive.infolist():
        if info.compress_size > on_disk or (info.compress_type == zipfile.ZIP_STORED
                                            and info.compress_size != info.file_size):
            raise BadStateFile(f"{where}: member {info.filename!r} claims more data than the "
                               "file holds: the file is damaged or crafted")
        if not info.filename.endswith(".npy"):
            raise BadStateFile(f"{where}: member {info.filename!r} is not a .npy array")
        name = info.filename[:-4]
        try:
            with archive.open(info) as f:
                version = npy.read_magic(f)
                read = (npy.read_array_header_1_0 if version == (1, 0)
                        else npy.read_array_header_2_0)
                shape, fortran, dtype = read(f)
                header_end = f.tell()
        except (ValueError, EOFError, OSError, zipfile.BadZipFile) as exc:
            raise BadStateFile(f"{where}: member {name!r} has a damaged header "
                               f"({exc})") from None
        if dtype.hasobject:
            raise BadStateFile(f"{where}: member {name!r} holds pickled Python objects "
                               "(dtype object), which are never loaded: they could run code")
        claimed = int(np.prod(shape, dtype=object)) * dtype.itemsize
        if header_end + claimed > info.file_size:
            raise BadStateFile(f"{where}: member {name!r} claims shape {shape} "
                               f"({claimed:,} bytes) but holds {info.file_size - header_end:,} "
                               "bytes: the file is damaged or crafted")
        found[name] = (tuple(shape), dtype, fortran)
    return found


def load_npz(path: str | os.PathLike,
             check: Callable[[dict[str, tuple[tuple[int, ...], np.dtype]]], None] | None
             = None) -> dict[str, np.ndarray]:
    """Read a state dict written by ``save_npz`` (name -> array, dtypes as saved).

    Every header is checked first (see :func:`read_headers`); ``check(headers)``, if
    given, may raise to refuse the file before any array is read (``Module.load``
    compares the shapes with its parameters)."""
    where = os.fspath(path)
    with _open(path) as archive:
        headers = _headers(archive, where)
        if check is not None:
            check({n: (s, d) for n, (s, d, _) in headers.items()})
        out = {}
        for name in headers:
            try:
                with archive.open(name + ".npy") as f:
                    out[name] = npy.read_array(f, allow_pickle=False)
            except (ValueError, EOFError, OSError, zipfile.BadZipFile) as exc:
                raise BadStateFile(f"{where}: member {name!r} cannot be read ({exc})") \
                    from None
    return out
