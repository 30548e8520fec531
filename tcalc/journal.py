"""Undo for failed statements: what a statement changed, so that a failure can put it back.

A statement that fails leaves every variable as it was (`a, b = 1, undefined_name` binds
nothing; `x.requires_grad_(), 1/0` leaves x without grad). Names are restored from a
snapshot of the session's table; tensors changed in place are restored from notes the
evaluator takes just before the change: the array (and a copy of its elements when they
may change), the autograd flags, `.grad`, and which graph nodes a backward freed.

Copies are only taken for changes that are not the last thing a statement does, so
`X += Y` and `X[i] = v` on a large X cost nothing extra.
"""
from __future__ import annotations

from .tensor import Tensor


class Journal:
    def __init__(self, names: dict):
        self.names = dict(names)
        self.undo: list[tuple] = []
        self._noted: set[tuple[int, bool]] = set()

    def tensor(self, t: Tensor, contents: bool = True) -> None:
        """Note t's state; `contents` also copies its elements."""
        key = (id(t), contents)
        if key in self._noted:
            return
        self._noted.add(key)
        copy = t.data.copy() if contents and t.data.flags.writeable else None
        self.undo.append(("tensor", t, t.data, copy, t.requires_grad, t.grad, t.grad_fn))

    def graph(self, root: Tensor) -> None:
        """Note what a backward from `root` may change: the leaves' `.grad` (accumulated in
        place) and the graph nodes it frees."""
        seen: set[int] = set()
        stack = [root]
        while stack:
            t = stack.pop()
            if id(t) in seen:
                continue
            seen.add(id(t))
            if t.grad_fn is None:
                if t.requires_grad and ("grad", id(t)) not in self._noted:
                    self._noted.add(("grad", id(t)))
                    grad = t.grad
                    copy = grad.data.copy() if type(grad) is Tensor else None
                    self.undo.append(("grad", t, grad, copy))
                continue
            node = t.grad_fn
            if ("node", id(node)) not in self._noted:
                self._noted.add(("node", id(node)))
                self.undo.append(("node", node, node.freed))
            stack.extend(x for x in node.inputs if type(x) is Tensor)

    def absorb(self, inner: "Journal") -> None:
        """A statement inside a larger unit (a shell line) succeeded: keep its notes."""
        self.undo.extend(inner.undo)

    def rollback(self, names: dict) -> None:
        for entry in reversed(self.undo):
            kind = entry[0]
            if kind == "tensor":
                _, t, data, copy, requires_grad, grad, grad_fn = entry
                t.data = data
                if copy is not None:
                    data[...] = copy
                t.requires_grad, t.grad, t.grad_fn = requires_grad, grad, grad_fn
            elif kind == "grad":
                _, t, grad, copy = entry
                if copy is not None and grad.data.flags.writeable:
                    grad.data[...] = copy
                t.grad = grad
            else:
                _, node, freed = entry
                node.freed = freed
        self.undo.clear()
        names.clear()
        names.update(self.names)
