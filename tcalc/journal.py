"""Undo for failed statements: what a statement changed, so that a failure can put it back.

A statement that fails leaves every variable as it was (`a, b = 1, undefined_name` binds
nothing; `x.requires_grad_(), 1/0` leaves x without grad). Names are copy-on-write: the
evaluator notes a name's old binding just before the statement binds it (nothing is copied
for the names a statement does not touch, builtins included). Tensors changed in place are
restored from notes the evaluator takes just before the change: the array (and a copy of
its elements when they may change), the autograd flags, `.grad`, the version counter (so
that a backward does not refuse over a change that was undone), and which graph nodes a
backward freed.

Copies are only taken for changes that are not the last thing a statement does, so
`X += Y` and `X[i] = v` on a large X cost nothing extra, and neither does `y.backward()`
(a backward commits its `.grad` changes only once nothing in it can fail). A backward that
is not the last thing is noted as it commits: only the leaves whose `.grad` it changes.
"""
from __future__ import annotations

from .tensor import Tensor, version, writable

_UNBOUND = object()  # a name the statement bound that did not exist before


class Journal:
    __slots__ = ("names", "old", "undo", "_noted")

    def __init__(self, names: dict):
        self.names = names  # the session's table, not a copy
        self.old: dict[str, object] = {}  # name -> its binding before the statement
        self.undo: list[tuple] = []
        self._noted: set | None = None

    def bind(self, name: str) -> None:
        """Note `name`'s binding before the statement rebinds it (only the first time)."""
        if name not in self.old:
            self.old[name] = self.names.get(name, _UNBOUND)

    def _first(self, key) -> bool:
        noted = self._noted
        if noted is None:
            noted = self._noted = set()
        if key in noted:
            return False
        noted.add(key)
        return True

    def tensor(self, t: Tensor, contents: bool = True) -> None:
        """Note t's state; `contents` also copies its elements."""
        if not self._first((id(t), contents)):
            return
        copy = t.data.copy() if contents and writable(t.data).flags.writeable else None
        self.undo.append(("tensor", t, t.data, copy, t.requires_grad, t.grad, t.grad_fn, version(t)))

    def container(self, items) -> None:
        """Note a list's or dict's items before the statement changes them (`xs.append(v)`,
        `d[k] = v`): a shallow copy, as the items themselves are not changed."""
        if self._first(("container", id(items))):
            self.undo.append(("container", items, items.copy()))

    def backward(self, leaves: list, nodes, in_place: bool) -> None:
        """A backward is about to commit (autograd.observe_commits): note the `.grad` of
        each leaf it changes (a copy when it accumulates in place) and the nodes it frees."""
        for t in leaves:
            if self._first(("grad", id(t))):
                grad = t.grad
                copy = grad.data.copy() if in_place and type(grad) is Tensor else None
                self.undo.append(("grad", t, grad, copy, version(grad) if type(grad) is Tensor else 0))
        for node in nodes:
            if self._first(("node", id(node))):
                self.undo.append(("node", node, node.freed))

    def absorb(self, inner: "Journal") -> None:
        """A statement inside a larger unit (a shell line) succeeded: keep its notes."""
        old = self.old
        for name, value in inner.old.items():
            if name not in old:
                old[name] = value
        self.undo.extend(inner.undo)

    def rollback(self) -> None:
        for entry in reversed(self.undo):
            kind = entry[0]
            if kind == "tensor":
                _, t, data, copy, requires_grad, grad, grad_fn, count = entry
                t.data = data
                if copy is not None:
                    writable(data)[...] = copy
                t.requires_grad, t.grad, t.grad_fn = requires_grad, grad, grad_fn
                if t._vc is not None:  # shared with t's views: they are back too
                    t._vc[0] = count
            elif kind == "grad":
                _, t, grad, copy, count = entry
                if copy is not None and grad.data.flags.writeable:
                    grad.data[...] = copy
                if type(grad) is Tensor and grad._vc is not None:
                    grad._vc[0] = count
                t.grad = grad
            elif kind == "container":
                _, items, saved = entry
                items.clear()
                if type(items) is list:
                    items.extend(saved)
                else:
                    items.update(saved)
            else:
                _, node, freed = entry
                node.freed = freed
        self.undo.clear()
        names = self.names
        for name, value in self.old.items():
            if value is _UNBOUND:
                names.pop(name, None)
            else:
                names[name] = value
        self.old.clear()
