"""Python's own values in the language: numbers, strings, tuples, lists, torch.Size and
NumPy arrays, with Python's semantics (arithmetic, comparison, indexing, attributes), and
the limits that keep them from eating the machine (`9 ** 9 ** 9`, `[0] * 10**12`).
"""
from __future__ import annotations

import math
import re

import numpy as np

from . import dtypes, limits
from .autograd import Node
from .errors import Span, TcalcIndexError, TcalcKeyError, TcalcTypeError, TcalcValueError
from .printing import return_types_repr, tensor_repr
from .tensor import Size, Tensor
from .values import BoundMethod, Builtin, ReturnTypes, UserFunction, type_name

NUMBER_TYPES = (bool, int, float)


def is_number(x) -> bool:
    return isinstance(x, (bool, int, float))


def arithmetic(op: str, a, b):
    if op == "/":
        if b == 0:
            raise TcalcValueError("division by zero", hint="for inf, divide tensors: tensor(1.) / 0")
        return a / b
    if op in ("//", "%") and b == 0:
        raise TcalcValueError("integer division or modulo by zero")
    if op == "**":
        limits.check_int_result(op, a, b)
        if a == 0 and b < 0:
            raise TcalcValueError("0.0 cannot be raised to a negative power")
    if op == "*" or op == "<<":
        limits.check_int_result(op, a, b)
    if op in ("<<", ">>") and isinstance(b, int) and b < 0:
        raise TcalcValueError("negative shift count")
    if op == "@":
        raise TcalcTypeError("unsupported operand type(s) for @: numbers")
    if op in ("&", "|", "^", "<<", ">>") and (isinstance(a, float) or isinstance(b, float)):
        raise TcalcTypeError(f"unsupported operand type(s) for {op}: '{type_name(a)}' and '{type_name(b)}'")
    try:
        result = _PYTHON_OPS[op](a, b)
    except OverflowError:
        raise TcalcValueError("numerical result out of range") from None
    if isinstance(result, int) and result.bit_length() > limits.LIMITS.max_int_digits * 3.32:
        raise limits.refuse("max_int_digits", f"the result of {op} has more than "
                            f"{limits.LIMITS.max_int_digits:,} digits")
    return result


_PYTHON_OPS = {
    "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
    "//": lambda a, b: a // b, "%": lambda a, b: a % b, "**": lambda a, b: a ** b,
    "&": lambda a, b: a & b, "|": lambda a, b: a | b, "^": lambda a, b: a ^ b,
    "<<": lambda a, b: a << b, ">>": lambda a, b: a >> b,
}


def compare(op: str, a, b):
    try:
        return {"==": a == b, "!=": a != b}[op] if op in ("==", "!=") else \
            {"<": lambda: a < b, "<=": lambda: a <= b, ">": lambda: a > b, ">=": lambda: a >= b}[op]()
    except TypeError:
        raise TcalcTypeError(f"'{op}' not supported between {type_name(a)} and {type_name(b)}") from None


_SET_OPERATORS = {"|": set.union, "&": set.intersection, "-": set.difference, "^": set.symmetric_difference}


def sequence_arithmetic(op: str, a, b):
    """+ and * on tuples, lists and strings, and `%` formatting of a string, as in Python."""
    if op == "%" and type(a) is str:
        return percent_format(a, b)
    if type(a) is set and type(b) is set and op in _SET_OPERATORS:
        result = _SET_OPERATORS[op](a, b)
        if op in "|^" and len(a) + len(b) > limits.LIMITS.max_list_items:
            limits.check_list(len(result), set)  # at most twice the limit was made
        return result
    if op == "+" and type(a) is type(b) and isinstance(a, (tuple, list, str)):
        limits.check_list(len(a) + len(b), type(a))
        return a + b
    if op == "*":
        if isinstance(b, (tuple, list, str)) and not isinstance(a, (tuple, list, str)):
            a, b = b, a  # 3 * [0] is [0] * 3
        if isinstance(a, (tuple, list, str)) and isinstance(b, int) and not isinstance(b, bool):
            limits.check_list(len(a) * b, type(a))
            return a * b
    raise TcalcTypeError(f"unsupported operand type(s) for {op}: '{type_name(a)}' and '{type_name(b)}'",
                         hint="make a tensor first: tensor([...])"
                         if isinstance(a, (tuple, list)) or isinstance(b, (tuple, list)) else None)


def slice_bound(value, span: Span):
    if type(value) is Tensor and value.data.ndim == 0 and value.dtype.category == dtypes.INT:
        return int(value.data)
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    raise TcalcTypeError("slice indices must be integers or None", span)


def sequence_index(obj, index):
    if isinstance(index, int) or isinstance(index, slice):
        try:
            result = obj[index]
        except IndexError:
            kind = "list" if isinstance(obj, list) else "tuple"  # torch.Size is a tuple to Python
            n = len(obj)
            raise TcalcIndexError(f"{kind} index out of range",
                                  hint=f"the {type_name(obj)} has {n} item{'' if n == 1 else 's'}"
                                       + (f"; indices run from {-n} to {n - 1}" if n else "")) from None
        return Size(result) if isinstance(obj, Size) and isinstance(index, slice) else result
    if isinstance(obj, np.ndarray):
        return obj[index]
    raise TcalcTypeError(f"{type_name(obj)} indices must be integers or slices")


def field(obj, name):
    if isinstance(obj, Size):
        raise TcalcTypeError(f"'torch.Size' object has no attribute '{name}'")
    if name not in obj._fields:
        raise TcalcTypeError(f"'{type_name(obj)}' object has no attribute '{name}'")
    return obj[obj._fields.index(name)]


def numpy_attribute(obj: np.ndarray, name: str):
    return {"shape": lambda: obj.shape, "dtype": lambda: obj.dtype, "T": lambda: obj.T,
            "ndim": lambda: obj.ndim, "size": lambda: obj.size}[name]()


# ---- str(), repr() and format(), as Python gives them ----------------------------------
#
# print() and f-strings show values as Python's str() does, not as Jupyter displays them:
# a tensor's str is its repr, a NumPy array's str is NumPy's (`[[0 1 2]\n [3 4 5]]`), a
# grad_fn is `<AddBackward0 object at 0x...>`, a string has no quotes; containers show
# the repr() of their items, without IPython's layout.

def python_repr(value, _enclosing: frozenset = frozenset(), _budget: list | None = None) -> str:
    kind = type(value)
    if kind is Tensor:
        name = value.grad_fn.name if value.grad_fn is not None else None
        return tensor_repr(value.data, requires_grad=value.requires_grad, grad_fn_name=name)
    if kind in (tuple, list, dict, set):
        if id(value) in _enclosing:  # a list that holds itself
            return {tuple: "(...)", list: "[...]"}.get(kind, "{...}")
        inner = _enclosing | {id(value)}
        budget = [limits.LIMITS.max_list_items] if _budget is None else _budget
        if kind is dict:
            parts = _bounded((f"{python_repr(k, inner, budget)}: {python_repr(v, inner, budget)}"
                              for k, v in value.items()), budget)
            return "{" + ", ".join(parts) + "}"
        items = ", ".join(_bounded((python_repr(v, inner, budget) for v in value), budget))
        if kind is tuple:
            return f"({items},)" if len(value) == 1 else f"({items})"
        if kind is set:
            return "{" + items + "}" if value else "set()"
        return f"[{items}]"
    if isinstance(value, ReturnTypes):
        return return_types_repr(value, python_repr)
    if kind in DICT_VIEWS:
        return f"{kind.__name__}({python_repr(list(value), _enclosing)})"
    if isinstance(value, Node):
        return f"<{value.name} object at {id(value):#x}>"
    if isinstance(value, UserFunction):
        return f"<function {value.name} at {id(value):#x}>"
    if isinstance(value, Builtin):
        return f"<built-in method {value.name} of type object at {id(value):#x}>"
    if isinstance(value, BoundMethod):
        return f"<built-in method {value.name} of Tensor object at {id(value.receiver):#x}>"
    own = getattr(kind, "python_repr", None)  # a value whose Python repr is not Jupyter's (a class)
    return own(value) if own is not None else repr(value)


def _bounded(texts, budget: list) -> list[str]:
    """The texts of a container's items, refused once the characters of the whole value's
    text pass the list-items limit: a list that holds one list many times (`[[[0] * 1000]
    * 1000] * 100`) is small, its text 300 million characters. `budget` is shared by the
    containers inside (each item counted where it is written, so a nested item counts once
    a level: the refusal comes before the work of the whole text)."""
    parts = []
    for text in texts:
        budget[0] -= len(text) + 2
        if budget[0] < 0:
            limit = limits.LIMITS.max_list_items
            raise limits.refuse("max_list_items", f"the text of this container is longer than {limit:,} characters",
                                "show a part of it: xs[:10]")
        parts.append(text)
    return parts


def python_str(value) -> str:
    kind = type(value)
    if kind is str:
        return value
    if isinstance(value, np.ndarray):
        return str(value)
    if kind.__str__ is not object.__str__ and kind not in _REPR_IS_STR:  # its own str: a device, a class
        return str(value)
    return python_repr(value)


# Values whose str() is their repr() (Python's, as python_repr gives it).
_REPR_IS_STR = frozenset({Tensor, tuple, list, dict, set, bool, int, float, type(None), Size})


def format_value(value, spec: str) -> str:
    """format(value, spec), as in Python; a 0-d tensor formats as its number (PyTorch's
    Tensor.__format__), any other tensor only with an empty spec."""
    if type(value) is Tensor:
        if value.data.ndim == 0:
            return format_value(value.data.item(), spec)
        if spec:
            raise TcalcTypeError("unsupported format string passed to Tensor.__format__",
                                 hint="format one element: x[0] or x.item(), or a 0-d tensor")
        return python_str(value)
    if isinstance(value, (bool, int, float, str)) or isinstance(value, np.generic):
        if spec:
            _check_widths(_SPEC_NUMBERS.findall(spec))
        try:
            return format(value, spec)
        except ValueError as err:
            raise TcalcValueError(str(err)) from None
    if spec:
        raise TcalcTypeError(f"unsupported format string passed to {type_name(value)}.__format__")
    return python_str(value)


# The numbers of a format spec (`>1000000000`, `.1000000000f`): a width or a precision is
# at least the length of the text made; a fill character is at most the digit 9.
_SPEC_NUMBERS = re.compile(r"\d+")
# A conversion of `%` formatting: its width and precision (digits or `*`, taken from the values).
_PERCENT_CONVERSION = re.compile(r"%(\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?(.?)", re.S)


def _check_widths(numbers) -> None:
    """A width or precision of a format is refused before a string that long is made."""
    for number in numbers:
        if type(number) is str:
            number = int(number) if len(number) <= 30 else 10 ** 30
        if type(number) is int:
            limits.check_list(number, str)


def _percent_widths(template: str, values) -> None:
    """The widths and precisions `template % values` asks for, checked as for format()."""
    positional = values if type(values) is tuple else (values,)
    position, numbers = 0, []
    for match in _PERCENT_CONVERSION.finditer(template):
        _, width, precision, conversion = match.groups()
        for number in (width, precision):
            if number == "*":
                if position < len(positional):
                    numbers.append(positional[position])
                position += 1
            elif number:
                numbers.append(number)
        position += conversion != "%"
    _check_widths(numbers)


class _FormatArgument:
    """A value as `%` formatting sees it: %s is its str(), %r its repr(), %d and %f its
    number (a one-element tensor's too), so `'%.3f' % loss` works as in Python."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __str__(self):
        return python_str(self.value)

    def __repr__(self):
        return python_repr(self.value)

    def _number(self):
        value = self.value
        if type(value) is Tensor and value.data.size == 1:
            return value.data.reshape(()).item()
        if isinstance(value, (bool, int, float)):
            return value
        raise TypeError(f"must be real number, not {type_name(value)}")

    def __float__(self):
        return float(self._number())

    def __int__(self):
        return int(self._number())

    def __index__(self):
        number = self._number()
        if isinstance(number, float):
            raise TypeError("%x format: an integer is required, not float")
        return int(number)


def percent_format(template: str, values) -> str:
    """`template % values` for a str template."""
    _percent_widths(template, values)
    if type(values) is tuple:  # an int stays one: `'%*d' % (width, n)` takes the width as an int
        arguments = tuple(v if type(v) is int else _FormatArgument(v) for v in values)
    elif type(values) is dict:
        arguments = {k: _FormatArgument(v) for k, v in values.items()}
    else:
        arguments = _FormatArgument(values)
    try:
        return template % arguments
    except (TypeError, ValueError, KeyError) as err:
        kind = TcalcValueError if isinstance(err, ValueError) else TcalcTypeError
        raise kind(str(err)) from None


# ---- iteration ---------------------------------------------------------------------------

DICT_VIEWS = (type({}.keys()), type({}.values()), type({}.items()))


def iterate(value):
    """A Python iterator over what `for item in value` gives in PyTorch's Python: a tensor
    by its first dimension, a dict by its keys, a string by its characters."""
    if type(value) is Tensor:
        if value.data.ndim == 0:
            raise TcalcTypeError("iteration over a 0-d tensor")
        from . import ops

        return (ops.getitem(value, i) for i in range(value.data.shape[0]))
    if isinstance(value, (tuple, list, dict, set, str, range, np.ndarray) + DICT_VIEWS):
        return iter(value)
    if hasattr(value, "__next__") and not isinstance(value, (Tensor, Builtin)):
        return value  # an iterator the language made: a generator, enumerate(), zip(), map()
    raise TcalcTypeError(f"'{type_name(value)}' object is not iterable")


_SIZED = frozenset({tuple, list, dict, set, str, Size} | set(DICT_VIEWS))


def known_length(value) -> int | None:
    """How many items `for item in value` gives, when that is known before iterating."""
    kind = type(value)
    if kind in _SIZED:
        return len(value)
    if kind is range:
        try:
            return len(value)
        except OverflowError:  # more than sys.maxsize items
            return (value.stop - value.start) // value.step
    if kind is Tensor or kind is np.ndarray:
        shape = value.shape if kind is np.ndarray else value.data.shape
        return shape[0] if shape else None
    return None


def collect(value, kind=list):
    """list(value) / tuple(value), refused before it grows past the list-items limit: at
    once when the length is known (`list(range(10**9))`), else as the items come."""
    size = known_length(value)
    if size is not None:
        limits.check_list(size, kind)
        if type(value) is not Tensor and type(value) is not np.ndarray:
            return list(value) if kind is list else kind(value)
    items = []
    limit = limits.LIMITS.max_list_items
    for item in iterate(value):
        items.append(item)
        if len(items) > limit:
            limits.check_list(len(items), kind)
    return items if kind is list else kind(items)


# ---- truth, membership, and writing into lists and dicts ---------------------------------

def truth(value) -> bool:
    """Python's truth of a value: a tensor's needs exactly one element, as in PyTorch."""
    if type(value) is Tensor:
        size = value.data.size
        if size != 1:
            raise TcalcValueError(f"Boolean value of Tensor with {'no values' if size == 0 else 'more than one value'}"
                                  " is ambiguous", hint="use .any() or .all()")
        return bool(value.data.reshape(()).item())
    if isinstance(value, np.ndarray) and value.size > 1:
        raise TcalcValueError("The truth value of an array with more than one element is ambiguous. "
                              "Use a.any() or a.all()")
    return bool(value)


def contains(container, item) -> bool:
    """`item in container`, as Python asks each container (a tensor: any element equal)."""
    if type(container) is Tensor:
        if type(item) is Tensor or isinstance(item, (bool, int, float)):
            from . import ops

            return truth(ops.any(ops.eq(container, item)))
        raise TcalcTypeError("Tensor.__contains__ only supports Tensor or scalar, but you passed in a "
                             f"{type_name(item)}.")
    if type(container) is dict or type(container) is set:
        try:
            return item in container
        except TypeError:
            raise TcalcTypeError(f"unhashable type: '{type_name(item)}'") from None
    if type(container) is str:
        if type(item) is not str:
            raise TcalcTypeError(f"'in <string>' requires string as left operand, not {type_name(item)}")
        return item in container
    if isinstance(container, (tuple, list)):
        for element in container:
            if element is item:
                return True
            if type(element) is Tensor or type(item) is Tensor:
                from . import ops

                if truth(ops.eq(element, item)):
                    return True
            elif element == item:
                return True
        return False
    if isinstance(container, range) or isinstance(container, np.ndarray):
        return item in container
    raise TcalcTypeError(f"argument of type '{type_name(container)}' is not iterable")


def hashable(key, what: str = "key"):
    try:
        hash(key)
    except TypeError:
        raise TcalcTypeError(f"unhashable type: '{type_name(key)}'") from None
    return key


def dict_get(mapping: dict, key):
    try:
        return mapping[hashable(key)]
    except KeyError:
        raise TcalcKeyError(python_repr(key)) from None


def set_item(container, index, value) -> None:
    """`xs[i] = v` on a list, `d[k] = v` on a dict."""
    if type(container) is dict:
        key = hashable(index)
        if len(container) >= limits.LIMITS.max_list_items and key not in container:  # an int compare a write
            raise limits.list_refusal(len(container) + 1, dict)
        container[key] = value
        return
    if isinstance(index, slice):
        items = collect(value)
        limits.check_list(len(container) - len(range(*index.indices(len(container)))) + len(items))
        container[index] = items
        return
    if type(index) is Tensor and index.data.ndim == 0 and index.dtype.category == dtypes.INT:
        index = int(index.data)
    if not isinstance(index, int) or isinstance(index, bool):
        raise TcalcTypeError(f"list indices must be integers or slices, not {type_name(index)}")
    try:
        container[index] = value
    except IndexError:
        raise TcalcIndexError("list assignment index out of range") from None


def delete_item(container, index) -> None:
    if type(container) is dict:
        try:
            del container[hashable(index)]
        except KeyError:
            raise TcalcKeyError(python_repr(index)) from None
        return
    try:
        del container[index]
    except IndexError:
        raise TcalcIndexError("list assignment index out of range") from None
    except TypeError:
        raise TcalcTypeError(f"list indices must be integers or slices, not {type_name(index)}") from None


# ---- methods of Python's own values --------------------------------------------------------
#
# Those that grow a list or dict refuse before it grows past the list-items limit: an int
# compare an append, so a loop that appends is stopped at the limit, with its list intact.

def _list_append(xs: list, object, /) -> None:
    if len(xs) >= limits.LIMITS.max_list_items:
        raise limits.list_refusal(len(xs) + 1)
    xs.append(object)


def _list_insert(xs: list, index, object, /) -> None:
    if len(xs) >= limits.LIMITS.max_list_items:
        raise limits.list_refusal(len(xs) + 1)
    xs.insert(index, object)


def extend(xs: list, values) -> None:
    """`xs.extend(values)` and `xs += values`."""
    items = collect(values)
    limits.check_list(len(xs) + len(items))
    xs.extend(items)


def merge(d: dict, other: dict) -> None:
    """`d.update(other)` and `{**d, **other}`: refused before d grows past the limit."""
    if len(d) + len(other) > limits.LIMITS.max_list_items:
        limits.check_list(len(d) + sum(1 for key in other if key not in d), dict)
    d.update(other)


def dict_of_pairs(pairs) -> dict:
    """dict(pairs), for an iterable of (key, value) pairs, refused as it grows past the limit."""
    result, limit = {}, limits.LIMITS.max_list_items
    for pair in iterate(pairs):
        pair = collect(pair)
        if len(pair) != 2:
            raise TcalcValueError(f"dictionary update sequence element has length {len(pair)}; 2 is required")
        result[hashable(pair[0])] = pair[1]
        if len(result) > limit:
            limits.check_list(len(result), dict)
    return result


def _list_pop(xs: list, index: int = -1):
    if not xs:
        raise TcalcIndexError("pop from empty list")
    try:
        return xs.pop(index)
    except IndexError:
        raise TcalcIndexError("pop index out of range") from None


def _list_index(xs, item, *bounds):
    for i, element in enumerate(xs[slice(*bounds)] if bounds else xs):
        if element is item or (type(element) is not Tensor and type(item) is not Tensor and element == item):
            return i + (bounds[0] if bounds else 0)
    raise TcalcValueError(f"{python_repr(item)} is not in list")


def _list_sort(xs: list, key=None, reverse: bool = False):
    try:
        xs.sort(key=key, reverse=reverse)
    except TypeError as err:
        raise TcalcTypeError(str(err)) from None


def _dict_pop(d: dict, key, *default):
    if key in d or not default:
        if key not in d:
            raise TcalcKeyError(python_repr(key))
        return d.pop(key)
    return default[0]


def _dict_update(d: dict, other=(), /, **kwargs):
    other = other if type(other) is dict else dict_of_pairs(other)
    merge(d, {**other, **kwargs} if kwargs else other)


def _dict_setdefault(d: dict, key, default=None, /):
    key = hashable(key)
    if len(d) >= limits.LIMITS.max_list_items and key not in d:
        raise limits.list_refusal(len(d) + 1, dict)
    return d.setdefault(key, default)


def _str_format(template: str, *args, **kwargs):
    """str.format, with each field formatted by format_value."""
    import string

    out, auto = [], 0
    for literal, field, spec, conversion in string.Formatter().parse(template):
        out.append(literal)
        if field is None:
            continue
        if field == "":
            if auto >= len(args):
                raise TcalcIndexError(f"Replacement index {auto} out of range for positional args tuple")
            value, auto = args[auto], auto + 1
        elif field.isdigit():
            if int(field) >= len(args):
                raise TcalcIndexError(f"Replacement index {field} out of range for positional args tuple")
            value = args[int(field)]
        elif field in kwargs:
            value = kwargs[field]
        else:
            raise TcalcKeyError(repr(field), hint="str.format takes plain field names and numbers here")
        if conversion == "r":
            value = python_repr(value)
        elif conversion == "s":
            value = python_str(value)
        out.append(format_value(value, spec or ""))
    return "".join(out)


def _str_join(sep: str, items):
    parts = collect(items)
    length = len(sep) * (len(parts) - 1)
    for part in parts:
        if type(part) is not str:
            raise TcalcTypeError(f"sequence item: expected str instance, {type_name(part)} found")
        length += len(part)
    limits.check_list(length, str)
    return sep.join(parts)


def _str_replace(text: str, old: str, new: str, count: int = -1, /):
    if len(new) > len(old) and type(old) is str and type(count) is int:
        found = text.count(old) if count < 0 else min(count, text.count(old))
        limits.check_list(len(text) + found * (len(new) - len(old)), str)
    return text.replace(old, new, count)


def _padding(method):
    """str.center, ljust, rjust and zfill: the width is the length of the result."""
    def pad(text: str, width, *fill):
        if type(width) is int:
            limits.check_list(width, str)
        return method(text, width, *fill)
    return pad


# type -> method name -> (function, whether it changes the receiver)
METHODS: dict[type, dict[str, tuple]] = {
    list: {
        "append": (_list_append, True), "extend": (extend, True),
        "insert": (_list_insert, True), "pop": (_list_pop, True), "remove": (
            lambda xs, item: xs.pop(_list_index(xs, item)) and None, True),
        "clear": (list.clear, True), "reverse": (list.reverse, True), "sort": (_list_sort, True),
        "index": (_list_index, False), "count": (lambda xs, item: sum(1 for x in xs if x is item or (
            type(x) is not Tensor and type(item) is not Tensor and x == item)), False),
        "copy": (list.copy, False),
    },
    dict: {
        "keys": (dict.keys, False), "values": (dict.values, False), "items": (dict.items, False), "get": (lambda d, k, default=None: d.get(hashable(k), default), False),
        "pop": (_dict_pop, True), "update": (_dict_update, True), "clear": (dict.clear, True),
        "setdefault": (_dict_setdefault, True),
        "copy": (dict.copy, False),
    },
    str: {
        "format": (_str_format, False), "join": (_str_join, False), "split": (str.split, False),
        "strip": (str.strip, False), "lstrip": (str.lstrip, False), "rstrip": (str.rstrip, False),
        "upper": (str.upper, False), "lower": (str.lower, False), "title": (str.title, False),
        "replace": (_str_replace, False), "startswith": (str.startswith, False),
        "endswith": (str.endswith, False), "find": (str.find, False), "count": (str.count, False),
        "center": (_padding(str.center), False), "ljust": (_padding(str.ljust), False),
        "rjust": (_padding(str.rjust), False), "zfill": (_padding(str.zfill), False), "isdigit": (str.isdigit, False),
    },
    tuple: {"index": (_list_index, False), "count": (lambda xs, item: list(xs).count(item), False)},
}
METHODS[Size] = {**METHODS[tuple], "numel": (lambda size: math.prod(size), False)}  # torch.Size is a tuple
