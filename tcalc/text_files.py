"""Tables of numbers as text: CSV (`save(x, 'data.csv')`, `load('data.csv')`, the data a
learner has in a spreadsheet) and NumPy's `np.savetxt` / `np.loadtxt`.

Read by a streaming reader of our own rather than np.loadtxt, so that the element count is
checked against the limits as the rows come, before the table is as large as the file says:
values go into a compact float64 buffer, never a Python list of floats.
"""
from __future__ import annotations

import array
import csv
import io
import math

import numpy as np

from . import dtypes, files, limits
from .errors import TcalcTypeError, TcalcValueError
from .files import FileError, os_message
from .tensor import Tensor

CSV = ".csv"
_SNIFF_BYTES = 4096


def is_csv_path(path: str) -> bool:
    return path.lower().endswith(CSV)


# ---- reading --------------------------------------------------------------------------

def read_table(path: str, delimiter: str | None, skiprows: int = 0, comments: str | None = "#",
               header: bool = False, what: str = "load") -> np.ndarray:
    """The numbers of a text table as a float64 array (rows x columns, squeezed as
    np.loadtxt squeezes). `delimiter` None splits at whitespace; with `header`, a first row
    that is not numbers (column names) is skipped."""
    try:
        with io.TextIOWrapper(files.open_for_reading(path, what), encoding="utf-8-sig", newline="") as file:
            return _read(file, path, delimiter, skiprows, comments, header)
    except UnicodeDecodeError as err:
        raise FileError(f"'{path}' is not UTF-8 text (byte {err.start})") from None
    except csv.Error as err:
        raise FileError(f"'{path}' is not a table of numbers: {err}") from None
    except OSError as err:
        raise FileError(os_message(err, path)) from None


def _read(file, path, delimiter, skiprows, comments, header) -> np.ndarray:
    if delimiter == "sniff":
        sample = file.read(_SNIFF_BYTES)
        file.seek(0)
        try:
            delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
        except csv.Error:
            delimiter = ","
    rows = csv.reader(file, delimiter=delimiter) if delimiter else (line.split() for line in file)
    values = array.array("d")
    may_skip = header  # a first row of names, until the first row of numbers
    columns = None
    count = 0
    for number, row in enumerate(rows, 1):
        if number <= skiprows:
            continue
        if comments and row and row[0].lstrip().startswith(comments):
            continue
        if not delimiter and comments:
            row = _before_comment(row, comments)
        if not row or all(not cell.strip() for cell in row):
            continue
        try:
            numbers = [_number(cell) for cell in row]
        except ValueError as err:
            if may_skip:
                may_skip = False  # the column names: skipped
                continue
            raise FileError(f"'{path}' line {number}: {err}",
                            hint="a table of numbers only (a first row of column names is skipped)" if header
                            else "skip the lines before the numbers with skiprows=N") from None
        may_skip = False
        if columns is None:
            columns = len(numbers)
        elif len(numbers) != columns:
            raise FileError(f"'{path}' line {number} has {len(numbers)} values, the lines before it {columns}")
        count += 1
        limits.check_elements(count * columns, f"the table in '{path}'")
        values.extend(numbers)
    if columns is None:
        return np.zeros(0)
    table = np.frombuffer(values, dtype=np.float64).reshape(count, columns).copy()
    return table.reshape(-1) if count == 1 or columns == 1 else table


def _before_comment(words: list[str], comments: str) -> list[str]:
    for i, word in enumerate(words):
        if comments in word:
            head = word.split(comments, 1)[0]
            return words[:i] + ([head] if head else [])
    return words


def _number(cell: str) -> float:
    text = cell.strip()
    if not text:
        return math.nan  # an empty spreadsheet cell
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{text[:40]!r} is not a number") from None


def load_csv(path: str) -> Tensor:
    """load('data.csv'): a float32 tensor (PyTorch's default dtype) of the table's numbers."""
    return Tensor(read_table(path, "sniff", header=True).astype(np.float32))


# ---- writing --------------------------------------------------------------------------

def save_csv(obj, path: str) -> None:
    """save(x, 'data.csv'): a 1-d tensor as one column, a 2-d one as rows, comma-separated,
    each number as short as it can be and still read back the same."""
    if type(obj) is not Tensor and not isinstance(obj, np.ndarray):
        raise TcalcTypeError(f"save: a .csv file holds a 1-d or 2-d tensor, not a {type(obj).__name__}")
    data = obj.data if type(obj) is Tensor else obj
    if data.ndim > 2:
        raise TcalcValueError(f"save: a .csv file holds a 1-d or 2-d tensor, not shape {tuple(data.shape)}",
                              hint="x.reshape(x.shape[0], -1) gives one row per item")
    if data.dtype == np.bool_:
        data = data.astype(np.uint8)
    rows = data.reshape(-1, 1) if data.ndim == 1 else data.reshape(1, 1) if data.ndim == 0 else data

    def write(file) -> None:
        text = io.TextIOWrapper(file, encoding="utf-8", newline="")
        for row in rows:
            text.write(",".join(_short(v) for v in row) if data.dtype.kind == "f"
                       else ",".join(str(v) for v in row.tolist()))
            text.write("\n")
        text.flush()
        text.detach()

    from .numpy_files import write_atomically

    write_atomically(path, write)


def _short(value) -> str:
    """The shortest text that reads back as the same number of the dtype (as NumPy prints it)."""
    if not np.isfinite(value):
        return "nan" if np.isnan(value) else ("inf" if value > 0 else "-inf")
    return np.format_float_positional(value, unique=True, trim="-") if abs(value) < 1e16 and (
        value == 0 or abs(value) >= 1e-4) else np.format_float_scientific(value, unique=True, trim="-")


# ---- NumPy's spellings ------------------------------------------------------------------

def np_loadtxt(fname, dtype=None, comments="#", delimiter=None, skiprows=0, usecols=None, ndmin=0,
               **ignored) -> np.ndarray:
    """np.loadtxt: a text table as a NumPy array (float64 unless dtype= says otherwise)."""
    if type(fname) is not str:
        raise TcalcTypeError("numpy.loadtxt: the file must be a path in quotes")
    if type(skiprows) is not int or skiprows < 0:
        raise TcalcValueError("numpy.loadtxt: skiprows must be a whole number >= 0")
    if delimiter is not None and (type(delimiter) is not str or len(delimiter) != 1):
        raise TcalcValueError("numpy.loadtxt: delimiter must be one character, e.g. delimiter=','")
    table = read_table(fname, delimiter, skiprows, comments if isinstance(comments, str) else None,
                       what="numpy.loadtxt")
    if usecols is not None:
        columns = [usecols] if type(usecols) is int else list(usecols)
        table = np.atleast_2d(table) if table.ndim == 1 else table
        try:
            table = table[:, columns]
        except IndexError:
            raise TcalcValueError(f"numpy.loadtxt: usecols {columns} is outside the table's columns") from None
        table = table.reshape(-1) if 1 in table.shape else table
    numpy_dtype = _numpy_dtype(dtype)
    if numpy_dtype.kind in "iub" and not np.array_equal(table, np.trunc(table)):
        raise TcalcValueError(f"numpy.loadtxt: the table holds numbers that are not whole, which "
                              f"{numpy_dtype.name} cannot hold", hint="dtype=np.float32, or no dtype= (float64)")
    result = table.astype(numpy_dtype)
    while result.ndim < ndmin:
        result = result.reshape(result.shape + (1,)) if result.ndim else result.reshape(1)
    return result


def np_savetxt(fname, X, fmt="%.18e", delimiter=" ", newline="\n", header="", footer="", comments="# ") -> None:
    """np.savetxt: an array as a text table, exactly as NumPy writes it."""
    if type(fname) is not str:
        raise TcalcTypeError("numpy.savetxt: the file must be a path in quotes")
    from .numpy_files import _as_array, write_atomically

    data = np.asarray(_as_array(X))
    if data.dtype not in dtypes.BY_NUMPY or data.ndim > 2:
        raise TcalcValueError("numpy.savetxt: a 1-d or 2-d array of numbers")
    for name, value in (("fmt", fmt), ("delimiter", delimiter), ("newline", newline), ("header", header),
                        ("footer", footer), ("comments", comments)):
        if type(value) is not str:
            raise TcalcTypeError(f"numpy.savetxt: {name}= takes a string")

    def write(file) -> None:
        try:
            np.savetxt(file, data, fmt=fmt, delimiter=delimiter, newline=newline, header=header,
                       footer=footer, comments=comments)
        except (TypeError, ValueError) as err:  # a fmt that is not a format for these numbers
            raise TcalcValueError(f"numpy.savetxt: fmt={fmt!r}: {err}") from None

    write_atomically(fname, write)


def _numpy_dtype(dtype):
    if dtype is None:
        return np.dtype(np.float64)
    if isinstance(dtype, dtypes.DType):
        return dtype.numpy
    numpy_dtype = getattr(dtype, "dtype", None)  # np.float32 & co., Python's float and int
    if isinstance(numpy_dtype, dtypes.DType):
        return numpy_dtype.numpy
    raise TcalcTypeError("numpy.loadtxt: dtype= takes a dtype such as np.float32")
