"""What the recorders share: a torch namespace like tcalc's, and recording programs' answers.

Imported by the record_*.py scripts, which run with a Python that has torch and IPython.
"""
from __future__ import annotations

import builtins
import json
import math
import warnings
from pathlib import Path

import torch
from IPython.lib.pretty import pretty


def torch_namespace() -> dict:
    """Names as after `from torch import *`, with tcalc's: Python's conversions, and torch's
    reductions for sum/max/min/abs/round (LANGUAGE.md, "Names")."""
    namespace = {name: getattr(torch, name) for name in dir(torch) if not name.startswith("_")}
    namespace.update(torch=torch, float=builtins.float, int=builtins.int, bool=builtins.bool,
                     len=builtins.len, abs=torch.abs, sum=torch.sum, max=torch.max, min=torch.min,
                     round=torch.round, inf=math.inf, nan=math.nan)
    return namespace


def record_answers(cases, out: Path) -> None:
    """For each (tcalc program, the same in Python), what PyTorch answers: the text IPython
    shows for the value of the last line, or the error. Written a case per line."""
    namespace = torch_namespace()
    warnings.simplefilter("ignore")
    recorded, seen = [], set()
    for source, python in cases:
        if source in seen:
            continue
        seen.add(source)
        *statements, last = python.split("\n")
        try:
            scope = dict(namespace)
            exec("\n".join(statements), scope)  # noqa: S102 - our own fixed programs, with torch
            value = eval(last, scope)  # noqa: S307
            recorded.append({"source": source, "ok": True, "text": pretty(value)})
        except Exception as err:  # noqa: BLE001 - what torch refuses is the record
            recorded.append({"source": source, "ok": False, "error": type(err).__name__,
                             "message": str(err).splitlines()[0]})
    lines = ",\n".join(json.dumps(case, ensure_ascii=False) for case in recorded)
    out.write_text("[\n" + lines + "\n]\n", encoding="utf-8")  # a case per line: readable diffs
    print(f"recorded {len(recorded)} cases in {out.name}")
