"""The tensor printer and IPython's layout, against text recorded from PyTorch 2.13.

tests/record/record_printing.py recorded tests/golden_printing.json with torch and IPython;
each case stores its values as data, rebuilt here with NumPy alone, and the text to match
byte for byte.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from tcalc.printing import numpy_repr, pretty, tensor_repr
from tcalc.values import ReturnTypes

CASES = json.loads((Path(__file__).parent / "golden_printing.json").read_text(encoding="utf-8"))


class Size(tuple):
    """Stands in for torch.Size: a tuple subclass with its own repr is a leaf."""

    def __repr__(self) -> str:
        return f"torch.Size([{', '.join(map(str, self))}])"


class TensorLeaf:
    def __init__(self, data: np.ndarray, requires_grad: bool, grad_fn: str | None):
        self.data, self.requires_grad, self.grad_fn = data, requires_grad, grad_fn


def array_of(spec: dict) -> np.ndarray:
    if "numpy" in spec:
        # Our own fixed test expressions, not user input.
        return np.asarray(eval(spec["numpy"], {"np": np}))
    return np.array(spec["data"], dtype=spec["dtype"]).reshape(spec["shape"])


def build(spec: dict):
    kind = spec["kind"]
    if kind == "tensor":
        return TensorLeaf(array_of(spec), spec["requires_grad"], spec["grad_fn"])
    if kind == "ndarray":
        return array_of(spec)
    if kind in ("tuple", "list"):
        items = spec["scalars"] if "scalars" in spec else [build(s) for s in spec["items"]]
        return tuple(items) if kind == "tuple" else list(items)
    if kind == "return_types":
        return ReturnTypes(spec["name"], [(key, build(s)) for key, s in spec["fields"]])
    if kind == "size":
        return Size(spec["dims"])
    assert kind == "python"
    return spec["value"]


def leaf_repr(value) -> str:
    if isinstance(value, TensorLeaf):
        return tensor_repr(value.data, requires_grad=value.requires_grad,
                           grad_fn_name=value.grad_fn)
    if isinstance(value, np.ndarray):
        return numpy_repr(value)
    return repr(value)


def case_id(case) -> str:
    return re.sub(r"\s+", "", case["case"])[:60]


@pytest.mark.parametrize("case", CASES, ids=[f"{i:03d}:{case_id(c)}" for i, c in enumerate(CASES)])
def test_text_matches_pytorch(case):
    assert pretty(build(case["value"]), leaf_repr) == case["text"]


TENSOR_CASES = [c for c in CASES if c["value"]["kind"] == "tensor"]


@pytest.mark.parametrize("case", TENSOR_CASES, ids=[case_id(c) for c in TENSOR_CASES])
def test_tensor_repr_alone(case):
    spec = case["value"]
    text = tensor_repr(array_of(spec), requires_grad=spec["requires_grad"],
                       grad_fn_name=spec["grad_fn"])
    assert text == case["text"]


class NamedTuple(tuple):
    """Another class shaped like a named result (a tuple with `name` and `_fields`)."""

    def __new__(cls, name, fields):
        self = super().__new__(cls, [v for _, v in fields])
        self.name, self._fields = name, tuple(k for k, _ in fields)
        return self


def test_any_tuple_with_name_and_fields_prints_as_a_named_result():
    case = next(c for c in CASES if c["case"].startswith("(torch.max(torch.arange(6).reshape(2, 3), 1), 1)"))
    result_spec, _ = case["value"]["items"]
    fields = [(key, build(s)) for key, s in result_spec["fields"]]
    assert pretty((NamedTuple("max", fields), 1), leaf_repr) == case["text"]


def test_named_result_unpacks_and_reads_fields():
    values, indices = np.array([2, 5]), np.array([2, 2])
    result = ReturnTypes("max", {"values": values, "indices": indices})
    v, i = result
    assert v is values and i is indices and result.indices is indices and result[0] is values
    assert result._fields == ("values", "indices") and len(result) == 2
    with pytest.raises(AttributeError):
        result.nothing


def test_unsupported_dtype_is_refused():
    with pytest.raises(TypeError):
        tensor_repr(np.array([1 + 2j]))


def test_print_options_last_for_the_session_and_reset_gives_the_defaults():
    from tcalc import printing
    from tcalc.evaluator import Session
    from tcalc.render import value_text
    from tcalc.shell_commands import example_text

    session = Session()
    list(session.run("torch.set_printoptions(precision=2)"))
    assert value_text(list(session.run("tensor([1.23456])"))[-1]) == "tensor([1.23])"
    # The shell's `help NAME` runs its example in a Session of its own: the options stay.
    assert "tensor([0.09, 0.24, 0.67])" in example_text("softmax")
    assert value_text(list(session.run("tensor([1.23456])"))[-1]) == "tensor([1.23])"
    printing.reset_printoptions()  # what the test fixture does between tests
    assert value_text(list(session.run("tensor([1.23456])"))[-1]) == "tensor([1.2346])"


def test_print_options_refuse_what_could_not_be_printed():
    from tcalc.errors import TcalcError
    from tcalc.evaluator import Session

    for call in ("set_printoptions(precision=-1)", "set_printoptions(profile='long')",
                 "set_printoptions(sci_mode=1)", "set_printoptions(linewidth=2.5)"):
        with pytest.raises(TcalcError) as caught:
            list(Session().run(call))
        assert caught.value.message.startswith("set_printoptions(): "), caught.value.message
