"""save and load: PyTorch's own file format, read without unpickling.

`save(obj, 'f.pt')` writes what `torch.save` writes by default: a zip archive holding
`<name>/data.pkl` (a pickle of the object, tensors as references to storages),
`<name>/data/<key>` (each storage's raw little-endian bytes) and a few small records, so
that PyTorch's `torch.load('f.pt')` reads it. The pickle is written opcode by opcode here:
the pickle module cannot name torch's functions without torch.

`load('f.pt')` reads such files, from tcalc or from `torch.save`, with a small interpreter
of the pickle opcodes torch writes, which knows three globals (torch's tensor rebuilder,
its storage types and OrderedDict) and nothing else: a file asking for anything else is
refused, and nothing in a file is ever run. Sizes are checked against tcalc's limits before
anything is allocated.

What is saved: tensors (dtype, shape, requires_grad; each as a contiguous storage of its
own, so tensors that shared memory are loaded as copies), Python numbers, bools, strings,
None, dtypes, torch.Size, and lists and tuples of those. These are the values tcalc has; a file holding a dict
(a state_dict) is refused, as tcalc has no dict values.
"""
from __future__ import annotations

import os
import struct
import zipfile
import zlib

import numpy as np

from . import dtypes, limits
from .errors import TcalcTypeError, TcalcValueError
from .tensor import Size, Tensor

# torch's storage type for each dtype, as its pickles name them.
_STORAGE = {
    "bool": "BoolStorage", "uint8": "ByteStorage", "int8": "CharStorage", "int16": "ShortStorage",
    "int32": "IntStorage", "int64": "LongStorage", "float16": "HalfStorage",
    "float32": "FloatStorage", "float64": "DoubleStorage",
}
_DTYPE_OF_STORAGE = {storage: name for name, storage in _STORAGE.items()}
_MAX_PICKLE_BYTES = 64 * 2 ** 20  # the object's structure, not its tensors' data
# What the zip reader and the decoders raise for damaged bytes ("zip file version 6.4",
# a bad CRC, an encrypted entry, a truncated record).
_DAMAGE = (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, ValueError,
           EOFError, OSError, KeyError, zlib.error, struct.error, OverflowError)


class FileError(TcalcValueError):
    """A file that cannot be read or written, in the words of the OS or of the format."""

    kind = "file error"


# ---- save -----------------------------------------------------------------------------

def save(obj, f) -> None:
    """torch.save(obj, f): write obj to the file f in PyTorch's format."""
    path = _path(f, "save")
    storages: list[np.ndarray] = []
    body = bytearray(b"\x80\x02")  # PROTO 2, as torch.save writes
    _write(obj, body, storages, depth=0)
    body += b"."  # STOP
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileError(f"Parent directory {os.path.dirname(path) or '.'} does not exist.")
    name = os.path.splitext(os.path.basename(path))[0] or "archive"
    # Written beside the target and renamed over it: a failure leaves the old file whole.
    temporary = os.path.join(folder, f".{os.path.basename(path)}.tcalc-{os.getpid()}.tmp")
    try:
        with zipfile.ZipFile(temporary, "w", zipfile.ZIP_STORED) as archive:
            archive.writestr(f"{name}/data.pkl", bytes(body))
            archive.writestr(f"{name}/.format_version", "1")
            archive.writestr(f"{name}/.storage_alignment", "64")
            archive.writestr(f"{name}/byteorder", "little")
            for key, array in enumerate(storages):
                archive.writestr(f"{name}/data/{key}", _little_endian(array).tobytes())
            archive.writestr(f"{name}/version", "3\n")
            archive.writestr(f"{name}/.data/serialization_id", os.urandom(20).hex())
        os.replace(temporary, path)
    except OSError as err:
        raise FileError(_os_message(err, path)) from None
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def _write(obj, out: bytearray, storages: list, depth: int) -> None:
    if depth > limits.LIMITS.max_depth:
        raise limits.refuse("max_depth", "the value to save nests too deeply")
    if obj is None:
        out += b"N"
    elif obj is True or obj is False:
        out += b"\x88" if obj else b"\x89"
    elif type(obj) is int:
        _write_int(obj, out)
    elif type(obj) is float:
        out += b"G" + struct.pack(">d", obj)
    elif type(obj) is str:
        _write_str(obj, out)
    elif type(obj) is Tensor:
        _write_tensor(obj, out, storages)
    elif isinstance(obj, dtypes.DType):
        _write_global("torch", obj.name, out)
    elif isinstance(obj, Size):  # torch.Size((2, 3))
        _write_global("torch", "Size", out)
        out += b"(("
        for n in obj:
            _write_int(n, out)
        out += b"ttR"
    elif type(obj) is list:
        out += b"]("  # EMPTY_LIST, MARK
        for item in obj:
            _write(item, out, storages, depth + 1)
        out += b"e"  # APPENDS
    elif isinstance(obj, tuple):  # torch.Size and return_types save as the tuples they are
        out += b"("
        for item in obj:
            _write(item, out, storages, depth + 1)
        out += b"t"  # TUPLE
    else:
        from .render import type_name

        raise TcalcTypeError(f"save: cannot save a value of type {type_name(obj)}",
                             hint="save tensors, numbers, strings, and lists or tuples of them")


def _write_int(n: int, out: bytearray) -> None:
    if 0 <= n < 256:
        out += b"K" + bytes((n,))  # BININT1
    elif 0 <= n < 65536:
        out += b"M" + struct.pack("<H", n)  # BININT2
    elif -2 ** 31 <= n < 2 ** 31:
        out += b"J" + struct.pack("<i", n)  # BININT
    else:
        data = n.to_bytes((n.bit_length() + 8) // 8, "little", signed=True)
        if len(data) > 255:
            raise TcalcValueError("save: an integer too large to save")
        out += b"\x8a" + bytes((len(data),)) + data  # LONG1


def _write_str(text: str, out: bytearray) -> None:
    data = text.encode("utf-8", "surrogatepass")
    out += b"X" + struct.pack("<I", len(data)) + data  # BINUNICODE


def _write_global(module: str, name: str, out: bytearray) -> None:
    out += b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def _write_tensor(t: Tensor, out: bytearray, storages: list) -> None:
    data = t.data if t.data.flags.c_contiguous else t.data.copy(order="C")  # (0-d stays 0-d)
    key = str(len(storages))
    storages.append(data)
    _write_global("torch._utils", "_rebuild_tensor_v2", out)
    out += b"(("  # the arguments' MARK, the storage reference's MARK
    _write_str("storage", out)
    _write_global("torch", _STORAGE[data.dtype.name], out)
    _write_str(key, out)
    _write_str("cpu", out)
    _write_int(data.size, out)
    out += b"tQ"  # TUPLE, BINPERSID: the storage
    _write_int(0, out)  # storage offset
    out += b"("
    for n in data.shape:
        _write_int(n, out)
    out += b"t("
    stride = 1
    strides = []
    for n in reversed(data.shape):
        strides.append(stride)
        stride *= n
    for s in reversed(strides):
        _write_int(s, out)
    out += b"t"
    out += b"\x88" if t.requires_grad else b"\x89"
    _write_global("collections", "OrderedDict", out)
    out += b")R"  # OrderedDict(): no backward hooks
    out += b"tR"  # the arguments, then _rebuild_tensor_v2(*arguments)


def _little_endian(array: np.ndarray) -> np.ndarray:
    return array.astype(array.dtype.newbyteorder("<"), copy=False)


# ---- load -----------------------------------------------------------------------------

def load(f, map_location=None, weights_only=None, **ignored):
    """torch.load(f): the object saved in the file f (PyTorch's zip format)."""
    path = _path(f, "load")
    try:
        archive = zipfile.ZipFile(path)
    except FileNotFoundError:
        raise FileError(f"[Errno 2] No such file or directory: '{path}'") from None
    except OSError as err:
        raise FileError(_os_message(err, path)) from None
    except zipfile.BadZipFile:
        raise FileError(f"'{path}' is not a file torch.save wrote: tcalc reads PyTorch's zip format "
                        "(torch.save's default since PyTorch 1.6)") from None
    except _DAMAGE as err:
        raise FileError(f"'{path}' is damaged: {err}") from None
    with archive:
        try:
            return _Reader(archive, path).read()
        except TcalcValueError:
            raise
        except _DAMAGE as err:  # what zipfile, zlib and struct raise for bytes that lie
            raise FileError(f"'{path}' is damaged: {err}") from None


class _Global:
    """A global the file names; only these three can be called."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name


class _StorageType:
    __slots__ = ("dtype",)

    def __init__(self, dtype: str):
        self.dtype = dtype


_REBUILD, _ORDERED_DICT, _PARAMETER, _SIZE = (
    _Global("_rebuild_tensor_v2"), _Global("OrderedDict"), _Global("_rebuild_parameter"), _Global("Size"))
_ALLOWED = {("torch._utils", "_rebuild_tensor_v2"): _REBUILD,
            ("collections", "OrderedDict"): _ORDERED_DICT,
            ("torch._utils", "_rebuild_parameter"): _PARAMETER,
            ("torch", "Size"): _SIZE}
_ALLOWED.update({("torch", d.name): d for d in dtypes.ALL})  # dtypes are plain values
_MARK = object()


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

    def _record(self, name: str, optional: bool = False):
        try:
            info = self.archive.getinfo(self.prefix + name)
        except KeyError:
            if optional:
                return None
            raise FileError(f"'{self.path}' is damaged: it has no record {name}") from None
        return info

    def _read_record(self, info: zipfile.ZipInfo, limit: int) -> bytes:
        if info.file_size > limit:
            raise FileError(f"'{self.path}': the record {info.filename} is larger than it says")
        return self.archive.read(info)

    def read(self):
        info = self._record("data.pkl")
        order = self._record("byteorder", optional=True)
        if order is not None:
            self.byteorder = "<" if self._read_record(order, 16) == b"little" else ">"
        return self._unpickle(self._read_record(info, _MAX_PICKLE_BYTES))

    # -- the opcodes torch.save writes, and nothing else
    def _unpickle(self, data: bytes):
        stack: list = []
        marks: list[int] = []
        memo: dict[int, object] = {}
        pos, size = 0, len(data)

        def take(n: int) -> bytes:
            nonlocal pos
            if pos + n > size:
                raise FileError(f"'{self.path}' is damaged: its data.pkl ends early")
            chunk = data[pos:pos + n]
            pos += n
            return chunk

        def line() -> str:
            nonlocal pos
            end = data.find(b"\n", pos)
            if end < 0:
                raise FileError(f"'{self.path}' is damaged: its data.pkl ends early")
            text = data[pos:end].decode("utf-8", "replace")
            pos = end + 1
            return text

        def pop_mark() -> list:
            if not marks:
                raise FileError(f"'{self.path}' is damaged: unbalanced marks in its data.pkl")
            start = marks.pop()
            items = stack[start:]
            del stack[start:]
            return items

        def pop():
            if not stack or (marks and len(stack) <= marks[-1]):
                raise FileError(f"'{self.path}' is damaged: its data.pkl pops an empty stack")
            return stack.pop()

        while True:
            op = take(1)
            if op == b"\x80":  # PROTO
                take(1)
            elif op == b"\x95":  # FRAME
                take(8)
            elif op == b".":  # STOP
                if len(stack) != 1:
                    raise FileError(f"'{self.path}' is damaged: its data.pkl leaves {len(stack)} values")
                return self._finish(stack[0], 0)
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
                if len(stack) < n:
                    raise FileError(f"'{self.path}' is damaged: its data.pkl pops an empty stack")
                items = tuple(stack[-n:])
                del stack[-n:]
                stack.append(items)
            elif op == b"a":  # APPEND
                value = pop()
                self._container(stack, list).append(value)
            elif op == b"e":  # APPENDS
                items = pop_mark()
                container = self._container(stack, list)
                limits.check_list(len(container) + len(items))
                container.extend(items)
            elif op == b"s":  # SETITEM
                value, key = pop(), pop()
                self._container(stack, dict)[self._key(key)] = value
            elif op == b"u":  # SETITEMS
                items = pop_mark()
                if len(items) % 2:
                    raise FileError(f"'{self.path}' is damaged: an odd SETITEMS in its data.pkl")
                container = self._container(stack, dict)
                for i in range(0, len(items), 2):
                    container[self._key(items[i])] = items[i + 1]
            elif op == b"K":
                stack.append(take(1)[0])
            elif op == b"M":
                stack.append(struct.unpack("<H", take(2))[0])
            elif op == b"J":
                stack.append(struct.unpack("<i", take(4))[0])
            elif op == b"\x8a":  # LONG1
                stack.append(int.from_bytes(take(take(1)[0]), "little", signed=True))
            elif op == b"G":
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
                memo[take(1)[0]] = self._top(stack)
            elif op == b"r":  # LONG_BINPUT
                memo[struct.unpack("<I", take(4))[0]] = self._top(stack)
            elif op == b"\x94":  # MEMOIZE
                memo[len(memo)] = self._top(stack)
            elif op in (b"h", b"j"):  # BINGET, LONG_BINGET
                index = take(1)[0] if op == b"h" else struct.unpack("<I", take(4))[0]
                if index not in memo:
                    raise FileError(f"'{self.path}' is damaged: its data.pkl reads an unset memo")
                stack.append(memo[index])
            elif op == b"c":  # GLOBAL
                stack.append(self._global(line(), line()))
            elif op == b"\x93":  # STACK_GLOBAL
                name, module = pop(), pop()
                stack.append(self._global(str(module), str(name)))
            elif op == b"Q":  # BINPERSID
                stack.append(self._storage(pop()))
            elif op == b"R":  # REDUCE
                arguments, function = pop(), pop()
                stack.append(self._call(function, arguments))
            else:
                raise FileError(f"'{self.path}' holds something tcalc does not load (pickle opcode "
                                f"{op!r} at byte {pos - 1}); tcalc reads what torch.save writes "
                                "for tensors, numbers and lists")

    def _top(self, stack):
        if not stack:
            raise FileError(f"'{self.path}' is damaged: its data.pkl memoizes an empty stack")
        return stack[-1]

    def _container(self, stack, kind):
        if not stack or type(stack[-1]) is not kind:
            raise FileError(f"'{self.path}' is damaged: its data.pkl adds items to a non-{kind.__name__}")
        return stack[-1]

    def _key(self, key):
        if type(key) not in (str, int, float, bool) and key is not None:
            raise FileError(f"'{self.path}' is damaged: a dict key of an unexpected kind")
        return key

    def _global(self, module: str, name: str):
        allowed = _ALLOWED.get((module, name))
        if allowed is not None:
            return allowed
        if module == "torch" and name in _DTYPE_OF_STORAGE:
            return _StorageType(_DTYPE_OF_STORAGE[name])
        raise FileError(f"refusing to load '{self.path}': it asks for {module}.{name}, and tcalc "
                        "loads only tensors and plain data (nothing in a file is ever run)",
                        hint="load files that torch.save or tcalc's save wrote from tensors, numbers "
                             "and lists")

    def _storage(self, pid):
        if not (type(pid) is tuple and len(pid) == 5 and pid[0] == "storage"
                and type(pid[1]) is _StorageType and type(pid[2]) is str and type(pid[4]) is int):
            raise FileError(f"'{self.path}' is damaged: an unexpected storage reference")
        storage_type, key, numel = pid[1], pid[2], pid[4]
        if key in self.storages:
            return self.storages[key]
        if numel < 0:
            raise FileError(f"'{self.path}' is damaged: a storage of {numel} elements")
        limits.check_elements(numel, "a stored tensor")
        dtype = np.dtype(dtypes.BY_NAME[storage_type.dtype].numpy).newbyteorder(self.byteorder)
        info = self._record(f"data/{key}")
        if info.file_size < numel * dtype.itemsize:
            raise FileError(f"'{self.path}' is damaged: storage {key} holds {info.file_size} bytes, "
                            f"not the {numel * dtype.itemsize} its tensors need")
        raw = self._read_record(info, numel * dtype.itemsize + 64)
        array = np.frombuffer(raw, dtype=dtype, count=numel).astype(dtype.newbyteorder("="))
        self.storages[key] = array
        return array

    def _call(self, function, arguments):
        if type(arguments) is not tuple:
            raise FileError(f"'{self.path}' is damaged: a call without an argument tuple")
        if function is _ORDERED_DICT:
            if arguments:
                raise FileError(f"'{self.path}' is damaged: OrderedDict called with arguments")
            return {}
        if function is _REBUILD:
            return self._rebuild(arguments)
        if function is _SIZE:
            if (len(arguments) != 1 or type(arguments[0]) is not tuple
                    or not all(type(n) is int and n >= 0 for n in arguments[0])):
                raise FileError(f"'{self.path}' is damaged: a malformed torch.Size")
            return Size(arguments[0])
        if function is _PARAMETER:  # nn.Parameter(data, requires_grad, hooks)
            if len(arguments) < 2 or type(arguments[0]) is not Tensor:
                raise FileError(f"'{self.path}' is damaged: a parameter without its tensor")
            tensor = arguments[0]
            tensor.requires_grad = bool(arguments[1]) and tensor.dtype.is_floating_point
            return tensor
        raise FileError(f"'{self.path}' is damaged: it calls something that is not a function")

    def _rebuild(self, arguments) -> Tensor:
        if len(arguments) < 5:
            raise FileError(f"'{self.path}' is damaged: a tensor with too few arguments")
        storage, offset, shape, strides, requires_grad = arguments[:5]
        if (type(storage) is not np.ndarray or type(offset) is not int or type(shape) is not tuple
                or type(strides) is not tuple or len(shape) != len(strides)
                or not all(type(n) is int and n >= 0 for n in shape + strides) or offset < 0):
            raise FileError(f"'{self.path}' is damaged: a tensor with a malformed size or stride")
        count = 1
        for n in shape:
            count *= n
        limits.check_elements(count, "a stored tensor")
        if count:
            last = offset + sum((n - 1) * s for n, s in zip(shape, strides))
            if last >= storage.size:
                raise FileError(f"'{self.path}' is damaged: a tensor reaches past its storage")
            itemsize = storage.itemsize
            data = np.lib.stride_tricks.as_strided(
                storage[offset:], shape=shape, strides=[s * itemsize for s in strides]).copy()
        else:
            data = np.zeros(shape, dtype=storage.dtype)
        tensor = Tensor(data)
        if requires_grad is True and tensor.dtype.is_floating_point:
            tensor.requires_grad = True
        return tensor

    def _finish(self, value, depth: int):
        """The loaded value as tcalc values: dicts have no tcalc value."""
        if depth > limits.LIMITS.max_depth:
            raise limits.refuse("max_depth", "the file's values nest too deeply")
        if type(value) is dict:
            raise FileError(f"'{self.path}' holds a dict (a state_dict?), and tcalc has no dict values",
                            hint="save the tensors as a list or tuple instead: torch.save([w, b], f)")
        if type(value) in (list, tuple):
            items = [self._finish(item, depth + 1) for item in value]
            return items if type(value) is list else tuple(items)
        if value is None or type(value) in (Tensor, int, float, bool, str, Size) or isinstance(
                value, dtypes.DType):
            return value
        raise FileError(f"'{self.path}' holds a value tcalc does not load")


# ---- both -----------------------------------------------------------------------------

def _path(f, name: str) -> str:
    if type(f) is not str:
        from .render import type_name

        raise TcalcTypeError(f"{name}: the file must be a path in quotes, not {type_name(f)}",
                             hint=f"e.g. {name}(x, 'x.pt')" if name == "save" else "e.g. load('x.pt')")
    if not f or "\x00" in f:
        raise FileError(f"{name}: '{f}' is not a file name")
    return f


def _os_message(err: OSError, path: str) -> str:
    return f"[Errno {err.errno}] {err.strerror}: '{path}'" if err.errno else str(err)
