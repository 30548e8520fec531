"""The loop case of run.py in machine instructions an iteration, counted by valgrind's
callgrind: the same count on a busy machine as on a quiet one, where wall-clock figures of
such small work move by tens of percent.

    python benchmarks/instructions.py [--iterations 2000] [--case loop|mlp512|mlp64|mlp64loop|mlp512loop|tiny|train|parse|startup]

--case mlp512 and mlp64 count the autograd case's MLP instead (a forward+backward step,
BLAS on one thread, against the hand-written NumPy gradients; after a first step), at hidden size 512 or 64
(default 5 steps: under callgrind a step of hidden 512 takes seconds); --case mlp64loop and
mlp512loop the same steps as the body of a `for` loop (parsed once, its statements evaluated
again each round, as a training loop's are: the evaluator's fast path compiles them); --case tiny the tiny graph `y = 2 * dot(x, x); y.backward()` as
statements; --case train the linear-regression training loop's epochs (forward, backward,
updates under no_grad) against its NumPy side (hand gradients); --case parse tcalc's parse of the 2000-line script of run.py's script case,
a line, against CPython's compile() of the same text (after one parse each, which compiles
the lexer's patterns); --case startup the whole process `tcalc -e "1 + 1"` against
`python -c "import numpy"` (three runs each, as counted: nothing cancels out there; BLAS
on one thread, as for the MLP: OpenBLAS's worker threads, started by NumPy's import, spin
for a time that varies, and moved NumPy's count between 380M and 400M).

Each side runs twice under `valgrind --tool=callgrind` with PYTHONHASHSEED=0, once with the
given number of iterations and once with none; the difference over the iterations is the
figure (start-up and set-up cancel out). tcalc parses the loop once and runs it through a
Session, as run.py's loop case does; NumPy execs the same loop as Python.
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

from run import LOOP_PY, LOOP_TC, MLP_STEP, SCRIPT_LINES

HERE = Path(__file__).resolve().parent

TCALC_SIDE = """\
import sys
sys.path.insert(0, {here!r})
from run import session_statements, LOOP_TC
from tcalc.evaluator import Session
session = Session()
for statement in session_statements(LOOP_TC.format(n=int(sys.argv[1]))):
    session.execute(statement)
"""
NUMPY_SIDE = """\
import sys
import numpy as np
exec(compile({loop!r}.format(n=int(sys.argv[1])), "<loop>", "exec"), {{"np": np}})
"""

# The MLP: set-up and a first step (its .grad made, its first calls) run in both counts, so
# they cancel. BLAS has one thread (OPENBLAS_NUM_THREADS=1 in the environment): the
# instructions of idle worker threads spinning, which depend on timing, are not counted.
MLP_TCALC_SIDE = """\
import sys
sys.path.insert(0, {here!r})
from run import session_statements, mlp_setup, MLP_STEP
from tcalc.evaluator import Session
session = Session()
for statement in session_statements(mlp_setup({hidden})):
    session.execute(statement)
steps = session_statements({steps})
for statement in steps:
    session.execute(statement)
"""
# The steps as statements of their own (mlp64), or as a loop's body (mlp64loop).
MLP_STATEMENTS = "MLP_STEP * (1 + int(sys.argv[1]))"
MLP_LOOP = "'for i in range(%d):\\n    ' % (1 + int(sys.argv[1])) + MLP_STEP.replace('; ', '\\n    ')"
MLP_NUMPY_SIDE = """\
import sys
sys.path.insert(0, {here!r})
import numpy as np
from run import mlp_numpy
rng = np.random.default_rng(0)  # tcalc is not imported: its start-up would cost minutes
X = rng.standard_normal((256, 512), np.float32)
W1 = rng.standard_normal((512, {hidden}), np.float32) / 20
W2 = rng.standard_normal(({hidden}, 10), np.float32) / 20
mlp_numpy(X, W1, W2, 1 + int(sys.argv[1]))()
"""
TINY_TCALC_SIDE = """\
import sys
sys.path.insert(0, {here!r})
from run import session_statements
from tcalc.evaluator import Session
session = Session()
session.execute(session_statements("x = tensor([1., 2., 3.], requires_grad=True)")[0])
statements = session_statements("y = 2 * dot(x, x); y.backward()")
for _ in range(int(sys.argv[1])):
    for statement in statements:
        session.execute(statement)
"""
TINY_NUMPY_SIDE = """\
import sys
import numpy as np
x = np.array([1.0, 2.0, 3.0], dtype=np.float32)
gx = np.zeros_like(x)
for _ in range(int(sys.argv[1])):
    y = 2 * np.dot(x, x)
    gx += 2 * 2 * x
"""
# The training loop of run.py's loop case: epochs as a loop's body, against its NumPy side
# (hand gradients, the same loop as Python).
TRAIN_TCALC_SIDE = """\
import sys
sys.path.insert(0, {here!r})
from run import session_statements, TRAIN_SETUP, TRAIN_LOOP
from tcalc.evaluator import Session
session = Session()
for statement in session_statements("import torch\\n" + TRAIN_SETUP + TRAIN_LOOP.format(epochs=1 + int(sys.argv[1]))):
    session.execute(statement)
"""
TRAIN_NUMPY_SIDE = """\
import sys
sys.path.insert(0, {here!r})
import numpy as np
from run import TRAIN_NUMPY
rng = np.random.default_rng(0)
X = rng.standard_normal((1000, 10), np.float32)
y = X @ rng.standard_normal((10, 1), np.float32)
namespace = {{"np": np, "X": X, "y": y, "lr": 0.1, "w": np.zeros((10, 1), np.float32), "b": np.zeros(1, np.float32)}}
exec(compile(TRAIN_NUMPY.format(epochs=1 + int(sys.argv[1])), "<train>", "exec"), namespace)
"""
PARSE_SIDE = """\
import sys, tempfile
from pathlib import Path
sys.path.insert(0, {here!r})
from run import write_scripts, SCRIPT_LINES
text = write_scripts(Path(tempfile.mkdtemp()), SCRIPT_LINES)[0].read_text()
{setup}
parse(text)
for _ in range(int(sys.argv[1])):
    parse(text)
"""
TCALC_PARSE = "from tcalc.parser import parse"
PYTHON_PARSE = "parse = lambda text: compile(text, '<script>', 'exec')"
STARTUP_TCALC = "import sys\nfrom tcalc.cli import main\nsys.argv[1:] = ['-e', '1 + 1']\nsys.exit(main())"
STARTUP_NUMPY = "import numpy"


def instructions(program: str, iterations: int, env: dict | None = None) -> int:
    env = dict(os.environ, PYTHONHASHSEED="0", **(env or {}))
    run = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
                          sys.executable, "-c", program, str(iterations)],
                         capture_output=True, text=True, env=env, check=True)
    return int(re.search(r"Collected : (\d+)", run.stderr).group(1))


def per_iteration(program: str, iterations: int, env: dict | None = None) -> float:
    return (instructions(program, iterations, env) - instructions(program, 0, env)) / iterations


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, help="default 2000 (loop, tiny), 5 (mlp)")
    parser.add_argument("--case", choices=("loop", "mlp512", "mlp64", "mlp512loop", "mlp64loop", "tiny", "train",
                                           "parse", "startup"), default="loop")
    args = parser.parse_args()
    here = str(HERE)
    if args.case == "startup":
        counts = {side: sorted(instructions(program, 0, {"OPENBLAS_NUM_THREADS": "1"}) for _ in range(3))
                  for side, program in (("tcalc", STARTUP_TCALC), ("NumPy", STARTUP_NUMPY))}
        tcalc, numpy = (counts[side][1] for side in ("tcalc", "NumPy"))
        print(f"startup, instructions of the process (median of 3): tcalc {tcalc:,}, NumPy {numpy:,}, "
              f"tcalc/NumPy {tcalc / numpy:.2f}x")
        return
    if args.case == "parse":
        sides = (PARSE_SIDE.format(here=here, setup=TCALC_PARSE), PARSE_SIDE.format(here=here, setup=PYTHON_PARSE))
        tcalc, numpy = (per_iteration(side, args.iterations or 2) / SCRIPT_LINES for side in sides)
        print(f"parse, instructions a line: tcalc {tcalc:,.0f}, CPython's compile() {numpy:,.0f}, "
              f"tcalc/compile {tcalc / numpy:.2f}x")
        return
    if args.case == "loop":
        assert "{n}" in LOOP_TC and "{n}" in LOOP_PY
        sides, what = (TCALC_SIDE.format(here=here), NUMPY_SIDE.format(loop=LOOP_PY)), "an iteration"
    elif args.case == "tiny":
        sides, what = (TINY_TCALC_SIDE.format(here=here), TINY_NUMPY_SIDE), "a pair of statements"
    elif args.case == "train":
        sides, what = (TRAIN_TCALC_SIDE.format(here=here), TRAIN_NUMPY_SIDE.format(here=here)), \
            "an epoch (the linear-regression training loop, NumPy with hand gradients)"
    else:
        looped = args.case.endswith("loop")
        hidden = int(args.case[3:-4] if looped else args.case[3:])
        sides = (MLP_TCALC_SIDE.format(here=here, hidden=hidden, steps=MLP_LOOP if looped else MLP_STATEMENTS),
                 MLP_NUMPY_SIDE.format(here=here, hidden=hidden))
        what = f"a step ({MLP_STEP.strip()}, hidden {hidden}{', a loop body' if looped else ''})"
    iterations = args.iterations or (5 if args.case.startswith("mlp") else 2000)
    env = {"OPENBLAS_NUM_THREADS": "1"} if args.case.startswith(("mlp", "train")) else None
    tcalc, numpy = (per_iteration(side, iterations, env) for side in sides)
    print(f"{args.case}, instructions {what}: tcalc {tcalc:,.0f}, NumPy {numpy:,.0f}, "
          f"tcalc/NumPy {tcalc / numpy:.2f}x")


if __name__ == "__main__":
    main()
