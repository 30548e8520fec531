"""graph(y): the drawing of y's autograd graph, as a learner reads it.

The structure it draws is grad_fn.next_functions, whose names and order are checked against
PyTorch in tests/golden/functional/next-functions.tc; these tests check the drawing itself.
"""
from __future__ import annotations

import re
import shutil

import pytest
from conftest import tcalc_command

from tcalc.errors import TcalcError
from tcalc.evaluator import Session
from tcalc.render import show

SEED = "x = torch.arange(4.0, requires_grad=True)\ny = 2 * torch.dot(x, x)\n"
MLP = """W1 = torch.randn(3, 4, requires_grad=True)
b1 = torch.zeros(4, requires_grad=True)
W2 = torch.randn(4, 1, requires_grad=True)
X = torch.randn(5, 3)
h = torch.relu(X @ W1 + b1)
loss = ((h @ W2) ** 2).mean()
"""
SHARED = "x = torch.arange(3.0, requires_grad=True)\ns = x.sin()\nz = s * s + s.exp()\n"


def _drawing(program: str, expression: str):
    session = Session()
    list(session.run(program))
    return list(session.run(expression))[-1]


def _text(program: str, expression: str) -> str:
    return show(_drawing(program, expression)).text


def _node_names(text: str) -> list[str]:
    return [re.sub(r"^[│├└─ ]*", "", line).split(" ")[0] for line in text.splitlines()]


def test_the_seed_graph_reads_as_the_chain_rule():
    lines = _text(SEED, "graph(y)").splitlines()
    assert _node_names("\n".join(lines)) == ["MulBackward0", "DotBackward0", "AccumulateGrad", "AccumulateGrad",
                                             "None"]
    assert "y: () float32" in lines[0]
    assert "x: (4,) float32" in lines[2] and ".grad not set" in lines[2]
    assert "the number 2" in lines[4]
    assert "saved input 0 (4,), input 1 (4,)" in lines[1]  # dot saves both operands
    assert lines[3].endswith("x again")  # x is used twice: drawn once, referred to after


def test_after_backward_the_leaf_has_its_grad_and_the_saved_tensors_are_gone():
    text = _text(SEED + "y.backward()\n", "graph(y)")
    assert ".grad set (4,)" in text
    assert "saved tensors freed by backward()" in text


def test_an_mlp_step_shows_every_parameter_by_name():
    text = _text(MLP, "graph(loss)")
    assert _node_names(text) == ["MeanBackward0", "PowBackward0", "MmBackward0", "ReluBackward0", "AddBackward0",
                                 "MmBackward0", "None", "AccumulateGrad", "AccumulateGrad", "AccumulateGrad"]
    for name, shape in (("W1", "(3, 4)"), ("b1", "(4,)"), ("W2", "(4, 1)")):
        assert f"{name}: {shape} float32" in text
    assert "-> h: (5, 4) float32" in text  # an intermediate the program named
    assert "a constant (5, 3) float32, no gradient" in text  # the data X


def test_a_shared_subexpression_is_drawn_once():
    text = _text(SHARED, "graph(z)")
    assert text.count("SinBackward0 [1]  -> s:") == 1
    assert text.count("SinBackward0 [1] drawn above") == 2
    assert text.count("AccumulateGrad") == 1


def test_the_shell_draws_the_same_characters_with_rich():
    from rich.console import Console

    for program, expression in ((SEED, "graph(y)"), (MLP, "graph(loss)"), (SHARED, "graph(z)")):
        shown = show(_drawing(program, expression))
        console = Console(width=200, color_system=None, record=True, file=open("/dev/null", "w"))
        console.print(shown.rich())
        assert console.export_text().rstrip("\n") == shown.text


def test_piped_output_is_the_drawing_without_escape_codes():
    result = tcalc_command("-e", SEED + "graph(y)")
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout
    assert result.stdout.splitlines()[0].startswith("MulBackward0")
    assert "└── None" in result.stdout


def test_dot_has_each_node_once_and_every_edge():
    text = _drawing(SHARED, "graph(z, format='dot')")
    assert text.startswith("digraph autograd {") and text.endswith("}")
    labels = re.findall(r'\[label="(\w+)', text)
    assert sorted(labels) == sorted(["AddBackward0", "MulBackward0", "ExpBackward0", "SinBackward0",
                                     "AccumulateGrad"])
    # add <- mul, add <- exp, mul <- sin twice (s * s), exp <- sin, sin <- x
    assert len(re.findall(r"^  n\d+ -> n\d+;$", text, re.M)) == 6


@pytest.mark.parametrize("expression", ["graph(3)", "graph(y, format='png')", "graph()", "graph(y, 1, 2)",
                                        "graph(y, file=3)", "graph(y, file='g.png')",
                                        "graph(y, file='g.dot', format='dot')", "graph(y, file='/no/such/dir/g.dot')"])
def test_bad_calls_are_clean_errors(expression):
    with pytest.raises(TcalcError) as caught:
        _drawing(SEED, expression)
    assert caught.value.kind != "internal error"


def test_a_leaf_and_a_constant_say_what_they_are():
    assert "x is a leaf" in _text(SEED, "graph(x)")
    assert "does not require grad" in _text("c = ones(2)\n", "graph(c)")


def test_grads_shows_what_backward_sends_each_node():
    # y = 2 * dot(x, x): the dot node receives dy/d(dot) = 2, the leaf x receives 4x in total
    # (two paths), which is what backward leaves in x.grad.
    text = _text(SEED + "y.backward()\n", "graph(y, grads=True)")
    lines = text.splitlines()
    assert lines[0].endswith("<- grad 1")
    assert lines[1].startswith("├── DotBackward0") and lines[1].endswith("<- grad 2")
    assert lines[2].endswith("<- grad (4,) mean 6, max |12|")  # 4 * [0, 1, 2, 3]
    assert _text(SEED + "y.backward()\n", "x.grad; graph(y)") == _text(SEED + "y.backward()\n", "graph(y)")


def test_grads_leave_the_session_as_it_was():
    session = Session()
    list(session.run(SEED + "seen = []\nx.register_hook(lambda g: seen.append(g))\n"))
    list(session.run("graph(y, grads=True)"))
    assert session.globals["x"].grad is None and session.globals["seen"] == []
    list(session.run("y.backward()"))  # the graph was not freed by drawing it
    assert session.globals["x"].grad.data.tolist() == [0.0, 4.0, 8.0, 12.0]


def test_a_graph_from_a_long_loop_is_cut_and_says_so():
    text = _text("x = tensor(1.0, requires_grad=True)\ns = x\nfor k in range(3000):\n    s = s * 1.0001 + x\n", "graph(s)")
    assert len(text.splitlines()) < 200
    assert "deeper than 60 levels, not drawn" in text


needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")


@needs_dot
def test_file_svg_is_graphviz_s_picture_of_the_same_nodes(tmp_path):
    target = tmp_path / "g.svg"
    session = Session()
    assert list(session.run(SHARED + f"graph(z, file={str(target)!r})")) == []  # nothing to show
    picture = target.read_text(encoding="utf-8")
    assert "<svg" in picture and picture.count('class="node"') == 5
    assert "SinBackward0" in picture and "AccumulateGrad" in picture
    assert [p.name for p in tmp_path.iterdir()] == ["g.svg"]  # no temporary file left beside it


def test_file_dot_writes_the_dot_text(tmp_path):
    target = tmp_path / "g.dot"
    list(Session().run(SHARED + f"graph(z, file={str(target)!r})"))
    assert target.read_text(encoding="utf-8") == _drawing(SHARED, "graph(z, format='dot')") + "\n"


def test_without_dot_the_svg_says_so_and_the_old_file_stays(tmp_path, monkeypatch):
    target = tmp_path / "g.svg"
    target.write_text("old")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    for expression in (f"graph(y, file={str(target)!r})", "graph(y, format='svg')"):
        with pytest.raises(TcalcError) as caught:
            list(Session().run(SEED + expression))
        assert caught.value.message == ("graph: Graphviz's 'dot' program is not installed; graph(y, format='dot') "
                                        "gives the DOT text")
    assert target.read_text() == "old"
    assert show(_drawing(SEED, "graph(y)")).svg() is None  # a notebook shows the text alone


def test_labels_reach_dot_as_data_not_as_commands(tmp_path):
    """A variable's name is in the labels; dot reads them from its input, no shell sees them."""
    program = "x = torch.arange(2.0, requires_grad=True)\ny = (x * 3).sum()\n"
    text = _drawing(program, "graph(y, format='dot')")
    assert "x: (2,) float32" in text
    if shutil.which("dot"):
        assert "<svg" in _drawing(program, "graph(y, format='svg')")
