"""What `import` can reach: torch and its submodules (the torch namespace's own members),
and the small tables tcalc provides for other modules notebooks import (builtins.MODULES:
math, random, numpy, ...). Anything else is refused, naming the module.
"""
from __future__ import annotations

from . import builtins
from .errors import TcalcImportError
from .hints import pytorch_only
from .values import Namespace


def find(dotted: str, torch: Namespace) -> Namespace:
    """The module `dotted` names (`torch.nn.functional`, `numpy`)."""
    module = builtins.MODULES.get(dotted)
    if module is not None:
        return module
    first, *rest = dotted.split(".")
    if first == "torch":
        module = torch
        for i, part in enumerate(rest):
            member = module.members.get(part)
            if not isinstance(member, Namespace):
                raise _missing(".".join([first, *rest[:i + 1]]))
            module = member
        return module
    raise _missing(dotted)


def member(module: Namespace, name: str):
    """`from module import name`: a member, or a submodule."""
    value = module.members.get(name)
    if value is None:
        submodule = builtins.MODULES.get(f"{module.name}.{name}")
        if submodule is not None:
            return submodule
        not_yet = not name.startswith("_") and pytorch_only(f"{module.name}.{name}")
        if not_yet:
            raise TcalcImportError(not_yet)
        raise TcalcImportError(f"cannot import name '{name}' from '{module.name}'",
                               hint=f"tcalc's {module.name} has no {name}")
    return value


def _missing(dotted: str) -> TcalcImportError:
    not_yet = pytorch_only(dotted) if dotted.startswith("torch.") else None
    if not_yet:
        return TcalcImportError(not_yet)
    known = sorted({"torch", *builtins.MODULES})
    return TcalcImportError(f"No module named '{dotted}'",
                            hint="tcalc has no such module; it provides " + ", ".join(known))
