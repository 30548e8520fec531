"""`graph(y)`: the autograd graph behind y, drawn for someone learning backpropagation.

Every node is a grad_fn with PyTorch's name (MulBackward0), the shape and dtype of the
tensor it made, and the tensors its backward saved; the leaves are AccumulateGrad nodes
with the variable's name, shape, dtype and whether its .grad is set; an input that needs
no gradient (a number, a constant tensor) is shown where PyTorch's next_functions has None.
A node reached by two paths (a shared subexpression, a variable used twice) is drawn once,
marked [n], and referred to as [n] after that. Read from the top, the tree is the order in
which backward() visits the nodes: the chain rule from y down to the leaves.

The drawing is a values.GraphDrawing; render.RENDERERS shows it as plain text (piped, and
byte for byte the same characters) or as a rich Tree (the shell); `graph(y, format='dot')`
is Graphviz DOT text of the same nodes (`format='svg'` and `file='g.svg'` lay it out with
Graphviz's dot program, when it is installed; `file='g.dot'` writes the DOT text); `graph(y, grads=True)` adds the gradient each node
receives in a backward from y (its shape, mean and largest size).
"""
from __future__ import annotations

import os
import weakref

from .autograd import OUT, Node
from .errors import TcalcTypeError, TcalcValueError
from .tensor import Tensor
from .values import AccumulateGrad, GraphDrawing, type_name

GUIDES = ("├── ", "└── ", "│   ", "    ")  # the guides rich.tree.Tree draws
MAX_DEPTH = 60  # levels drawn; a graph built by a long loop is cut there, saying so


def _shape(data) -> str:
    shape = data.shape
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def _described(tensor: Tensor) -> str:
    return f"{_shape(tensor.data)} {tensor.dtype.name}"


class _Walk:
    """One pass over the graph: which nodes are reached twice (they get a number), then the
    drawing."""

    def __init__(self, names: dict[int, str], grads: dict[int, Tensor] | None = None):
        self.names = names  # id(tensor) -> the variable that holds it
        self.grads = grads  # id(node or leaf) -> the gradient backward sends it, for grads=True
        self.numbers: dict[int, int] = {}
        self.drawn: set[int] = set()
        self.shared: set[int] = set()

    @staticmethod
    def inputs(node: Node) -> list:
        """(key, next node or leaf tensor or None, the input), in next_functions' order."""
        found = []
        for x, edge in _next_inputs(node):
            if edge is not None:
                found.append((id(edge), edge, x))
            elif type(x) is Tensor and x.requires_grad:
                found.append((id(x), x, x))
            else:
                found.append((None, None, x))
        return found

    def count(self, root: Node) -> None:
        seen, stack = {id(root)}, [root]
        while stack:
            node = stack.pop()
            for key, target, _ in self.inputs(node):
                if key is None:
                    continue
                if key in seen:
                    self.shared.add(key)
                    continue
                seen.add(key)
                if isinstance(target, Node):
                    stack.append(target)

    def _number(self, key: int) -> list:
        if key not in self.shared:
            return []
        number = self.numbers.setdefault(key, len(self.numbers) + 1)
        return [(f" [{number}]", "bold magenta")]

    def _gradient(self, key: int) -> list:
        if self.grads is None:
            return []
        grad = self.grads.get(key)
        return [(f"  <- grad {_summary(grad)}" if grad is not None else "  <- no gradient", "bold yellow")]

    def node(self, node: Node, depth: int = 0) -> GraphDrawing:
        key = id(node)
        if depth >= MAX_DEPTH:
            return GraphDrawing([(f"... {node.name} and the nodes below it: deeper than {MAX_DEPTH} levels, not "
                                  "drawn", "dim")], [])
        if key in self.drawn:
            return GraphDrawing([(node.name, "bold cyan"), (f" [{self.numbers[key]}] drawn above", "dim")], [],
                                key, reference=True)
        self.drawn.add(key)
        parts = [(node.name, "bold cyan"), *self._number(key)]
        output = node._output_ref()
        name = self.names.get(id(output)) if output is not None else None
        parts.append((f"  -> {name + ': ' if name else ''}{_shape(node._output)} {_dtype_name(node)}", ""))
        saved = _saved(node)
        if saved and node.freed and node.op.saves:
            parts.append(("  saved tensors freed by backward()", "dim"))
        elif saved:
            parts.append(("  saved " + ", ".join(saved), "yellow"))
        parts.extend(self._gradient(key))
        children = []
        for key_, target, x in self.inputs(node):
            if target is None:
                children.append(GraphDrawing([("None", "dim"), (f"  {_constant(x)}, no gradient", "dim")], []))
            elif isinstance(target, Node):
                children.append(self.node(target, depth + 1))
            else:
                children.append(self.leaf(target))
        return GraphDrawing(parts, children, key)

    def leaf(self, x: Tensor) -> GraphDrawing:
        key = id(x)
        name = self.names.get(key)
        if key in self.drawn:
            return GraphDrawing([("AccumulateGrad", "bold green"),
                                 (f" [{self.numbers[key]}] {name or 'the leaf'} again", "dim")], [], key,
                                reference=True)
        self.drawn.add(key)
        grad = "not set" if x.grad is None else f"set {_shape(x.grad.data)}"
        return GraphDrawing([("AccumulateGrad", "bold green"), *self._number(key),
                             (f"  {name or 'a leaf'}: {_described(x)}, requires_grad, .grad {grad}", ""),
                             *self._gradient(key)], [],
                            key)


def _next_inputs(node: Node) -> list:
    """(input, its grad_fn) in the order of PyTorch's next_functions: the tensor operands as
    written, then a Python number operand, which PyTorch wraps as a tensor that needs no
    gradient (2 * t is mul(t, 2)); a number exponent is part of PowBackward0 itself."""
    tensors = [(x, e) for x, e in zip(node.inputs, node.edges) if type(x) is Tensor]
    numbers = [(x, None) for x in node.inputs if type(x) is not Tensor and x is not None]
    if node.name.startswith("Pow") or not numbers:
        return tensors
    return tensors + numbers


# A leaf's AccumulateGrad, while anything holds it: the same node wherever the leaf is met,
# as in PyTorch (its tensor keeps the node weakly). Keyed by the leaf's id: the node holds
# the leaf, so the id is not reused while the entry stands.
_ACCUMULATORS: "weakref.WeakValueDictionary[int, AccumulateGrad]" = weakref.WeakValueDictionary()


def _accumulator(leaf: Tensor) -> AccumulateGrad:
    node = _ACCUMULATORS.get(id(leaf))
    if node is None:
        node = _ACCUMULATORS[id(leaf)] = AccumulateGrad(leaf)
    return node


def next_functions(node: Node) -> tuple:
    """grad_fn.next_functions: (the next node, 0) per input; AccumulateGrad at a leaf, None
    for an input that needs no gradient."""
    pairs = []
    for x, edge in _next_inputs(node):
        if edge is not None:
            pairs.append((edge, 0))
        elif type(x) is Tensor and x.requires_grad:
            pairs.append((_accumulator(x), 0))
        else:
            pairs.append((None, 0))
    return tuple(pairs)


def _summary(grad: Tensor) -> str:
    """A gradient in a few characters: its value, or its shape, mean and largest size."""
    import numpy as np

    data = grad.data
    if data.size == 1:
        return f"{float(data.reshape(())):.4g}"
    if data.size == 0:
        return f"{_shape(data)} empty"
    return f"{_shape(data)} mean {float(np.mean(data)):.4g}, max |{float(np.max(np.abs(data))):.4g}|"


def _dtype_name(node: Node) -> str:
    from . import dtypes

    return dtypes.of_array(node._output).name


def _saved(node: Node) -> list[str]:
    """What the node's backward keeps, as shapes (its result, or inputs by position)."""
    if not node.saved:
        return []
    shown = []
    for what, _version, _extra in node.saved:
        if what == OUT:
            shown.append(f"result {_shape(node._output)}")
        else:
            shown.append(f"input {what} {_shape(node.inputs[what].data)}")
    return sorted(shown)


def _constant(x) -> str:
    if type(x) is Tensor:
        return f"a constant {_described(x)}"
    from .python_values import python_repr

    return f"the number {python_repr(x)}" if isinstance(x, (int, float)) else type_name(x)


def build(y, names: dict[int, str], grads: bool = False) -> GraphDrawing:
    if type(y) is not Tensor:
        raise TcalcTypeError(f"graph() needs a tensor, not {type_name(y)}", hint="graph(y) draws how y was computed")
    name = names.get(id(y))
    if y.grad_fn is None:
        what = "a leaf" if y.requires_grad else "a tensor that does not require grad"
        hint = "" if y.requires_grad else ": compute it from tensors made with requires_grad=True"
        return GraphDrawing([(f"{name or 'the tensor'} is {what}: {_described(y)}{hint}", "")], [])
    walk = _Walk(names, _edge_gradients(y) if grads else None)
    walk.count(y.grad_fn)
    return walk.node(y.grad_fn)


def text(drawing: GraphDrawing) -> str:
    """The drawing as plain text: the characters rich draws, without styles."""
    lines = ["".join(part for part, _ in drawing.parts)]

    def children(node: GraphDrawing, prefix: str) -> None:
        for i, child in enumerate(node.children):
            last = i == len(node.children) - 1
            lines.append(prefix + GUIDES[1 if last else 0] + "".join(part for part, _ in child.parts))
            children(child, prefix + GUIDES[3 if last else 2])

    children(drawing, "")
    return "\n".join(lines)


def rich_tree(drawing: GraphDrawing):
    from rich.text import Text
    from rich.tree import Tree

    def label(node: GraphDrawing):
        styled = Text()
        for part, style in node.parts:
            styled.append(part, style=style or None)
        return styled

    def add(tree, node: GraphDrawing) -> None:
        for child in node.children:
            add(tree.add(label(child)), child)

    root = Tree(label(drawing), guide_style="dim")
    add(root, drawing)
    return root


def dot(drawing: GraphDrawing) -> str:
    """Graphviz DOT text of the drawing: each node once, an edge from each input to its
    consumer (the direction the forward pass ran)."""
    lines = ["digraph autograd {", '  node [shape=box, fontname="monospace"];']
    ids: dict[int, str] = {}

    def emit(node: GraphDrawing) -> str:
        if node.reference:
            return ids[node.key]
        me = f"n{len(ids) + 1}"
        ids[id(node) if node.key is None else node.key] = me
        label = "".join(part for part, _ in node.parts).replace("\\", "\\\\").replace('"', '\\"')
        lines.append(f'  {me} [label="{label}"];')
        for child in node.children:
            lines.append(f"  {emit(child)} -> {me};")
        return me

    emit(drawing)
    lines.append("}")
    return "\n".join(lines)


def graph(args: tuple, kwargs: dict, variables: dict):
    """graph(y), graph(y, format='dot') or graph(y, file='g.svg'), naming tensors as the
    session's variables do."""
    return _graph(*args, names=_names(variables), **kwargs)


def _names(variables: dict) -> dict[int, str]:
    names: dict[int, str] = {}
    for name, value in variables.items():
        if type(value) is Tensor and not name.startswith("_"):
            names.setdefault(id(value), name)
    return names


def _edge_gradients(y: Tensor) -> dict:
    import numpy as np

    from .autograd import edge_gradients
    from .errors import AutogradError

    if y.data.size != 1:
        raise AutogradError("grad can be implicitly created only for scalar outputs",
                            hint="graph(y, grads=True) shows a backward from a one-element y: draw y.sum()")
    return edge_gradients(y, Tensor(np.ones_like(y.data)))


MISSING_DOT = "graph: Graphviz's 'dot' program is not installed; graph(y, format='dot') gives the DOT text"
DOT_SECONDS = 30  # the longest Graphviz may take to lay a drawing out


def svg(drawing: GraphDrawing) -> str:
    """The drawing laid out by Graphviz's dot, as SVG text. The DOT text goes to dot's
    standard input; dot is run by its path with fixed arguments, never through a shell."""
    import shutil  # here, not at start-up: only a picture needs them
    import subprocess

    program = shutil.which("dot")
    if program is None:
        raise TcalcValueError(MISSING_DOT, hint="install Graphviz (e.g. apt-get install graphviz), or write the "
                                                "DOT text with graph(y, file='g.dot')")
    try:
        done = subprocess.run([program, "-Tsvg"], input=dot(drawing).encode("utf-8"), capture_output=True,
                              timeout=DOT_SECONDS, check=False)
    except subprocess.TimeoutExpired:
        raise TcalcValueError(f"graph: Graphviz's dot did not finish in {DOT_SECONDS} s",
                              hint="graph(y, format='dot') gives the DOT text") from None
    except OSError as err:
        raise TcalcValueError(f"graph: Graphviz's dot could not be run: {err.strerror}") from None
    if done.returncode != 0:
        problem = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise TcalcValueError("graph: Graphviz's dot failed" + (f": {problem[0]}" if problem else ""))
    return done.stdout.decode("utf-8", "replace")


def svg_or_none(drawing: GraphDrawing) -> str | None:
    """The SVG for a notebook's picture, or None where dot is missing (the text stays)."""
    import shutil

    if shutil.which("dot") is None:
        return None
    try:
        return svg(drawing)
    except TcalcValueError:
        return None


def _write(drawing: GraphDrawing, file) -> None:
    """graph(y, file='g.svg') or file='g.dot': written as tcalc's save writes files."""
    from .files import write_atomically
    from .serialization import _path

    path = _path(file, "graph")
    extension = os.path.splitext(path)[1].lower()
    if extension == ".svg":
        content = svg(drawing).encode("utf-8")
    elif extension in (".dot", ".gv"):
        content = (dot(drawing) + "\n").encode("utf-8")
    else:
        raise TcalcValueError(f"graph(): cannot tell the format of '{path}' from its extension",
                              hint="file='g.svg' writes a picture (with Graphviz), file='g.dot' the DOT text")
    write_atomically(path, lambda f: f.write(content), "graph")


def _graph(y, *, names: dict[int, str], format=None, grads=False, file=None):
    drawing = build(y, names, bool(grads))
    if file is not None:
        if format is not None:
            raise TcalcValueError("graph(): give format= or file=, not both",
                                  hint="the file's extension says its format: 'g.svg' or 'g.dot'")
        _write(drawing, file)
        return None
    if format is None:
        return drawing
    if format == "dot":
        return dot(drawing)
    if format == "svg":
        return svg(drawing)
    raise TcalcValueError(f"graph(): unknown format {format!r}", hint="format='dot' gives Graphviz DOT text, "
                                                                    "format='svg' a picture (with Graphviz)")
