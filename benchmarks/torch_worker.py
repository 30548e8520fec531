"""The torch side of benchmarks/run.py, run under a Python that has torch.

Reads one JSON request a line on stdin and answers one JSON line on stdout:
{"cmd": "setup", "case": ..., params} prepares a case, {"cmd": "run", "case": ...} runs it
once and answers the seconds it took; with "cpu": true, the CPU seconds of this process
with torch limited to one thread (as the runner limits NumPy's BLAS with threadpoolctl).
argv[1] is the thread count to use otherwise (the same as NumPy's BLAS uses in the runner).
"""
import json
import sys
import time

import torch

THREADS = int(sys.argv[1])
torch.set_num_threads(THREADS)
state = {}


def setup_matmul(n, k):
    A = torch.randn(n, n)
    B = torch.randn(n, n) / n ** 0.5

    def run():
        C = A
        for _ in range(k):
            C = C @ B
        return C
    return run


def setup_mlp(steps, hidden=512):
    X = torch.randn(256, 512)
    W1 = (torch.randn(512, hidden) / 20).requires_grad_()
    W2 = (torch.randn(hidden, 10) / 20).requires_grad_()

    def run():
        for _ in range(steps):
            L = ((torch.tanh(X @ W1) @ W2) ** 2).sum()
            L.backward()
    return run


def setup_tiny(reps):
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)

    def run():
        for _ in range(reps):
            y = 2 * torch.dot(x, x)
            y.backward()
    return run


def setup_train(epochs):
    X = torch.randn(1000, 10)
    y = X @ torch.randn(10, 1) + 0.1 * torch.randn(1000, 1)
    lr = 0.1

    def run():
        w = torch.zeros(10, 1, requires_grad=True)
        b = torch.zeros(1, requires_grad=True)
        for epoch in range(epochs):
            loss = ((X @ w + b - y) ** 2).mean()
            loss.backward()
            with torch.no_grad():
                w -= lr * w.grad
                b -= lr * b.grad
                w.grad.zero_()
                b.grad.zero_()
    return run


def setup_vmap(n, d, reps):
    X, W, w = torch.randn(n, d), torch.randn(d, d), torch.randn(d)

    def f(x):
        return ((x @ W).tanh() * w).sum()

    def run():
        for _ in range(reps):
            torch.func.vmap(f)(X)
    return run


SETUPS = {"matmul": setup_matmul, "mlp": setup_mlp, "tiny": setup_tiny, "train": setup_train, "vmap": setup_vmap}

for line in sys.stdin:
    request = json.loads(line)
    cmd = request.pop("cmd")
    if cmd == "version":
        answer = torch.__version__
    elif cmd == "setup":
        case = request.pop("case")
        state[case] = SETUPS[case](**request)
        state[case]()  # warm up
        answer = True
    elif request.get("cpu"):
        function = state[request["case"]]
        torch.set_num_threads(1)
        start = time.process_time()
        function()
        answer = time.process_time() - start
        torch.set_num_threads(THREADS)
    else:
        function = state[request["case"]]
        start = time.perf_counter()
        function()
        answer = time.perf_counter() - start
    sys.stdout.write(json.dumps(answer) + "\n")
    sys.stdout.flush()
