"""Record which tensors each op saves for its backward: tests/golden_saved.json.

PyTorch keeps, for each tensor a graph node saves, the tensor's version at that moment; a
backward that finds a saved tensor changed in place since refuses ("one of the variables
needed for gradient computation has been modified by an inplace operation"). Which tensors
an op saves decides which in-place changes are refused, so this survey changes each input,
and the output, of every differentiable op in place (through `.detach()`, which shares the
version counter) and records what the backward answers: PyTorch's refusal, or the
gradients (computed from the unchanged values, since nothing it needs changed).

Binary ops run with each operand requiring grad and with only one of them: PyTorch saves a
tensor only when a gradient that needs it is wanted (`a * b` keeps b for a's gradient).

Run with a Python that has torch (never part of the test suite):

    python tests/record/record_saved.py

The cases have the format of tests/golden_differential.json (the last line is the value).
"""
from __future__ import annotations

from pathlib import Path

from recording import record_answers

OUT = Path(__file__).resolve().parent.parent / "golden_saved.json"

A = "a = tensor([[1.5, 2.0], [0.5, 3.0]], dtype=torch.float64{})"
B = "b = tensor([[2.0, 1.0], [1.0, 4.0]], dtype=torch.float64{})"
C = "c = tensor([[0.5, 2.5], [2.0, 1.0]], dtype=torch.float64{})"
V = "a = tensor([1.5, 2.0, 0.5], dtype=torch.float64{})"
W = "b = tensor([2.0, 1.0, 3.0], dtype=torch.float64{})"
A3 = "a = tensor([[[1.5, 2.0], [0.5, 3.0]], [[1.0, -1.0], [2.0, 0.5]]], dtype=torch.float64{})"

# Functions of one tensor `a` (2x2 unless the op wants otherwise): (setup, expression).
UNARY = [(A, e) for e in [
    "a.exp()", "a.log()", "a.log2()", "a.log10()", "a.sqrt()", "a.sin()", "a.cos()", "a.tan()",
    "a.tanh()", "a.sigmoid()", "a.reciprocal()", "a.abs()", "a.relu()", "a.sign()", "a.floor()",
    "a.ceil()", "a.trunc()", "a.round()", "a.round(decimals=1)", "a.square()", "-a", "a.neg()",
    "a.clone()", "a.sum()", "a.sum(0)", "a.mean()", "a.mean(dim=1, keepdim=True)", "a.prod()",
    "a.prod(0)", "a.max()", "a.min()", "a.max(0).values", "a.min(dim=1).values", "a.amax(0)",
    "a.amin(1)", "a.cumsum(0)", "a.std()", "a.var()", "a.std(0)", "a.var(dim=1)", "a.norm()",
    "a.norm(p=1)", "torch.linalg.vector_norm(a, ord=3)", "torch.linalg.norm(a)",
    "torch.linalg.matrix_norm(a, ord=1)", "torch.linalg.matrix_norm(a, ord='nuc')",
    "torch.linalg.matrix_norm(a, ord=2)", "a.trace()", "a.inverse()", "torch.linalg.inv(a)",
    "a.det()", "torch.linalg.det(a)", "a.clamp(0.8, 2.5)", "a.clamp(min=1.0)", "a.float()",
    "a.double()", "a.to(torch.float32)", "a.contiguous()", "a.t().contiguous()", "a.flatten()",
    "a.reshape(4)", "a.t().reshape(4)", "a.view(4)", "a.t()", "a.T", "a.permute(1, 0)",
    "a.transpose(0, 1)", "a.unsqueeze(0)", "a[None]", "a.unsqueeze(0).squeeze()",
    "a.unsqueeze(0).squeeze(0)", "a[0].expand(2, 2) * 1", "a.narrow(1, 0, 1)", "a[0]", "a[:, 1]",
    "a[0:1]", "a[...]", "a[[0, 1]]", "a[:, [1, 0]]", "a[a > 1]", "a ** 2", "a ** 0",
    "a ** 0.5", "2 ** a", "a % 2", "a / 2", "2 / a", "a * 2", "2 * a", "a + 1", "1 - a",
    "a - 1", "a.div(2, rounding_mode='floor')", "cat([a, a])", "stack([a, a])",
    "where(a > 1.2, a, 0.0)", "a @ a", "a.matmul(a)", "a.mm(a)", "a @ a[0]", "a[0] @ a",
    "a[0] @ a[1]", "a.sum().exp()", "a.exp().sum()", "(a * a).sum()", "a.maximum(a * 2)",
    "a.add(a, alpha=2)", "a.mul(a)", "a * a", "a / a", "a ** a", "torch.outer(a[0], a[1])",
    "a.softmax(1)", "torch.log_softmax(a, 0)", "a.sort().values", "a.sort(0, descending=True).values",
    "a.topk(1).values", "a.mT", "a.repeat(2, 1)", "a.repeat(2, 1, 1)", "a.logsumexp(1)",
    "torch.logsumexp(a, (0, 1))", "a.tril()", "a.triu(1)", "a.diag()", "a.diag(-1)",
]] + [(V, e) for e in [
    "a.dot(a)", "torch.outer(a, a)", "a.cumsum(0)", "a.prod()", "a.norm(p=1)", "a.max()",
    "a.diag()", "torch.diag(a, 1)", "a.softmax(0)", "a.sort().values",
]] + [(A3, e) for e in [
    "a @ a", "a @ a[0]", "a[0] @ a", "a @ a[0, 0]", "a.sum(dim=(0, 2))", "a.permute(2, 0, 1)",
    "a.max(1).values", "a.transpose(0, 2)", "a.reshape(2, 4)", "a.det()", "a.mT", "a.tril(-1)",
    "a.softmax(1)", "a.logsumexp(2)",
]]

# Functions of two (or three) tensors; every combination of which operands require grad.
BINARY = [((A, B), e) for e in [
    "a + b", "a - b", "a * b", "a / b", "a ** b", "a % b", "b % a", "torch.maximum(a, b)",
    "torch.minimum(a, b)", "a @ b", "a.mm(b)", "a @ b[0]", "a[0] @ b", "a[0].dot(b[0])",
    "torch.outer(a[0], b[1])", "torch.linalg.solve(a, b)", "torch.linalg.solve(a, b[0])",
    "a.add(b, alpha=2)", "a.sub(b, alpha=2)", "torch.div(a, b, rounding_mode='trunc')",
    "cat([a, b])", "stack([a, b], dim=1)", "where(a > b, a, b)", "a.clamp(min=b)",
    "a.clamp(max=b)", "(a * b).sum()", "a * b.sum()", "a.expand(2, 2, 2) @ b", "a @ b.T",
    "a.T @ b",
]] + [((V, W), e) for e in ["a.dot(b)", "torch.outer(a, b)", "a @ b", "a * b"]] + [
    ((A, B, C), e) for e in ["a.clamp(b, c)", "a * b * c", "a @ b @ c"]]


def setups(lines: tuple, wants: tuple) -> str:
    return "\n".join(line.format(", requires_grad=True" if w else "") for line, w in zip(lines, wants))


def programs():
    """(source) for every op, every operand requiring-grad pattern and every tensor changed."""
    for lines, expression in [((s,), e) for s, e in UNARY] + BINARY:
        names = [line[0] for line in lines]
        n = len(lines)  # all operands require grad, then each one alone
        patterns = [(True,) * n] + ([tuple(i == j for i in range(n)) for j in range(n)] if n > 1 else [])
        for wants in patterns:
            grads = "(" + ", ".join(f"{n}.grad" for n in names) + (",)" if len(names) == 1 else ")")
            for changed in names + ["y"]:
                yield "\n".join([setups(lines, wants), f"y = {expression}",
                                 f"{changed}.detach().mul_(2);", "y.sum().backward()", grads])


def main() -> None:
    record_answers(((source, source) for source in programs()), OUT)


if __name__ == "__main__":
    main()
