"""tcalc: a command-line tensor calculator that answers exactly as PyTorch would."""
import numpy as _np

# Tensor arithmetic follows PyTorch: overflow wraps, 1/0 is inf, 0/0 is nan, silently.
_np.seterr(all="ignore")

__version__ = "0.1.0"
