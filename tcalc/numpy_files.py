"""NumPy's files: `.npy` (one array) and `.npz` (a zip of named `.npy` arrays), beside
PyTorch's own format (tcalc.serialization, which hands these extensions here).

Written with NumPy's own writer (`numpy.lib.format`, never with pickles). Read by first
reading the header alone (NumPy's header reader, which refuses oversize headers), checking
what it promises against tcalc's dtypes, the file's length and the limits, and only then
reading the data with `allow_pickle=False`: an array of Python objects (a pickle) is
refused, saying so, and nothing in a file is ever run.
"""
from __future__ import annotations

import os
import warnings
import zipfile
import zlib

import numpy as np
from numpy.lib import format as npy_format

from . import dtypes, files, limits
from .errors import TcalcTypeError
from .files import FileError
from .tensor import Tensor
from .values import type_name

NPY, NPZ = ".npy", ".npz"
_MAX_HEADER = 10_000  # NumPy's own default limit on a header's length (max_header_size)


def is_numpy_path(path: str) -> bool:
    return os.path.splitext(path)[1].lower() in (NPY, NPZ)


# ---- save -----------------------------------------------------------------------------

def save(obj, path: str) -> None:
    """A tensor (or array) to a .npy file; a dict of them (or a list, as arr_0, arr_1, ...)
    to a .npz file, as np.save and np.savez write them."""
    if path.lower().endswith(NPY):
        if isinstance(obj, (dict, list, tuple)):
            raise TcalcTypeError(f"save: a .npy file holds one tensor, not a {type_name(obj)}",
                                 hint="save a dict of tensors as .npz: save({'W': W, 'b': b}, 'w.npz')")
        array = _array(obj, "the value")
        write_atomically(path, lambda file: npy_format.write_array(_WriteOnly(file), array, allow_pickle=False))
        return
    if isinstance(obj, dict):
        named = obj
    elif isinstance(obj, (list, tuple)):
        named = {f"arr_{i}": item for i, item in enumerate(obj)}
    else:
        named = {"arr_0": obj}
    arrays = {}
    for key, value in named.items():
        if type(key) is not str or not key or "/" in key or "\x00" in key:
            raise TcalcTypeError(f"save: the names in a .npz file are strings, not {key!r}",
                                 hint="name each tensor by a string key: {'W': W}")
        arrays[key] = _array(value, f"the value of {key!r}")

    def write(file) -> None:
        with files.zip_writer(file, allowZip64=True) as archive:
            for key, array in arrays.items():
                with archive.open(key + NPY, "w", force_zip64=True) as member:
                    npy_format.write_array(member, array, allow_pickle=False)

    write_atomically(path, write)


class _WriteOnly:
    """A file that only writes: NumPy then writes the data in pieces of 16 MiB (a signal is
    seen between them) rather than through tofile(), whose calls back into the file object
    would turn a signal into an error of NumPy's."""

    def __init__(self, file):
        self.write = file.write


def _array(value, what: str) -> np.ndarray:
    if type(value) is Tensor:
        return value.data  # the data only: .npy has no requires_grad
    if isinstance(value, np.ndarray) and value.dtype in dtypes.BY_NUMPY:
        return value
    if type(value) in (bool, int, float):
        return np.asarray(value)
    raise TcalcTypeError(f"save: {what} is a {type_name(value)}; NumPy's files hold tensors",
                         hint="save tensors (or numbers); other values go in a .pt file")


def write_atomically(path: str, write) -> None:
    """Written beside the target and renamed over it: a failure leaves the old file whole
    (tcalc.files, which writes regular files only)."""
    files.write_atomically(path, write, "save")


# ---- load -----------------------------------------------------------------------------

def load(path: str):
    """A .npy file as a tensor of its dtype and shape; a .npz file as a dict by name."""
    try:
        with files.open_for_reading(path, "load") as file:
            if path.lower().endswith(NPY):
                return Tensor(_ArrayReader(path).read(file, os.fstat(file.fileno()).st_size))
            return _load_npz(file, path)
    except OSError as err:
        raise FileError(files.os_message(err, path)) from None
    except MemoryError:
        raise limits.refuse("max_elements", f"'{path}' is too large for this machine") from None


def _load_npz(file, path: str) -> dict:
    try:
        archive = zipfile.ZipFile(file)
    except (zipfile.BadZipFile, EOFError, ValueError):
        raise FileError(f"'{path}' is not a NumPy .npz file (a zip of .npy arrays)") from None
    loaded = {}
    with archive:
        reader = _ArrayReader(path)
        for info in archive.infolist():
            if info.is_dir():
                continue
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                # What np.savez and np.savez_compressed write; zipfile inflates bzip2 and lzma
                # without a bound, so they are not read.
                raise FileError(f"'{path}': its {info.filename} is compressed with bzip2 or lzma, which "
                                "tcalc does not read", hint="NumPy's np.savez and np.savez_compressed "
                                "write files tcalc reads")
            name = info.filename[: -len(NPY)] if info.filename.endswith(NPY) else info.filename
            reader.member = info.filename
            try:
                with archive.open(info) as member:
                    loaded[name] = Tensor(reader.read(member, info.file_size))
            except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, EOFError,
                    zlib.error, ValueError) as err:  # a bad CRC, an encrypted or damaged member
                raise FileError(f"'{path}' is damaged: {err}") from None
    return loaded


class _ArrayReader:
    """Reads .npy arrays from one file (or the members of one .npz), checking each header
    before anything is allocated and counting what they allocate together."""

    def __init__(self, path: str):
        self.path = path
        self.member: str | None = None  # the .npz member being read
        self.allocated = 0

    def _where(self) -> str:
        return f"'{self.path}'" + (f" (its {self.member})" if self.member else "")

    def read(self, file, size: int) -> np.ndarray:
        where = self._where()
        try:
            with warnings.catch_warnings():  # NumPy's words about old headers are not the user's
                warnings.simplefilter("ignore")
                return self._read(file, size, where)
        except (EOFError, RecursionError, MemoryError):
            raise FileError(f"{where} is not a NumPy .npy file (it ends early)") from None

    def _read(self, file, size: int, where: str) -> np.ndarray:
        try:
            version = npy_format.read_magic(file)
            if version == (1, 0):
                shape, fortran_order, dtype = npy_format.read_array_header_1_0(file)
            elif version in ((2, 0), (3, 0)):
                # A 4-byte header length: refused before NumPy reads that many bytes.
                length = int.from_bytes(file.read(4), "little")
                if length > _MAX_HEADER:
                    raise ValueError("max_header_size")
                file.seek(-4, os.SEEK_CUR)
                shape, fortran_order, dtype = npy_format.read_array_header_2_0(file)
            else:
                raise ValueError(f"format version {version}")
        except ValueError as err:
            text = str(err)
            if "max_header_size" in text or "header is too large" in text.lower():
                raise FileError(f"refusing to load {where}: its header is larger than NumPy reads "
                                "safely") from None
            raise FileError(f"{where} is not a NumPy .npy file ({text.splitlines()[0]})") from None
        except (EOFError, RecursionError, MemoryError):
            raise FileError(f"{where} is not a NumPy .npy file (it ends early)") from None
        if dtype.hasobject:
            raise FileError(f"refusing to load {where}: it holds Python objects, stored as a pickle, "
                            "and tcalc never unpickles a file (nothing in a file is ever run)",
                            hint="save numbers in NumPy: np.save(f, a.astype(np.float32))")
        native = dtype.newbyteorder("=") if dtype.byteorder not in ("=", "|") else dtype
        if native not in dtypes.BY_NUMPY or dtype.fields is not None or dtype.subdtype is not None:
            raise FileError(f"{where} holds {dtype.str} values, which tcalc has no dtype for",
                            hint="tcalc's dtypes: " + ", ".join(d.name for d in dtypes.ALL))
        if len(shape) > 64 or any(n < 0 for n in shape):
            raise FileError(f"{where} is damaged: its header's shape is {tuple(shape)}")
        count = 1
        for n in shape:
            count *= n
        limits.check_elements(self.allocated + count, f"the tensors in {where}" if self.allocated else
                              f"the tensor in {where}")
        needed = count * dtype.itemsize
        if size - file.tell() < needed:
            raise FileError(f"{where} is damaged: its data is shorter than its header's shape {tuple(shape)}")
        buffer = bytearray(needed)
        if file.readinto(buffer) != needed:
            raise FileError(f"{where} is damaged: its data ends early")
        array = np.frombuffer(buffer, dtype=dtype, count=count)
        # tcalc's tensors are C-ordered and native-endian, as PyTorch's from_numpy needs.
        array = array.reshape(shape, order="F").copy(order="C") if fortran_order else array.reshape(shape)
        array = array.astype(native, copy=False)
        self.allocated += count
        return array


# ---- NumPy's spellings: np.save, np.savez, np.load, with NumPy's arrays -----------------

def np_save(file, arr, allow_pickle=True, fix_imports=True) -> None:
    """np.save(file, arr): as NumPy, '.npy' is added to a name without it."""
    path = _path(file, "numpy.save")
    save(_as_array(arr), path if path.endswith(NPY) else path + NPY)


def np_savez(file, *args, **kwds) -> None:
    """np.savez(file, a, b, W=w): arrays by name, then the positional ones as arr_0, arr_1, ..."""
    path = _path(file, "numpy.savez")
    named = {k: _as_array(v) for k, v in kwds.items()}  # NumPy's order: the names first
    for i, a in enumerate(args):
        if f"arr_{i}" in named:
            raise TcalcTypeError(f"numpy.savez: cannot use un-named variables and keyword arr_{i}")
        named[f"arr_{i}"] = _as_array(a)
    save(named, path if path.endswith(NPZ) else path + NPZ)


def np_load(file, mmap_mode=None, allow_pickle=False, **ignored):
    """np.load(file): a .npy file as a NumPy array, a .npz file as a dict of them."""
    path = _path(file, "numpy.load")
    if not is_numpy_path(path):
        raise FileError(f"numpy.load: tcalc reads NumPy's .npy and .npz files, not '{path}'",
                        hint="PyTorch's files load with torch.load")
    loaded = load(path)
    if type(loaded) is dict:
        return {name: tensor.data for name, tensor in loaded.items()}
    return loaded.data


def _as_array(value):
    if type(value) is Tensor:
        from .numpy_module import _array_of  # refuses a tensor that requires grad, as NumPy does

        return _array_of(value, "save")
    if isinstance(value, (list, tuple)):
        return np.asarray(value)
    return value


def _path(file, name: str) -> str:
    if type(file) is not str:
        raise TcalcTypeError(f"{name}: the file must be a path in quotes, not {type_name(file)}")
    if not file or "\x00" in file:
        raise FileError(f"{name}: '{file}' is not a file name")
    return file
