"""tcalc: a command-line tensor calculator that answers exactly as PyTorch would."""
import numpy as _np

# Tensor arithmetic follows PyTorch: overflow wraps, 1/0 is inf, 0/0 is nan, silently.
_np.seterr(all="ignore")

__version__ = "0.1.0"


def load_ipython_extension(shell) -> None:
    """`%load_ext tcalc` in IPython or Jupyter: the %%tcalc cell magic (tcalc.ipython, which
    imports IPython; nothing else of tcalc does)."""
    from .ipython import load_ipython_extension as load

    load(shell)
