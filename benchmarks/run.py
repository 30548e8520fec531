"""tcalc against plain Python + NumPy (and PyTorch, where a Python with torch is given).

    python benchmarks/run.py [--quick] [--torch-python PATH] [--only NAME,...] [--json FILE]

Each case does the same work three ways and reports the median time of each, measured in
alternating runs (tcalc, NumPy, torch, tcalc, ...) so that a noisy machine slows all sides
alike, and the ratio tcalc / NumPy (and tcalc / torch). Start-up, scripts and memory run
whole processes; the compute cases run in this process (tcalc through its Session, the
language itself) and in a torch worker process driven step by step.

Start-up is only meaningful for an installed tcalc (what users run): run this file with the
Python of a virtual environment where `pip install .` put tcalc, so that `tcalc` is the
console script beside it. From a source checkout it falls back to `python -m tcalc`.

This file never imports torch: the torch side runs in benchmarks/torch_worker.py under the
Python given by --torch-python (or $TCALC_BENCH_TORCH_PYTHON).
"""
from __future__ import annotations

import argparse
import ast
import io
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tokenize
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent

try:
    import tcalc  # noqa: F401  (an installed tcalc, when run from a venv)
except ImportError:
    sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

from tcalc.evaluator import Session  # noqa: E402

# ---- helpers ---------------------------------------------------------------------------

def blas_info() -> str:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "unknown BLAS (pip install threadpoolctl to see it)"
    for pool in threadpool_info():
        if pool.get("user_api") == "blas":
            return (f"{pool.get('internal_api')} {pool.get('version')}, kernel "
                    f"{pool.get('architecture')}, {pool.get('num_threads')} threads")
    return "no BLAS found"


def blas_threads() -> int:
    try:
        from threadpoolctl import threadpool_info

        for pool in threadpool_info():
            if pool.get("user_api") == "blas":
                return int(pool["num_threads"])
    except ImportError:
        pass
    return os.cpu_count() or 1


def run(session: Session, text: str) -> None:
    for _ in session.run(text):
        pass


class TorchWorker:
    """A process of the torch Python that runs one case step at a time, on request."""

    def __init__(self, python: str, threads: int):
        self.proc = subprocess.Popen([python, str(HERE / "torch_worker.py"), str(threads)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.version = self.ask({"cmd": "version"})

    def ask(self, request: dict):
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the torch worker stopped")
        return json.loads(line)

    def setup(self, case: str, **params):
        self.ask({"cmd": "setup", "case": case, **params})

    def timer(self, case: str, cpu: bool = False):
        """A side that runs the case once; `cpu`: its CPU seconds on one thread, not wall."""
        request = {"cmd": "run", "case": case, **({"cpu": True} if cpu else {})}
        return lambda: self.ask(request)

    def close(self):
        self.proc.stdin.close()
        self.proc.wait()


SETTLE_SECONDS = 0.25


def alternate(sides: dict, rounds: int, warm_up: bool = False) -> dict:
    """Time each side `rounds` times, interleaved in rotating order. A side is a callable returning seconds
    (it times itself, so set-up is left out). `warm_up`: after the pause, each side runs once
    untimed before its timed run, for work of a few milliseconds that a pause leaves cold
    (its code and data out of the caches, the core clocked down: measured on the hidden-64
    MLP, 4.9 ms a run back to back and 5.7 ms after a pause of 0.1-0.5 s, NumPy's 3.8 and
    4.2-4.3), where the figure to read is the step of a loop running."""
    times = {name: [] for name in sides}
    names = list(sides)
    for r in range(rounds):
        # Rotate the order: a side may slow the one after it, so each side follows each
        # other side equally often.
        k = r % len(names)
        for name in names[k:] + names[:k]:
            # torch's OpenMP threads keep spinning on both cores for a while after its turn
            # (measured: tcalc's autograd case 40 ms alone, 47-49 ms right after torch);
            # let them go to sleep before the next side starts its clock.
            time.sleep(SETTLE_SECONDS)
            if warm_up:
                sides[name]()
            times[name].append(sides[name]())
    return {name: statistics.median(values) for name, values in times.items()}


def timed(function):
    def side():
        start = time.perf_counter()
        function()
        return time.perf_counter() - start
    return side


def wall(command: list[str], **kwargs):
    """Times a whole process; returns (seconds, peak RSS in bytes)."""
    def side():
        start = time.perf_counter()
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, **kwargs)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            raise RuntimeError(f"{command} failed with {proc.returncode}")
        return elapsed, usage.ru_maxrss * 1024
    return side


def tcalc_command() -> list[str]:
    """The installed console script beside this Python, else `python -m tcalc`."""
    script = Path(sys.executable).parent / "tcalc"
    if script.exists() and "site-packages" in str(Path(sys.modules["tcalc"].__file__)):
        return [str(script)]
    return [sys.executable, "-m", "tcalc"]


# ---- the cases -------------------------------------------------------------------------

def case_startup(ctx) -> list[dict]:
    tcalc = wall(ctx.tcalc + ["-e", "1 + 1"], cwd=REPO)
    numpy = wall([sys.executable, "-c", "import numpy"])
    sides = {"tcalc": lambda: tcalc()[0], "numpy": lambda: numpy()[0]}
    if ctx.torch_python:
        torch = wall([ctx.torch_python, "-c", "import torch"])
        sides["torch"] = lambda: torch()[0]
    m = alternate(sides, ctx.rounds(30, 10))
    return [row("start-up: `tcalc -e \"1 + 1\"` vs `python -c \"import numpy\"`", m, 1.2,
                note=f"({' '.join(Path(c).name for c in ctx.tcalc)})")]


MATMUL_N = 1500
MATMUL_CHAIN = 5  # products per run


def case_matmul(ctx) -> list[dict]:
    n, k = MATMUL_N, MATMUL_CHAIN
    session = Session()
    run(session, f"A = randn({n}, {n}); B = randn({n}, {n}) / {n ** 0.5}")
    chain = " @ ".join(["A"] + ["B"] * k)
    A, B = session.globals["A"].data, session.globals["B"].data
    sides = {
        "tcalc": timed(lambda: run(session, f"C = {chain}")),
        "numpy": timed(lambda: _numpy_chain(A, B, k)),
    }
    if ctx.torch:
        ctx.torch.setup("matmul", n=n, k=k)
        sides["torch"] = ctx.torch.timer("matmul")
    m = alternate(sides, ctx.rounds(15, 5))
    return [row(f"large ops: {k} float32 {n}x{n} matmuls, `C = A @ B @ ... @ B`", m, 1.05)]


def _numpy_chain(A, B, k):
    C = A
    for _ in range(k):
        C = C @ B
    return C


MLP_STEPS = 20
# Hidden sizes of the MLP case, with the target (tcalc / NumPy) at each: at 64 the matrix
# products are an eighth as long, so tcalc's own work per op counts for more.
MLP_HIDDEN = ((512, 1.1), (64, 1.3))
MLP_STEP = "L = ((tanh(X @ W1) @ W2) ** 2).sum(); L.backward()\n"


def mlp_setup(hidden: int) -> str:
    return (f"X = randn(256, 512); W1 = randn(512, {hidden}) / 20; W2 = randn({hidden}, 10) / 20\n"
            "W1.requires_grad_(); W2.requires_grad_();")


def mlp_numpy(X, W1, W2, steps: int):
    """The MLP case's steps in NumPy, with the gradients written by hand."""
    grads = [np.zeros_like(W1), np.zeros_like(W2)]

    def numpy_steps():
        L = None
        for _ in range(steps):
            # forward
            H = np.tanh(X @ W1)
            Y = H @ W2
            L = (Y ** 2).sum()
            # backward, by hand
            dY = 2 * Y
            grads[1] += H.T @ dY
            dH = dY @ W2.T
            dZ = dH * (1 - H * H)
            grads[0] += X.T @ dZ
        return L
    return numpy_steps


def warm_blas() -> None:
    """One matrix product with all of BLAS's threads. OpenBLAS (0.3.31 here) runs its
    single-threaded products about 3x slower for the rest of the process when its first
    product ran single-threaded (X 256x512 @ W 512x64: 1.7 ms of CPU against 0.58 ms, the
    same under OPENBLAS_NUM_THREADS=1): without this the MLP case's figures depended on
    whether an earlier case had multiplied matrices. 64x64 is too small for OpenBLAS to
    use its threads (it does not help); 128x128 and up do."""
    a = np.ones((256, 256), np.float32)
    a @ a


def single_threaded(function):
    """A side timed in CPU seconds of this process with BLAS limited to one thread, so
    that a neighbour's load on the other core moves the figure less and the comparison is
    of work, not of how well each side spreads it."""
    from threadpoolctl import threadpool_limits

    def side():
        with threadpool_limits(1):
            start = time.process_time()
            function()
            return time.process_time() - start
    return side


def case_autograd(ctx) -> list[dict]:
    warm_blas()
    rows = []
    for hidden, target in MLP_HIDDEN:
        session = Session()
        run(session, mlp_setup(hidden))
        program = MLP_STEP * MLP_STEPS
        g = session.globals
        X, W1, W2 = (g[n].data.copy() for n in ("X", "W1", "W2"))
        sides = {"tcalc": single_threaded(lambda: run(session, program)),
                 "numpy": single_threaded(mlp_numpy(X, W1, W2, MLP_STEPS))}
        if ctx.torch:
            ctx.torch.setup("mlp", steps=MLP_STEPS, hidden=hidden)
            sides["torch"] = ctx.torch.timer("mlp", cpu=True)
        m = alternate(sides, ctx.rounds(15, 5), warm_up=True)
        rows.append(row(f"autograd: {MLP_STEPS}x forward+backward of ((tanh(X@W1)@W2)**2).sum(), "
                        f"X 256x512, W1 512x{hidden}, W2 {hidden}x10 (CPU time, one thread)", m, target,
                        torch_target=1.0))
        # The same steps as a training loop: its body parsed once and run from the AST.
        loop = session_statements(f"for i in range({MLP_STEPS}):\n" + "".join(
            "    " + line.strip() + "\n" for line in MLP_STEP.split(";")))

        def tcalc_loop():
            for statement in loop:
                session.execute(statement)

        sides["tcalc"] = single_threaded(tcalc_loop)
        m = alternate(sides, ctx.rounds(15, 5), warm_up=True)
        rows.append(row(f"autograd as a training loop: the same {MLP_STEPS} steps as `for i in range("
                        f"{MLP_STEPS}):`, its body parsed once, hidden {hidden} (CPU time, one thread)", m, target,
                        torch_target=1.0))

    # Tiny graphs: per-op and per-node overhead. The statement is parsed once, as a
    # function body is, and evaluated many times.
    reps = 200
    session = Session()
    run(session, "x = tensor([1., 2., 3.], requires_grad=True)")
    statements = session_statements("y = 2 * dot(x, x); y.backward()")
    x = np.array([1.0, 2.0, 3.0], dtype=np.float32)

    def tcalc_tiny():
        for _ in range(reps):
            for statement in statements:
                session.execute(statement)

    def numpy_tiny():
        gx = np.zeros_like(x)
        for _ in range(reps):
            y = 2 * np.dot(x, x)  # noqa: F841
            gx += 2 * 2 * x
        return gx

    # The same graph through tcalc's op and autograd API (what the evaluator calls),
    # without the language: parsing, spans, undo notes and limit checks.
    from tcalc import ops
    from tcalc.autograd import run_backward
    from tcalc.tensor import Tensor

    xt = Tensor(x.copy(), requires_grad=True)
    one = Tensor(np.array(1.0, dtype=np.float32))

    def engine_tiny():
        for _ in range(reps):
            y = ops.mul(2, ops.dot(xt, xt))
            run_backward([y], [one], retain_graph=False, create_graph=False)

    sides = {"tcalc": timed(tcalc_tiny), "engine": timed(engine_tiny), "numpy": timed(numpy_tiny)}
    if ctx.torch:
        ctx.torch.setup("tiny", reps=reps)
        sides["torch"] = ctx.torch.timer("tiny")
    m = alternate(sides, ctx.rounds(30, 10), warm_up=True)
    m = {k: v / reps for k, v in m.items()}
    rows.append(row("tiny graph, tcalc statements: `y = 2 * dot(x, x); y.backward()`, x of 3 "
                    "(per pair, parsed once)", m, None, torch_target=1.0))
    rows.append(row("tiny graph, tcalc ops + autograd engine (no language layer)",
                    {**m, "tcalc": m["engine"]}, None, torch_target=1.0))
    return rows


def session_statements(text: str):
    from tcalc.parser import parse

    return parse(text).statements


INPLACE_N = 50_000_000


def case_inplace(ctx) -> list[dict]:
    n = INPLACE_N
    tcalc = wall(ctx.tcalc + ["-e", f"X = zeros({n}); Y = ones({n}); X += Y"], cwd=REPO)
    numpy = wall([sys.executable, "-c", "import numpy as np\n"
                  f"X = np.zeros({n}, np.float32); Y = np.ones({n}, np.float32); X += Y"])
    sides = {"tcalc": tcalc, "numpy": numpy}
    if ctx.torch_python:
        sides["torch"] = wall([ctx.torch_python, "-c", "import torch\n"
                               f"X = torch.zeros({n}); Y = torch.ones({n}); X += Y"])
    peaks = {name: [] for name in sides}
    for _ in range(ctx.rounds(3, 1)):
        for name, side in sides.items():
            peaks[name].append(side()[1])
    m = {name: statistics.median(v) for name, v in peaks.items()}
    return [row(f"in place: `X += Y`, two {n // 1_000_000}M-element float32 tensors (peak RSS)",
                m, 1.05, unit="MiB")]


BACKWARD_N = 20_000_000


def case_backward_memory(ctx) -> list[dict]:
    """Peak RSS of `y = (x*x).sum(); y.backward()` above the same process's start-up, in
    copies of x (20M float32); the minimum is 3 (x, its grad, one temporary)."""
    n = BACKWARD_N
    runs = {"tcalc": (wall(ctx.tcalc + ["-e", "x = ones(3)"], cwd=REPO),
                      wall(ctx.tcalc + ["-e", f"x = ones({n}, requires_grad=True); y = (x * x).sum(); "
                                        "y.backward()"], cwd=REPO))}
    if ctx.torch_python:
        runs["torch"] = (wall([ctx.torch_python, "-c", "import torch\nx = torch.ones(3)"]),
                         wall([ctx.torch_python, "-c", f"import torch\nx = torch.ones({n}, requires_grad=True)\n"
                               "y = (x * x).sum(); y.backward()"]))
    copies = {name: [] for name in runs}
    for _ in range(ctx.rounds(3, 1)):
        for name, (start, work) in runs.items():
            copies[name].append((work()[1] - start()[1]) / (4 * n))
    m = {name: statistics.median(v) for name, v in copies.items()}
    r = row(f"backward memory: x of {n // 1_000_000}M float32, `y = (x*x).sum(); y.backward()`, "
            "peak RSS above start-up in copies of x (minimum 3)", m, None, unit="copies")
    r["target"] = "<= 1.1x torch"
    r["ok"] = bool(m.get("torch")) and m["tcalc"] <= 1.1 * m["torch"]
    return [r]


SCRIPT_LINES = 2000

# (tcalc statement, the same statement in Python + NumPy); {i} varies the constants.
_STATEMENTS = [
    ("a = tensor([1.0, 2.0, 3.0, {i}.0])", "a = np.array([1.0, 2.0, 3.0, {i}.0], dtype=np.float32)"),
    ("b = a * 2 + {i}", "b = a * 2 + {i}"),
    ("c = (a * b).sum()", "c = (a * b).sum()"),
    ("d = arange(12).reshape(3, 4) + {i}", "d = np.arange(12).reshape(3, 4) + {i}"),
    ("e = d.T @ d", "e = d.T @ d"),
    ("f = d[1:, ::2]", "f = d[1:, ::2]"),
    ("g = exp(a) / (1 + exp(a))", "g = np.exp(a) / (1 + np.exp(a))"),
    ("h = b.mean() * {i}", "h = b.mean() * {i}"),
    ("m = zeros(3, 4) + d", "m = np.zeros((3, 4), dtype=np.float32) + d"),
    ("s = m.sum(dim=0)", "s = m.sum(axis=0)"),
]


def write_scripts(folder: Path, lines: int) -> tuple[Path, Path]:
    tc, py = ["import torch"], ["import numpy as np", "np.seterr(all=\"ignore\")"]
    for i in range(lines - 1):
        t, p = _STATEMENTS[i % len(_STATEMENTS)]
        tc.append(t.format(i=i % 97))
        py.append(p.format(i=i % 97))
    (folder / "script.tc").write_text("\n".join(tc) + "\n")
    (folder / "script.py").write_text("\n".join(py) + "\n")
    return folder / "script.tc", folder / "script.py"


def case_script(ctx) -> list[dict]:
    tc, py = write_scripts(ctx.tmp, SCRIPT_LINES)
    tcalc = wall(ctx.tcalc + [str(tc)], cwd=REPO)
    numpy = wall([sys.executable, str(py)])
    m = alternate({"tcalc": lambda: tcalc()[0], "numpy": lambda: numpy()[0]}, ctx.rounds(10, 4))
    startup = ctx.results.get("startup")
    extra = ""
    if startup:
        rate = SCRIPT_LINES / max(m["tcalc"] - startup["tcalc"], 1e-9)
        extra = f"; tcalc runs {rate:,.0f} lines/s after start-up"
    return [row(f"scripts: {SCRIPT_LINES} lines of small tensor statements, whole process "
                f"({SCRIPT_LINES / m['tcalc']:,.0f} lines/s overall{extra})", m, 3.0)]


def case_parse(ctx) -> list[dict]:
    """The 2000-line script of case_script in this process: tcalc's parse of it against
    CPython's `compile()` of the same text (it is Python too), per line; then parse and
    evaluate through a Session against Python + NumPy compiling and exec-ing its script."""
    tc, py = write_scripts(ctx.tmp, SCRIPT_LINES)
    tc_text, py_text = tc.read_text(), py.read_text()
    from tcalc.parser import parse

    parse(tc_text)  # the lexers compile their patterns on first use
    # For scale, Python's own tokenize module (a lexer written in Python, as tcalc's is) and
    # ast.parse (CPython's parser in C, making Python objects of its tree, as tcalc's does).
    tokens = lambda: list(tokenize.generate_tokens(io.StringIO(tc_text).readline))  # noqa: E731
    sides = {"tcalc": timed(lambda: parse(tc_text)), "numpy": timed(lambda: compile(tc_text, "<script>", "exec")),
             "tokenize": timed(tokens), "ast": timed(lambda: ast.parse(tc_text))}
    m = alternate(sides, ctx.rounds(20, 8))
    per_line = {k: v / SCRIPT_LINES for k, v in m.items()}
    rows = [row(f"parse: the {SCRIPT_LINES}-line script, a line (tcalc's parser vs CPython's `compile()` "
                f"of the same text; {SCRIPT_LINES / m['tcalc']:,.0f} lines/s; Python's pure-Python "
                f"`tokenize` of it, tokens only: {per_line['tokenize'] * 1e3:.3f} ms a line, "
                f"{m['tokenize'] / m['numpy']:.1f}x `compile()`; CPython's `ast.parse`: "
                f"{m['ast'] / m['numpy']:.1f}x `compile()`)", per_line, 2.0)]

    def numpy_side():
        exec(compile(py_text, "<script>", "exec"), {})

    sides = {"tcalc": timed(lambda: run(Session(), tc_text)), "numpy": timed(numpy_side)}
    m = alternate(sides, ctx.rounds(10, 4))
    rows.append(row(f"scripts in process: the {SCRIPT_LINES}-line script parsed and run through a Session "
                    f"vs Python + NumPy compiling and exec-ing it ({SCRIPT_LINES / m['tcalc']:,.0f} lines/s; "
                    f"NumPy {SCRIPT_LINES / m['numpy']:,.0f})", m, 2.5))
    return rows


def _names_scripts(lines: int) -> tuple[str, str, str]:
    """A script of `lines` statements that each bind a new name, the same with 3 names
    reused, and the fresh-name script in Python + NumPy."""
    fresh, same, py = ["import torch"], ["import torch"], ["import numpy as np"]
    for i in range(lines):
        value = f"tensor([1.0, 2.0, {i % 97}.0]) * 2 + {i % 7}"
        fresh.append(f"v{i} = {value}")
        same.append(f"v{i % 3} = {value}")
        py.append(f"v{i} = np.array([1.0, 2.0, {i % 97}.0], dtype=np.float32) * 2 + {i % 7}")
    return "\n".join(fresh) + "\n", "\n".join(same) + "\n", "\n".join(py) + "\n"


def case_names(ctx) -> list[dict]:
    """Cost per statement against the names a session holds: parse and run in this
    process (a fresh Session each run), fresh names vs 3 names, and Python + NumPy
    compiling and running the fresh-name script."""
    rows = []
    sizes = [(10_000, ctx.rounds(5, 3))] + ([] if ctx.quick else [(100_000, 3)])
    for lines, rounds in sizes:
        fresh, same, py = _names_scripts(lines)

        def numpy_side(text=py):
            exec(compile(text, "<script>", "exec"), {})

        sides = {"tcalc": timed(lambda: run(Session(), fresh)), "same": timed(lambda: run(Session(), same)),
                 "numpy": timed(numpy_side)}
        m = alternate(sides, rounds)
        ratio_same = m["tcalc"] / m["same"]
        r = row(f"names: {lines:,} lines, a new name each, parsed and run in process "
                f"({m['tcalc'] / lines * 1e6:,.0f} us a line; the same with 3 names "
                f"{m['same'] * 1e3:,.0f} ms, {m['same'] / lines * 1e6:,.0f} us a line: "
                f"{ratio_same:.2f}x)", m, None)
        r["target"], r["ok"] = "<= 2x the 3-name script", ratio_same <= 2.0
        rows.append(r)
    return rows


LOOP_ITERATIONS = 10_000
LOOP_TC = """\
a = tensor([1.0, 2.0, 3.0])
for i in range({n}):
    b = a * 2 + i
    c = (b * a).sum()
    d = exp(-a) / (1 + c)
"""
LOOP_PY = """\
a = np.array([1.0, 2.0, 3.0], dtype=np.float32)
for i in range({n}):
    b = a * 2 + i
    c = (b * a).sum()
    d = np.exp(-a) / (1 + c)
"""

TRAIN_EPOCHS = 500
TRAIN_SETUP = """\
X = randn(1000, 10)
true_w = randn(10, 1)
y = X @ true_w + 0.1 * randn(1000, 1)
w = zeros(10, 1, requires_grad=True)
b = zeros(1, requires_grad=True)
lr = 0.1
"""
TRAIN_LOOP = """\
for epoch in range({epochs}):
    loss = ((X @ w + b - y) ** 2).mean()
    loss.backward()
    with torch.no_grad():
        w -= lr * w.grad
        b -= lr * b.grad
        w.grad.zero_()
        b.grad.zero_()
"""
TRAIN_NUMPY = """\
for epoch in range({epochs}):
    r = X @ w + b - y
    loss = (r ** 2).mean()
    g = (2 / r.size) * r  # hand gradients
    gw = X.T @ g
    gb = g.sum(axis=0)
    w -= lr * gw
    b -= lr * gb
"""


def case_loop(ctx) -> list[dict]:
    """Loops, parsed once and run in this process: the statements of the body evaluated
    from their AST each iteration."""
    rows = []
    n = LOOP_ITERATIONS
    session = Session()
    setup, loop = session_statements("import torch\n" + LOOP_TC.format(n=n))[:-1], \
        session_statements(LOOP_TC.format(n=n))[-1]
    for statement in setup:
        session.execute(statement)
    py = compile(LOOP_PY.format(n=n), "<loop>", "exec")
    sides = {"tcalc": timed(lambda: session.execute(loop)),
             "numpy": timed(lambda: exec(py, {"np": np}))}
    m = alternate(sides, ctx.rounds(7, 3), warm_up=True)
    rows.append(row(f"loop: {n:,} iterations of 3 small tensor statements "
                    f"({m['tcalc'] / n * 1e6:,.1f} us an iteration)", m, 3.0))

    epochs = TRAIN_EPOCHS
    session = Session()
    for statement in session_statements("import torch\n" + TRAIN_SETUP):
        session.execute(statement)
    (loop,) = session_statements(TRAIN_LOOP.format(epochs=epochs))
    g = session.globals
    X, y = g["X"].data.copy(), g["y"].data.copy()
    numpy_loop = compile(TRAIN_NUMPY.format(epochs=epochs), "<train>", "exec")

    def numpy_side():
        namespace = {"X": X, "y": y, "lr": 0.1, "w": np.zeros((10, 1), np.float32),
                     "b": np.zeros(1, np.float32)}
        start = time.perf_counter()
        exec(numpy_loop, namespace)
        return time.perf_counter() - start

    def tcalc_side():
        for statement in session_statements("w = zeros(10, 1, requires_grad=True)\n"
                                            "b = zeros(1, requires_grad=True)"):
            session.execute(statement)
        start = time.perf_counter()
        session.execute(loop)
        return time.perf_counter() - start

    sides = {"tcalc": tcalc_side, "numpy": numpy_side}
    if ctx.torch:
        ctx.torch.setup("train", epochs=epochs)
        sides["torch"] = ctx.torch.timer("train")
    m = alternate(sides, ctx.rounds(7, 3), warm_up=True)
    rows.append(row(f"training loop: linear regression, X 1000x10, {epochs} epochs of forward, "
                    f"backward and update under no_grad (NumPy: hand gradients; "
                    f"{m['tcalc'] / epochs * 1e6:,.0f} us an epoch)", m, None, torch_target=1.5))
    return rows


VMAP_INPUTS, VMAP_SIZE, VMAP_REPS = 1000, 8, 20


def case_vmap(ctx) -> list[dict]:
    """vmap of a small function over a batch of small inputs, against the same batch as one
    tensor expression (in tcalc, in the NumPy column's place) and against torch.func.vmap."""
    n, d = VMAP_INPUTS, VMAP_SIZE
    session = Session()
    run(session, f"X = randn({n}, {d}); W = randn({d}, {d}); w = randn({d})\n"
                 "f(x) = ((x @ W).tanh() * w).sum()")
    (mapped,) = session_statements("y = vmap(f)(X)")
    (expression,) = session_statements("y = ((X @ W).tanh() * w).sum(1)")
    from tcalc import batching

    def looped():
        batching.ENABLED[0] = False
        try:
            session.execute(mapped)
        finally:
            batching.ENABLED[0] = True

    reps = VMAP_REPS  # calls a timing, as the tiny graph's: one call after the settling pause runs cold

    def repeated(function):
        def all_reps():
            for _ in range(reps):
                function()
        return timed(all_reps)

    sides = {"tcalc": repeated(lambda: session.execute(mapped)), "numpy": repeated(lambda: session.execute(expression)),
             "loop": timed(lambda: [looped() for _ in range(2)])}
    if ctx.torch:
        ctx.torch.setup("vmap", n=n, d=d, reps=reps)
        sides["torch"] = ctx.torch.timer("vmap")
    m = alternate(sides, ctx.rounds(20, 5))
    m = {k: v / (2 if k == "loop" else reps) for k, v in m.items()}
    name = (f"vmap: `vmap(f)(X)`, f(x) = ((x @ W).tanh() * w).sum(), {n:,} inputs of {d} "
            f"(NumPy column: the same batch as one tcalc expression, `((X @ W).tanh() * w).sum(1)`; "
            f"torch: torch.func.vmap; per call, {reps} calls a timing)")
    return [row(name, m, 3.0),
            row("vmap as the loop it falls back to: one example at a time (NumPy column as above)",
                {**m, "tcalc": m["loop"], "torch": None}, None)]


SHELL_LINES = ["x = arange(12).reshape(3, 4)", "x.sum(0)", "tensor([1., 2., 3.]) * 2 + 1",
               "(x.float() @ x.T.float()).mean()"]


def case_shell(ctx) -> list[dict]:
    """What the shell does for a line: run_source with an atomic statement, then print it,
    plain (as with NO_COLOR) and coloured as on a terminal."""
    import io

    from tcalc.output import Output, run_source

    rows = []
    for color in (False, True):
        session = Session()
        output = Output(color)
        count = [0]

        def one_line():
            line = SHELL_LINES[count[0] % len(SHELL_LINES)]
            count[0] += 1
            saved, sys.stdout = sys.stdout, io.StringIO()
            try:
                start = time.perf_counter()
                run_source(session, line, "<line>", output, atomic=True)
                return time.perf_counter() - start
            finally:
                sys.stdout = saved

        first = one_line()
        times = [one_line() for _ in range(ctx.rounds(400, 100))]
        median = statistics.median(times)
        rows.append({"name": f"shell: parse, evaluate and print one line "
                             f"({'coloured' if color else 'plain'}); first line {first * 1e3:.1f} ms",
                     "tcalc": median, "numpy": None, "torch": None, "unit": "ms",
                     "target": "< 5 ms", "ok": median < 0.005})
    return rows


# The cases that read a child's peak RSS come before those that grow this process: a child
# starts as a copy of it, and its peak counts that size from before exec (measured: run
# after the names case, the backward's peak and start-up's were both this process's size,
# 0 copies apart).
CASES = {"startup": case_startup, "matmul": case_matmul, "autograd": case_autograd,
         "inplace": case_inplace, "backward_memory": case_backward_memory, "script": case_script,
         "parse": case_parse, "shell": case_shell, "names": case_names, "loop": case_loop, "vmap": case_vmap}


# ---- report ----------------------------------------------------------------------------

def row(name, m, target, torch_target=None, unit="ms", note="") -> dict:
    r = {"name": name + (f" {note}" if note else ""), "tcalc": m["tcalc"], "numpy": m.get("numpy"),
         "torch": m.get("torch"), "unit": unit}
    checks, ok = [], True
    if target is not None and m.get("numpy"):
        checks.append(f"<= {target}x NumPy")
        ok = ok and m["tcalc"] <= target * m["numpy"]
    if torch_target is not None and m.get("torch"):
        checks.append(f"<= {torch_target}x torch")
        ok = ok and m["tcalc"] <= torch_target * m["torch"]
    r["target"] = ", ".join(checks) or "-"
    r["ok"] = ok
    return r


def fmt(value, unit):
    if value is None:
        return "-"
    if unit == "MiB":
        return f"{value / 2 ** 20:,.0f} MiB"
    if unit == "copies":
        return f"{value:.2f}"
    ms = value * 1e3
    return f"{ms:,.3f} ms" if ms < 1 else f"{ms:,.1f} ms"


def ratio(a, b):
    return f"{a / b:.2f}x" if a is not None and b else "-"


def table(rows) -> str:
    lines = ["| case | tcalc | NumPy | torch | tcalc/NumPy | tcalc/torch | target | met |",
             "|---|---:|---:|---:|---:|---:|---|---|"]
    for r in rows:
        u = r["unit"]
        lines.append(f"| {r['name']} | {fmt(r['tcalc'], u)} | {fmt(r['numpy'], u)} | "
                     f"{fmt(r['torch'], u)} | {ratio(r['tcalc'], r['numpy'])} | "
                     f"{ratio(r['tcalc'], r['torch'])} | {r['target']} | "
                     f"{'yes' if r['ok'] else 'NO'} |")
    return "\n".join(lines)


class Context:
    def __init__(self, args):
        self.quick = args.quick
        self.torch_python = args.torch_python
        self.torch = None
        self.tcalc = tcalc_command()
        self.tmp = Path(tempfile.mkdtemp(prefix="tcalc-bench-"))
        self.results: dict[str, dict] = {}

    def rounds(self, full: int, quick: int) -> int:
        return quick if self.quick else full


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds (a rough look)")
    parser.add_argument("--torch-python", default=os.environ.get("TCALC_BENCH_TORCH_PYTHON"),
                        help="a Python with torch installed, to compare with (optional)")
    parser.add_argument("--only", help="comma-separated cases: " + ",".join(CASES))
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args(argv)
    ctx = Context(args)
    names = args.only.split(",") if args.only else list(CASES)
    threads = blas_threads()
    torch_version = "-"
    if ctx.torch_python:
        ctx.torch = TorchWorker(ctx.torch_python, threads)
        torch_version = ctx.torch.version
    blocked = {v: os.environ[v] for v in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if v in os.environ}
    print(f"# tcalc benchmarks{' (quick)' if ctx.quick else ''}\n")
    print(f"- machine: {platform.machine()}, {os.cpu_count()} cores, {platform.processor() or ''}"
          f" Python {platform.python_version()}, NumPy {np.__version__} ({blas_info()}), "
          f"torch {torch_version} ({threads} threads)")
    print(f"- tcalc: {' '.join(ctx.tcalc)}")
    if blocked:
        print(f"- WARNING: {blocked} is set; NumPy's BLAS is slowed (unset it for this command)")
    print("- medians of alternating runs\n", flush=True)
    rows = []
    try:
        for name in names:
            print(f"running {name} ...", file=sys.stderr, flush=True)
            got = CASES[name](ctx)
            ctx.results[name] = got[0]
            rows.extend(got)
    finally:
        if ctx.torch:
            ctx.torch.close()
        shutil.rmtree(ctx.tmp, ignore_errors=True)
    print(table(rows))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
