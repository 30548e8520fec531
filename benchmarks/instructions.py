"""The loop case of run.py in machine instructions an iteration, counted by valgrind's
callgrind: the same count on a busy machine as on a quiet one, where wall-clock figures of
such small work move by tens of percent.

    python benchmarks/instructions.py [--iterations 2000]

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

from run import LOOP_PY, LOOP_TC

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


def instructions(program: str, iterations: int) -> int:
    env = dict(os.environ, PYTHONHASHSEED="0")
    run = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
                          sys.executable, "-c", program, str(iterations)],
                         capture_output=True, text=True, env=env, check=True)
    return int(re.search(r"Collected : (\d+)", run.stderr).group(1))


def per_iteration(program: str, iterations: int) -> float:
    return (instructions(program, iterations) - instructions(program, 0)) / iterations


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=2000)
    args = parser.parse_args()
    assert "{n}" in LOOP_TC and "{n}" in LOOP_PY
    tcalc = per_iteration(TCALC_SIDE.format(here=str(HERE)), args.iterations)
    numpy = per_iteration(NUMPY_SIDE.format(loop=LOOP_PY), args.iterations)
    print(f"loop, instructions an iteration: tcalc {tcalc:,.0f}, NumPy {numpy:,.0f}, "
          f"tcalc/NumPy {tcalc / numpy:.2f}x")


if __name__ == "__main__":
    main()
