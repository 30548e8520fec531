"""save and load: PyTorch's own file format, read without unpickling.

`save(obj, 'f.pt')` writes what `torch.save` writes by default: a zip archive holding
`<name>/data.pkl` (a pickle of the object, tensors as references to storages),
`<name>/data/<key>` (each storage's raw little-endian bytes), `.format_version`,
`.storage_alignment`, `byteorder`, `version` and `.data/serialization_id`, in torch's order,
each record's bytes starting at a multiple of 64 as in torch's files. The pickle is written
opcode by opcode here, as Python's pickler (protocol 2) writes it for torch: the same opcodes,
the same memo, so that data.pkl is byte for byte what torch.save writes for the same value.
(The pickle module cannot name torch's functions without torch.)

Tensors that share memory share a storage in the file, as in torch.save: a view (`x.T`,
`x[1:]`, `x.expand(...)`) is saved as its base's storage with its own offset and strides, and
the same tensor twice is saved once and loaded as one tensor. A tensor that overlaps itself
(an expanded tensor, stride 0) or whose memory is not an offset and strides into one array
is saved as a contiguous storage of its own (tcalc's broadcasts, e.g. some gradients, are
contiguous tensors in PyTorch).

`load('f.pt')` reads such files, from tcalc or from `torch.save`, with a small interpreter
of the pickle opcodes torch writes, which knows torch's tensor rebuilder, its storage types,
dtypes, Size, nn.Parameter's rebuilder and OrderedDict, and nothing else: a file asking for
anything else is refused, and nothing in a file is ever run. Tensors of one storage load as
views of one array (an in-place change of one shows in the others, as in PyTorch); one that
overlaps itself (an expanded tensor) loads read-only, as tcalc's own `expand`. Sizes are
checked against tcalc's limits before anything is allocated. An nn.Parameter loads as the
tensor that requires grad (tcalc has no parameters). A dict (an OrderedDict, a state_dict)
loads as a dict, its `_metadata` dropped. torch.save's legacy (pre-1.6) format is refused.

Files are reached through tcalc.files (regular files only, written atomically, read
bounded). A record is read as torch's reader reads it: stored, or deflated (inflated here
no further than its declared size, which is checked first); bzip2 and lzma records are
refused with torch's words. A tensor of a dtype tcalc lacks is refused naming the dtype.

`.npy` and `.npz` paths are NumPy's formats instead (tcalc.numpy_files), `.csv` a table
of numbers as text (tcalc.text_files): the extension picks the format.
"""
from __future__ import annotations

import hashlib
import os
import struct
import zipfile
import zlib

import numpy as np

from . import dtypes, files, limits
from .errors import TcalcTypeError, TcalcValueError
from .files import FileError, os_message  # (also where numpy_files and text_files take them)
from .tensor import Size, Tensor
from .values import type_name

# The dtype name of each torch storage type (DType.storage), for reading a pickle's globals.
_DTYPE_OF_STORAGE = {d.storage: d.name for d in dtypes.ALL}
_MAX_PICKLE_BYTES = 64 * 2 ** 20  # the object's structure, not its tensors' data
_MAX_DIRECTORY_BYTES = 16 * 2 ** 20  # the zip's list of records: some 200,000 tensors
_ALIGNMENT = 64  # torch's zip writer starts every record's data at a multiple of 64
# The first pickle of torch.save's legacy format: LONG1 of its magic number.
_LEGACY_MAGIC = b"\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19"
# What the zip reader and the decoders raise for damaged bytes ("zip file version 6.4",
# a bad CRC, an encrypted entry, a truncated record).
_DAMAGE = (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, ValueError,
           EOFError, OSError, KeyError, zlib.error, struct.error, OverflowError)


# ---- save -----------------------------------------------------------------------------

def save(obj, f) -> None:
    """torch.save(obj, f): write obj to the file f in PyTorch's format."""
    path = _path(f, "save")
    if _numpy_format(path):
        from . import numpy_files

        return numpy_files.save(obj, path)
    if _csv_format(path):
        from . import text_files

        return text_files.save_csv(obj, path)
    pickler = _Pickler()
    pickler.save(obj, 0)
    body = pickler.finish()
    # torch.save names the records after the file (its name without the extension), or
    # "archive" when the name is not ASCII.
    name = os.path.splitext(os.path.basename(path))[0]
    if not name or not name.isascii():
        name = "archive"

    def write(file) -> None:
        with files.zip_writer(file) as archive:
            crcs = []
            for record, data in [("data.pkl", body), (".format_version", b"1"),
                                 (".storage_alignment", b"64"), ("byteorder", b"little")]:
                crcs.append(_write_record(archive, f"{name}/{record}", data))
            for key, array in enumerate(pickler.storages):
                crcs.append(_write_record(archive, f"{name}/data/{key}", _bytes_of(array)))
            crcs.append(_write_record(archive, f"{name}/version", b"3\n"))
            # torch's id of this file: 40 digits, here a digest of the records, so that the same
            # value saved twice gives the same bytes.
            digest = int.from_bytes(hashlib.sha256(repr(crcs).encode()).digest()[:16], "little")
            _write_record(archive, f"{name}/.data/serialization_id", f"{digest:040d}".encode())

    # Written beside the target and renamed over it: a failure leaves the old file whole.
    files.write_atomically(path, write, "save")


def _write_record(archive: zipfile.ZipFile, name: str, data) -> tuple:
    """One stored record whose data starts at a multiple of 64, padded as torch pads it (an
    extra field "FB" of "Z"s in the local header)."""
    info = zipfile.ZipInfo(name, date_time=(1980, 0, 0, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED
    size = len(data)
    info.file_size = size
    # What zipfile writes before the data: the local header, the name, our extra field, and a
    # zip64 field of 20 bytes for a large record.
    zip64 = size * 1.05 > zipfile.ZIP64_LIMIT
    start = archive.start_dir + 30 + len(name.encode("utf-8")) + 4 + (20 if zip64 else 0)
    padding = -start % _ALIGNMENT
    info.extra = b"FB" + struct.pack("<H", padding) + b"Z" * padding
    with archive.open(info, "w") as out:
        files.write_chunked(out, data)
    return name, size, info.CRC


def _bytes_of(array: np.ndarray):
    """A storage's raw little-endian bytes, without a copy when they already are."""
    flat = array.reshape(-1, order="A")
    if flat.dtype.byteorder == ">":
        flat = flat.astype(flat.dtype.newbyteorder("<"))
    return memoryview(np.ascontiguousarray(flat).view(np.uint8))


class _Pickler:
    """Writes what Python's pickler (protocol 2) writes for torch.save, opcode by opcode:
    every object memoized in the order the pickler memoizes it, repeats as BINGETs."""

    def __init__(self):
        self.out = bytearray(b"\x80\x02")  # PROTO 2
        self.memo: dict = {}
        self.memo_size = 0
        self.keep: list = []  # the objects whose id() is a memo key, kept alive meanwhile
        self.storages: list[np.ndarray] = []  # each storage's array, by key
        self.storage_keys: dict[int, str] = {}  # id of a storage's array -> its key

    def finish(self) -> bytes:
        self.out += b"."  # STOP
        return bytes(self.out)

    # -- the memo
    def put(self, key=None) -> None:
        index = self.memo_size
        self.memo_size += 1
        if key is not None:
            self.memo[key] = index
        self.out += b"q" + bytes((index,)) if index < 256 else b"r" + struct.pack("<I", index)

    def get(self, key) -> bool:
        index = self.memo.get(key)
        if index is None:
            return False
        self.out += b"h" + bytes((index,)) if index < 256 else b"j" + struct.pack("<I", index)
        return True

    def put_object(self, obj) -> None:
        self.keep.append(obj)
        self.put(id(obj))

    # -- values
    def save(self, obj, depth: int) -> None:
        if depth > limits.LIMITS.max_depth:
            raise limits.refuse("max_depth", "the value to save nests too deeply")
        if obj is None:
            self.out += b"N"
        elif obj is True or obj is False:
            self.out += b"\x88" if obj else b"\x89"  # NEWTRUE, NEWFALSE
        elif type(obj) is int:
            self.int(obj)
        elif type(obj) is float:
            self.out += b"G" + struct.pack(">d", obj)  # BINFLOAT
        elif self.get(id(obj)):
            pass  # saved before: the memo's copy
        elif type(obj) is str:
            self.str(obj)
            self.put_object(obj)
        elif type(obj) is Tensor:
            self.tensor(obj)
            self.put_object(obj)
        elif isinstance(obj, dtypes.DType):
            self.global_("torch", obj.name)
        elif isinstance(obj, Size):  # torch.Size((2, 3)): Size.__reduce__
            self.global_("torch", "Size")
            self.ints(obj)
            self.out += b"\x85"  # TUPLE1: the arguments
            self.put()
            self.out += b"R"  # REDUCE
            self.put_object(obj)
        elif type(obj) is list:
            self.out += b"]"  # EMPTY_LIST
            self.put_object(obj)
            if len(obj) == 1:
                self.save(obj[0], depth + 1)
                self.out += b"a"  # APPEND
            else:
                for start in range(0, len(obj), 1000):  # the C pickler's batches of 1000
                    self.out += b"("
                    for item in obj[start:start + 1000]:
                        self.save(item, depth + 1)
                    self.out += b"e"  # APPENDS
        elif type(obj) is dict:
            self.out += b"}"  # EMPTY_DICT
            self.put_object(obj)
            items = list(obj.items())
            for key, _ in items:
                if type(key) not in (str, int, float, bool) and key is not None:
                    raise TcalcTypeError(f"save: a dict key of type {type_name(key)} cannot be saved",
                                         hint="name the tensors by strings: {'W': W}")
            if len(items) == 1:
                self.save(items[0][0], depth + 1)
                self.save(items[0][1], depth + 1)
                self.out += b"s"  # SETITEM
            else:
                for start in range(0, len(items), 1000):  # the C pickler's batches of 1000
                    self.out += b"("
                    for key, value in items[start:start + 1000]:
                        self.save(key, depth + 1)
                        self.save(value, depth + 1)
                    self.out += b"u"  # SETITEMS
        elif isinstance(obj, tuple):  # torch.return_types save as the tuples they are
            if self.tuple(obj, depth):
                self.put_object(obj)
        else:
            raise TcalcTypeError(f"save: cannot save a value of type {type_name(obj)}",
                                 hint="save tensors, numbers, strings, and lists, tuples or dicts of them")

    def tuple(self, items: tuple, depth: int) -> bool:
        """The tuple's opcodes; whether it is to be memoized (the empty tuple is not)."""
        if not items:
            self.out += b")"  # EMPTY_TUPLE
            return False
        if len(items) > 3:
            self.out += b"("
        for item in items:
            self.save(item, depth + 1)
        self.out += b"t" if len(items) > 3 else bytes((0x84 + len(items),))  # TUPLE, TUPLE1-3
        return True

    def ints(self, values) -> None:
        """A fresh tuple of ints (a tensor's size or stride)."""
        if self.tuple(tuple(values), 0):
            self.put()

    def int(self, n: int) -> None:
        if 0 <= n < 256:
            self.out += b"K" + bytes((n,))  # BININT1
        elif 0 <= n < 65536:
            self.out += b"M" + struct.pack("<H", n)  # BININT2
        elif -2 ** 31 <= n < 2 ** 31:
            self.out += b"J" + struct.pack("<i", n)  # BININT
        else:  # LONG1, as pickle.encode_long
            data = n.to_bytes((n.bit_length() >> 3) + 1, "little", signed=True)
            if n < 0 and len(data) > 1 and data[-1] == 0xFF and data[-2] & 0x80:
                data = data[:-1]
            if len(data) > 255:
                raise TcalcValueError("save: an integer too large to save")
            self.out += b"\x8a" + bytes((len(data),)) + data

    def str(self, text: str) -> None:
        data = text.encode("utf-8", "surrogatepass")
        self.out += b"X" + struct.pack("<I", len(data)) + data  # BINUNICODE

    def global_(self, module: str, name: str) -> None:
        if not self.get(("global", module, name)):
            self.out += b"c" + module.encode() + b"\n" + name.encode() + b"\n"  # GLOBAL
            self.put(("global", module, name))

    def const_str(self, text: str) -> None:
        """A string torch's pickles share between tensors ('storage', 'cpu', a storage key)."""
        if not self.get(("str", text)):
            self.str(text)
            self.put(("str", text))

    def tensor(self, t: Tensor) -> None:
        """Tensor.__reduce_ex__: _rebuild_tensor_v2(storage, offset, size, stride,
        requires_grad, OrderedDict()) with the storage as a persistent id."""
        storage, offset, strides = self.storage_of(t.data)
        key = self.storage_keys.get(id(storage))
        if key is None:
            key = self.storage_keys[id(storage)] = str(len(self.storages))
            self.storages.append(storage)
        self.global_("torch._utils", "_rebuild_tensor_v2")
        self.out += b"(("  # the arguments' MARK, the persistent id's MARK
        self.const_str("storage")
        self.global_("torch", t.dtype.storage)
        if not self.get(("key", key)):
            self.str(key)
            self.put(("key", key))
        self.const_str("cpu")
        self.int(storage.size)
        self.out += b"t"
        self.put()
        self.out += b"Q"  # BINPERSID: the storage
        self.int(offset)
        self.ints(t.data.shape)
        self.ints(strides)
        self.out += b"\x88" if t.requires_grad else b"\x89"
        self.global_("collections", "OrderedDict")
        self.out += b")R"  # OrderedDict(): no backward hooks
        self.put()
        self.out += b"t"
        self.put()
        self.out += b"R"  # _rebuild_tensor_v2(*arguments)

    @staticmethod
    def storage_of(a: np.ndarray):
        """The array holding a's memory (the base of its views, as torch's storage), a's
        offset into it and a's strides, in elements."""
        root = a
        while isinstance(root.base, np.ndarray):
            root = root.base
        itemsize = a.itemsize
        if a.size and root.dtype == a.dtype and (root.flags.c_contiguous or root.flags.f_contiguous):
            offset = a.__array_interface__["data"][0] - root.__array_interface__["data"][0]
            if (0 <= offset < root.nbytes and offset % itemsize == 0
                    and all(s >= 0 and s % itemsize == 0 for s in a.strides)):
                strides = tuple(s // itemsize for s in a.strides)
                # Not a tensor that overlaps itself: NumPy's broadcasts (a gradient, an
                # expand) are saved as the contiguous tensors PyTorch would have made.
                if not _overlaps(a.shape, strides):
                    return root, offset // itemsize, strides
        # A storage of its own: a contiguous copy, with torch's contiguous strides.
        data = np.ascontiguousarray(a) if a.size else np.zeros(a.shape, a.dtype)
        if data is a:
            data = a.copy()  # a contiguous part of an array that is not one storage
        strides, step = [], 1
        for n in reversed(a.shape):
            strides.append(step)
            step *= max(n, 1)
        return data, 0, tuple(reversed(strides))


# ---- load -----------------------------------------------------------------------------

def load(f, map_location=None, weights_only=None, **ignored):
    """torch.load(f): the object saved in the file f (PyTorch's zip format)."""
    path = _path(f, "load")
    if _numpy_format(path):
        from . import numpy_files

        return numpy_files.load(path)
    if _csv_format(path):
        from . import text_files

        return text_files.load_csv(path)
    file = files.open_for_reading(path, "load")
    try:
        archive = _open_archive(file, path)
    except BaseException:
        file.close()
        raise
    with file, archive:
        try:
            return _Reader(archive, path).read()
        except TcalcValueError:
            raise
        except MemoryError:
            raise limits.refuse("max_elements", f"'{path}' is too large for this machine") from None
        except _DAMAGE as err:  # what zipfile, zlib and struct raise for bytes that lie
            raise FileError(f"'{path}' is damaged: {err}") from None


def _open_archive(file, path: str) -> zipfile.ZipFile:
    """The zip archive in file, its central directory's size checked before zipfile reads
    it (a small file cannot make it build millions of records)."""
    try:
        end = zipfile._EndRecData(file)  # (what ZipFile reads first: the end record)
        if end is not None and end[zipfile._ECD_SIZE] > _MAX_DIRECTORY_BYTES:
            raise FileError(f"'{path}' is damaged: its zip directory is {end[zipfile._ECD_SIZE]:,} bytes, "
                            f"more than a file of tensors has ({_MAX_DIRECTORY_BYTES:,} at most)")
        file.seek(0)
        return zipfile.ZipFile(file)
    except OSError as err:
        raise FileError(os_message(err, path)) from None
    except zipfile.BadZipFile:
        if _is_legacy(file):
            raise FileError(f"'{path}' is in torch.save's legacy format (_use_new_zipfile_serialization="
                            "False, or PyTorch before 1.6), which tcalc does not read",
                            hint="in PyTorch, load it and save it again: torch.save(torch.load(f), f)") from None
        raise FileError(f"'{path}' is not a file torch.save wrote: tcalc reads PyTorch's zip format "
                        "(torch.save's default since PyTorch 1.6)") from None
    except _DAMAGE as err:
        raise FileError(f"'{path}' is damaged: {err}") from None


def _is_legacy(file) -> bool:
    try:
        file.seek(0)
        head = file.read(16)
    except OSError:
        return False
    return head.startswith(b"\x80") and head[2:].startswith(_LEGACY_MAGIC)


class _Global:
    """A global the file names; only these can be called."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name


class _StorageType:
    __slots__ = ("dtype",)

    def __init__(self, dtype: str):
        self.dtype = dtype


_REBUILD, _ORDERED_DICT, _PARAMETER, _SIZE, _REBUILD_V3 = (
    _Global("_rebuild_tensor_v2"), _Global("OrderedDict"), _Global("_rebuild_parameter"), _Global("Size"),
    _Global("_rebuild_tensor_v3"))
# torch.save writes a storage of a dtype with no storage class of its own (uint16, float8, ...)
# untyped, naming the dtype after it (_rebuild_tensor_v3): known, so that the dtype is what
# the refusal names.
_UNTYPED = _StorageType(None)
_ALLOWED = {("torch._utils", "_rebuild_tensor_v2"): _REBUILD,
            ("collections", "OrderedDict"): _ORDERED_DICT,
            ("torch._utils", "_rebuild_parameter"): _PARAMETER,
            ("torch", "Size"): _SIZE,
            ("torch._utils", "_rebuild_tensor_v3"): _REBUILD_V3,
            ("torch.storage", "UntypedStorage"): _UNTYPED}
# PyTorch's dtypes that tcalc does not have, by the names torch's pickles give them (the
# dtype, or its storage class), and the kinds of tensors tcalc does not have, by rebuilder.
_LACKING_DTYPES = {"bfloat16", "complex32", "complex64", "complex128", "uint16", "uint32", "uint64",
                   "float8_e4m3fn", "float8_e4m3fnuz", "float8_e5m2", "float8_e5m2fnuz", "float8_e8m0fnu",
                   "float4_e2m1fn_x2", "qint8", "qint32", "quint8", "quint4x2", "quint2x4", "bits1x8",
                   "bits2x4", "bits4x2", "bits8", "bits16", *(f"int{n}" for n in range(1, 8)),
                   *(f"uint{n}" for n in range(1, 8))}
_LACKING_STORAGES = {"BFloat16Storage": "bfloat16", "ComplexFloatStorage": "complex64",
                     "ComplexDoubleStorage": "complex128", "QInt8Storage": "qint8", "QInt32Storage": "qint32",
                     "QUInt8Storage": "quint8", "QUInt4x2Storage": "quint4x2", "QUInt2x4Storage": "quint2x4"}
_LACKING_KINDS = {"_rebuild_qtensor": "quantized tensors", "_rebuild_sparse_tensor": "sparse tensors",
                  "_rebuild_nested_tensor": "nested tensors"}
_ALLOWED.update({("torch", d.name): d for d in dtypes.ALL})  # dtypes are plain values


class _Reader:
    """Reads a zip archive written by torch.save (or save)."""

    def __init__(self, archive: zipfile.ZipFile, path: str):
        self.archive, self.path = archive, path
        pickles = [n for n in archive.namelist() if n.endswith("/data.pkl") and n.count("/") == 1]
        if len(pickles) != 1:
            raise FileError(f"'{path}' is not a file torch.save wrote: it holds no data.pkl record")
        self.prefix = pickles[0][: -len("data.pkl")]
        self.byteorder = "<"
        self.storages: dict[str, np.ndarray] = {}
        self.allocated = 0  # elements of the storages read so far

    def _damaged(self, what: str) -> FileError:
        return FileError(f"'{self.path}' is damaged: {what}")

    def _record(self, name: str, optional: bool = False):
        try:
            info = self.archive.getinfo(self.prefix + name)
        except KeyError:
            if optional:
                return None
            raise self._damaged(f"it has no record {name}") from None
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            # torch's reader (miniz) inflates deflate only; bzip2 and lzma are refused so.
            method = {zipfile.ZIP_BZIP2: "bzip2", zipfile.ZIP_LZMA: "lzma"}.get(
                info.compress_type, f"method {info.compress_type}")
            raise FileError(f"'{self.path}': PytorchStreamReader failed retrieving file meta-data for "
                            f"{name}: unsupported method",
                            hint=f"its record {name} is compressed with {method}, which torch.load does not "
                                 "read (torch.save stores its records uncompressed)")
        return info

    def _read_record(self, info: zipfile.ZipInfo, limit: int) -> bytearray:
        if info.file_size > limit:
            raise FileError(f"'{self.path}': the record {info.filename} is larger than it says")
        return self._bytes(info, info.file_size)

    def _bytes(self, info: zipfile.ZipInfo, nbytes: int) -> bytearray:
        """The first nbytes of a record (its declared size, at least nbytes, already checked
        against the limits); deflated records are inflated no further than that size."""
        buffer = bytearray(nbytes)
        if info.compress_type == zipfile.ZIP_DEFLATED:
            self._inflate(info, buffer)
            return buffer
        with self.archive.open(info) as record:
            if record.readinto(buffer) != nbytes:
                raise self._damaged(f"the record {info.filename} ends early")
            if info.file_size == nbytes:
                record.read(1)  # to the end of the record: zipfile checks its CRC there
        return buffer

    def _inflate(self, info: zipfile.ZipInfo, buffer: bytearray) -> None:
        """A deflated record into buffer, by our own loop rather than zipfile's, so that the
        output is bounded by the declared size, and a stream that goes on past it (a bomb)
        is refused, not cut short."""
        if info.flag_bits & 0x1:
            raise self._damaged(f"the record {info.filename} is encrypted")
        file = self.archive.fp
        file.seek(info.header_offset)
        header = file.read(30)
        if len(header) != 30 or header[:4] != b"PK\x03\x04":
            raise self._damaged(f"the record {info.filename} has no header")
        name_length, extra_length = struct.unpack("<HH", header[26:30])
        file.seek(info.header_offset + 30 + name_length + extra_length)
        declared, unread = info.file_size, info.compress_size
        inflater = zlib.decompressobj(-15)
        out = memoryview(buffer)
        total = crc = 0
        while not inflater.eof:
            data = inflater.unconsumed_tail
            if not data:
                data = file.read(min(unread, 1 << 20)) if unread > 0 else b""
                unread -= len(data)
                if not data:
                    break
            # One byte more than the declared size is allowed, to see a stream that lies.
            piece = inflater.decompress(data, min(declared - total + 1, files.WRITE_CHUNK))
            if total + len(piece) > declared:
                raise FileError(f"'{self.path}': the record {info.filename} inflates to more than the "
                                f"{declared:,} bytes it declares", hint="the file is damaged or made to "
                                "exhaust memory (a zip bomb); it is not read further")
            crc = zlib.crc32(piece, crc)
            start = min(total, len(out))
            out[start:start + len(piece)] = piece[:len(out) - start]
            total += len(piece)
        if not inflater.eof or total != declared:
            raise self._damaged(f"the record {info.filename} ends early")
        if crc != info.CRC:
            raise self._damaged(f"Bad CRC-32 for file '{info.filename}'")

    def read(self):
        for name in (".data/serialization_id", ".format_version", ".storage_alignment"):
            self._record(name, optional=True)  # torch refuses these too when bzip2 or lzma
        info = self._record("data.pkl")
        order = self._record("byteorder", optional=True)
        if order is not None:
            self.byteorder = "<" if self._read_record(order, 16) == b"little" else ">"
        value = self._unpickle(bytes(self._read_record(info, _MAX_PICKLE_BYTES)))
        self._check_size(value)
        return self._finish(value, 0, {})

    # -- the opcodes torch.save writes, and nothing else
    def _unpickle(self, data: bytes):
        stack: list = []
        marks: list[int] = []
        memo: dict[int, object] = {}
        pos, size = 0, len(data)
        damaged = self._damaged

        def take(n: int) -> bytes:
            nonlocal pos
            if pos + n > size:
                raise damaged("its data.pkl ends early")
            chunk = data[pos:pos + n]
            pos += n
            return chunk

        def line() -> str:
            nonlocal pos
            end = data.find(b"\n", pos)
            if end < 0:
                raise damaged("its data.pkl ends early")
            text = data[pos:end].decode("utf-8", "replace")
            pos = end + 1
            return text

        def pop_mark() -> list:
            if not marks:
                raise damaged("unbalanced marks in its data.pkl")
            start = marks.pop()
            items = stack[start:]
            del stack[start:]
            return items

        def pop():
            if not stack or (marks and len(stack) <= marks[-1]):
                raise damaged("its data.pkl pops an empty stack")
            return stack.pop()

        while True:
            op = take(1)
            if op == b"\x80":  # PROTO
                take(1)
            elif op == b"\x95":  # FRAME
                take(8)
            elif op == b".":  # STOP
                if len(stack) != 1 or marks:
                    raise damaged(f"its data.pkl leaves {len(stack)} values")
                return stack[0]
            elif op == b"(":
                if len(marks) > limits.LIMITS.max_depth:
                    raise limits.refuse("max_depth", "the file's values nest too deeply")
                marks.append(len(stack))
            elif op == b"}":
                stack.append({})
            elif op == b"]":
                stack.append([])
            elif op == b")":
                stack.append(())
            elif op == b"t":
                stack.append(tuple(pop_mark()))
            elif op in (b"\x85", b"\x86", b"\x87"):  # TUPLE1-3
                n = op[0] - 0x84
                if len(stack) - (marks[-1] if marks else 0) < n:
                    raise damaged("its data.pkl pops an empty stack")
                items = tuple(stack[-n:])
                del stack[-n:]
                stack.append(items)
            elif op == b"a":  # APPEND
                value = pop()
                self._container(stack, marks, list).append(value)
            elif op == b"e":  # APPENDS
                items = pop_mark()
                container = self._container(stack, marks, list)
                limits.check_list(len(container) + len(items))
                container.extend(items)
            elif op == b"s":  # SETITEM
                value, key = pop(), pop()
                self._container(stack, marks, dict)[self._key(key)] = value
            elif op == b"u":  # SETITEMS
                items = pop_mark()
                if len(items) % 2:
                    raise damaged("an odd SETITEMS in its data.pkl")
                container = self._container(stack, marks, dict)
                for i in range(0, len(items), 2):
                    container[self._key(items[i])] = items[i + 1]
            elif op == b"K":  # BININT1
                stack.append(take(1)[0])
            elif op == b"M":  # BININT2
                stack.append(struct.unpack("<H", take(2))[0])
            elif op == b"J":  # BININT
                stack.append(struct.unpack("<i", take(4))[0])
            elif op == b"\x8a":  # LONG1
                stack.append(int.from_bytes(take(take(1)[0]), "little", signed=True))
            elif op == b"G":  # BINFLOAT
                stack.append(struct.unpack(">d", take(8))[0])
            elif op == b"\x8c":  # SHORT_BINUNICODE
                stack.append(take(take(1)[0]).decode("utf-8", "surrogatepass"))
            elif op == b"X":  # BINUNICODE
                stack.append(take(struct.unpack("<I", take(4))[0]).decode("utf-8", "surrogatepass"))
            elif op == b"N":
                stack.append(None)
            elif op == b"\x88":
                stack.append(True)
            elif op == b"\x89":
                stack.append(False)
            elif op == b"q":  # BINPUT
                memo[take(1)[0]] = self._top(stack, marks)
            elif op == b"r":  # LONG_BINPUT
                memo[struct.unpack("<I", take(4))[0]] = self._top(stack, marks)
            elif op == b"\x94":  # MEMOIZE
                memo[len(memo)] = self._top(stack, marks)
            elif op in (b"h", b"j"):  # BINGET, LONG_BINGET
                index = take(1)[0] if op == b"h" else struct.unpack("<I", take(4))[0]
                if index not in memo:
                    raise damaged("its data.pkl reads an unset memo")
                stack.append(memo[index])
            elif op == b"c":  # GLOBAL
                stack.append(self._global(line(), line()))
            elif op == b"\x93":  # STACK_GLOBAL
                name, module = pop(), pop()
                stack.append(self._global(str(module), str(name)))
            elif op == b"Q":  # BINPERSID
                stack.append(self._storage(pop()))
            elif op == b"b":  # BUILD: a state_dict's `_metadata` attribute, dropped
                state = pop()
                if type(state) is not dict or type(self._top(stack, marks)) is not dict:
                    raise damaged("its data.pkl sets the state of something other than a dict")
            elif op == b"R":  # REDUCE
                arguments, function = pop(), pop()
                stack.append(self._call(function, arguments))
            else:
                raise FileError(f"'{self.path}' holds something tcalc does not load (pickle opcode "
                                f"{op!r} at byte {pos - 1}); tcalc reads what torch.save writes "
                                "for tensors, numbers and lists")

    def _top(self, stack, marks):
        if not stack or (marks and len(stack) <= marks[-1]):
            raise self._damaged("its data.pkl memoizes an empty stack")
        return stack[-1]

    def _container(self, stack, marks, kind):
        if not stack or (marks and len(stack) <= marks[-1]) or type(stack[-1]) is not kind:
            raise self._damaged(f"its data.pkl adds items to a non-{kind.__name__}")
        return stack[-1]

    def _key(self, key):
        if type(key) not in (str, int, float, bool) and key is not None:
            raise self._damaged("a dict key of an unexpected kind")
        return key

    def _global(self, module: str, name: str):
        allowed = _ALLOWED.get((module, name))
        if allowed is not None:
            return allowed
        if module == "torch" and name in _DTYPE_OF_STORAGE:
            return _StorageType(_DTYPE_OF_STORAGE[name])
        if module == "torch" and (name in _LACKING_DTYPES or name in _LACKING_STORAGES):
            dtype = _LACKING_STORAGES.get(name, name)
            raise FileError(f"cannot load '{self.path}': it holds torch.{dtype}, a dtype tcalc does not have",
                            hint="tcalc's dtypes: " + ", ".join(d.name for d in dtypes.ALL)
                                 + "; in PyTorch, save a converted copy, e.g. torch.save(x.float(), f)")
        if module == "torch._utils" and name in _LACKING_KINDS:
            raise FileError(f"cannot load '{self.path}': it holds {_LACKING_KINDS[name]}, which tcalc "
                            "does not have", hint="in PyTorch, save a dense copy: x.to_dense() or x.dequantize()")
        raise FileError(f"refusing to load '{self.path}': it asks for {module}.{name}, and tcalc "
                        "loads only tensors and plain data (nothing in a file is ever run)",
                        hint="load files that torch.save or tcalc's save wrote from tensors, numbers "
                             "and lists")

    def _storage(self, pid):
        """A storage, read the first time a tensor refers to it: its size checked against the
        limits and against its record before anything is allocated."""
        if not (type(pid) is tuple and len(pid) == 5 and pid[0] == "storage"
                and type(pid[1]) is _StorageType and type(pid[2]) is str and type(pid[4]) is int):
            raise self._damaged("an unexpected storage reference")
        storage_type, key, numel = pid[1], pid[2], pid[4]
        if storage_type is _UNTYPED:  # its dtype comes later: refused there, never read
            return _UNTYPED
        if key in self.storages:
            if self.storages[key].size != numel or self.storages[key].dtype.name != storage_type.dtype:
                raise self._damaged(f"storage {key} is named with two sizes or types")
            return self.storages[key]
        if numel < 0:
            raise self._damaged(f"a storage of {numel} elements")
        limits.check_elements(numel, "a stored tensor")
        live = limits.live_elements()
        if live + self.allocated + numel > limits.LIMITS.max_total_elements:
            raise limits.refuse("max_total_elements",
                                f"the tensors in '{self.path}' would bring the session's tensors to "
                                f"{live + self.allocated + numel:,} elements",
                                "free some with `name = None`")
        dtype = np.dtype(dtypes.BY_NAME[storage_type.dtype].numpy).newbyteorder(self.byteorder)
        info = self._record(f"data/{key}")
        nbytes = numel * dtype.itemsize
        if info.file_size < nbytes:
            raise self._damaged(f"storage {key} holds {info.file_size} bytes, not the {nbytes} its "
                                "tensors need")
        if info.file_size > nbytes + 64:
            raise FileError(f"'{self.path}': the record {info.filename} is larger than it says")
        array = np.frombuffer(self._bytes(info, nbytes), dtype=dtype)
        if dtype.byteorder == ">":
            array = array.astype(dtype.newbyteorder("="))
        self.allocated += numel
        self.storages[key] = array
        return array

    def _call(self, function, arguments):
        if type(arguments) is not tuple:
            raise self._damaged("a call without an argument tuple")
        if function is _ORDERED_DICT:
            if arguments:
                raise self._damaged("OrderedDict called with arguments")
            return {}
        if function is _REBUILD:
            return self._rebuild(arguments)
        if function is _REBUILD_V3:  # torch writes it only for dtypes tcalc lacks (refused before)
            raise self._damaged("an untyped storage of a dtype that has a storage type")
        if function is _SIZE:
            if (len(arguments) != 1 or type(arguments[0]) is not tuple
                    or not all(type(n) is int and n >= 0 for n in arguments[0])):
                raise self._damaged("a malformed torch.Size")
            return Size(arguments[0])
        if function is _PARAMETER:  # nn.Parameter(data, requires_grad, hooks)
            if len(arguments) < 2 or type(arguments[0]) is not Tensor:
                raise self._damaged("a parameter without its tensor")
            tensor = arguments[0]
            self._requires_grad(tensor, arguments[1])
            return tensor
        raise self._damaged("it calls something that is not a function")

    def _requires_grad(self, tensor: Tensor, flag) -> None:
        if flag is True and not tensor.dtype.is_floating_point:
            raise FileError(f"'{self.path}': only Tensors of floating point and complex dtype can "
                            "require gradients")
        tensor.requires_grad = flag is True

    def _rebuild(self, arguments) -> Tensor:
        """_rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks): a view of
        the storage (read-only if it overlaps itself, as an expanded tensor)."""
        if len(arguments) < 5:
            raise self._damaged("a tensor with too few arguments")
        storage, offset, shape, strides, requires_grad = arguments[:5]
        if (type(storage) is not np.ndarray or type(offset) is not int or type(shape) is not tuple
                or type(strides) is not tuple or len(shape) != len(strides)
                or not all(type(n) is int and n >= 0 for n in shape + strides) or offset < 0
                or len(shape) > 64):
            raise self._damaged("a tensor with a malformed size or stride")
        count = 1
        for n in shape:
            count *= n
        if count > limits.LIMITS.max_elements:
            raise limits.refuse("max_elements", f"a stored tensor of {count:,} elements is too large")
        if count:
            last = offset + sum((n - 1) * s for n, s in zip(shape, strides))
            if last >= storage.size:
                raise self._damaged("a tensor reaches past its storage")
            itemsize = storage.itemsize
            data = np.lib.stride_tricks.as_strided(
                storage[offset:], shape=shape, strides=[s * itemsize for s in strides],
                writeable=not _overlaps(shape, strides))
        else:
            data = np.zeros(shape, dtype=storage.dtype)
        tensor = Tensor(data)
        self._requires_grad(tensor, requires_grad)
        return tensor

    def _check_size(self, value) -> None:
        """The loaded value's items, a shared list counted wherever it appears (so that a small
        file cannot hold an exponentially large value), within the list limit."""
        sizes: dict[int, int] = {}
        stack = [(value, False)]
        while stack:
            item, done = stack.pop()
            if type(item) not in (list, tuple, dict) or (id(item) in sizes and not done):
                continue
            children = list(item.values()) if type(item) is dict else item
            if not done:
                sizes[id(item)] = 0  # (a cycle counts as nothing here; _finish refuses it)
                stack.append((item, True))
                stack.extend((child, False) for child in children)
            else:
                sizes[id(item)] = len(children) + sum(
                    sizes.get(id(c), 0) for c in children if type(c) in (list, tuple, dict))
                if sizes[id(item)] > limits.LIMITS.max_list_items:
                    limits.check_list(sizes[id(item)])

    def _finish(self, value, depth: int, done: dict):
        """The loaded value as tcalc values (an OrderedDict, a state_dict, as a dict)."""
        if depth > limits.LIMITS.max_depth:
            raise limits.refuse("max_depth", "the file's values nest too deeply")
        if type(value) is dict:
            if id(value) in done:
                return done[id(value)]
            result = done[id(value)] = {}
            for key, item in value.items():
                result[key] = self._finish(item, depth + 1, done)
            return result
        if type(value) in (list, tuple):
            if id(value) in done:  # a list the file shares: shared here too
                return done[id(value)]
            items = [self._finish(item, depth + 1, done) for item in value]
            result = items if type(value) is list else tuple(items)
            done[id(value)] = result
            return result
        if value is None or type(value) in (Tensor, int, float, bool, str, Size) or isinstance(
                value, dtypes.DType):
            return value
        raise FileError(f"'{self.path}' holds a value tcalc does not load")


def _overlaps(shape, strides) -> bool:
    """Whether two indices of a view reach the same element (torch's internal overlap)."""
    extent = 0  # the elements the smaller-strided dims span
    for n, s in sorted(((n, s) for n, s in zip(shape, strides) if n > 1), key=lambda d: d[1]):
        if s <= extent:
            return True
        extent += (n - 1) * s
    return False


# ---- both -----------------------------------------------------------------------------

def _path(f, name: str) -> str:
    if type(f) is not str:
        raise TcalcTypeError(f"{name}: the file must be a path in quotes, not {type_name(f)}",
                             hint=f"e.g. {name}(x, 'x.pt')" if name == "save" else "e.g. load('x.pt')")
    if not f or "\x00" in f:
        raise FileError(f"{name}: '{f}' is not a file name")
    return f


def _numpy_format(path: str) -> bool:
    """The extension picks the format: .npy and .npz are NumPy's (tcalc.numpy_files), any
    other PyTorch's."""
    return os.path.splitext(path)[1].lower() in (".npy", ".npz")


def _csv_format(path: str) -> bool:
    """.csv is a table of numbers as text (tcalc.text_files)."""
    return path.lower().endswith(".csv")
