"""Tab completion in the shell, asked as prompt_toolkit asks it: the text before the
cursor, and what the menu offers (the text put in, and its one-line description)."""
from __future__ import annotations

import pytest

pytest.importorskip("prompt_toolkit")

from prompt_toolkit.completion import CompleteEvent  # noqa: E402
from prompt_toolkit.document import Document  # noqa: E402

from tcalc.completion import SessionCompleter  # noqa: E402
from tcalc.output import Output  # noqa: E402
from tcalc.repl import Shell  # noqa: E402

SETUP = """\
my_weights = arange(6.).reshape(2, 3)
import torch.nn.functional as F
config = {"alpha": 1, "beta": ones(2)}
greeting = "hi"
losses = [1.0]
best = my_weights.max(dim=1)
def step(lr, momentum=0.9, *rest, nesterov=False):
    return lr
"""


@pytest.fixture(scope="module")
def complete():
    shell = Shell(Output(False))
    shell.handle(SETUP)
    completer = SessionCompleter(lambda: shell.session.globals, shell.user_variables)

    def offers(text: str) -> dict[str, str]:
        return {c.text: c.display_meta_text
                for c in completer.get_completions(Document(text), CompleteEvent())}
    return offers


@pytest.mark.parametrize("text", ["my_", "sum(my_", "a @ my_", "x = [1, my_", "f(2 * my_"])
def test_variables_complete_anywhere_in_the_line(complete, text):
    assert complete(text) == {"my_weights": "Tensor (2, 3) float32"}


def test_torch_members_inside_a_call_are_torch_functions(complete):
    assert set(complete("torch.tensor(torch.ar")) == {"arange", "arccos", "arccosh", "arcsin", "arcsinh", "arctan",
                                                     "arctan2", "arctanh", "argmax", "argmin", "argsort", "argwhere"}
    assert complete("torch.tensor(torch.ar")["arange"] == \
        "arange(start, end=None, step=1, dtype=None, requires_grad=False)"


def test_each_submodule_offers_its_own_members(complete):
    assert set(complete("torch.linalg.e")) == {"eig", "eigh", "eigvals", "eigvalsh"}
    assert set(complete("torch.linalg.so")) == {"solve", "solve_ex", "solve_triangular"}
    assert set(complete("torch.special.ndt")) == {"ndtr", "ndtri"}
    assert set(complete("F.re")) == {"relu", "relu6"}
    assert "mse_loss" in complete("torch.nn.functional.ms")


def test_a_values_own_methods_after_the_dot(complete):
    tensor = complete("my_weights.")
    assert tensor["sum"] == "sum(dim=None, keepdim=False, dtype=None)"
    assert tensor["grad"] == "attribute" and "add_" in tensor
    assert set(complete("greeting.sp")) == {"split"}
    assert set(complete("losses.app")) == {"append"}
    assert "keys" in complete("config.")
    assert "startswith" not in tensor and "append" not in tensor  # str and list methods stay theirs
    assert complete("best.") == {"values": "Tensor (2,) float32", "indices": "Tensor (2,) int64"}
    assert "argmax" in complete("best.values.")


def test_keyword_arguments_of_the_call_being_typed(complete):
    offered = complete("my_weights.sum(di")
    assert offered["dim="] == "sum(dim=None, keepdim=False, dtype=None)"
    assert "dim=" in complete("torch.sum(my_weights, ")
    assert "dim=" not in complete("torch.sum(my_weights, dim=0, ")  # given already
    assert set(k for k in complete("step(0.1, n") if k.endswith("=")) == {"nesterov="}
    assert "ord=" in complete("torch.linalg.norm(my_weights, o")


def test_dict_keys_after_the_bracket(complete):
    assert {"'alpha']", "'beta']"} <= set(complete("config["))
    assert complete('config["al') == {'alpha"]': "int"}
    assert set(complete("config['")) == {"alpha']", "beta']"}


@pytest.mark.parametrize("text", ["x = 1.5", "my_weights.sum().", "'my_", "# my_", "nothing.at"])
def test_nothing_where_nothing_can_be_known(complete, text):
    assert complete(text) == {}
