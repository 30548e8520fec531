"""torch.device and torch.cuda: tcalc computes on the CPU, and says so as PyTorch does on a
machine without CUDA (`torch.cuda.is_available()` is False, a CUDA tensor is refused)."""
from __future__ import annotations

import re

from .errors import TcalcTypeError, TcalcValueError
from .objects import ObjectValue
from .values import type_name

# The device types PyTorch's parser knows, in the order its message lists them.
KNOWN_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve",
               "fpga", "maia", "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia", "privateuseone")
_DEVICE_STRING = re.compile(r"([a-z_]+)(?::(\d+))?")


class Device(ObjectValue):
    """torch.device('cpu'): has .type and .index, prints as `device(type='cpu')`."""

    __slots__ = ()
    type_path = "torch.device"

    def __init__(self, kind: str, index: int | None = None):
        super().__init__("torch.device", {"type": kind, "index": index})

    def __str__(self) -> str:  # what print() and f-strings write: cpu, cuda:1
        index = self.members["index"]
        return self.members["type"] + (f":{index}" if index is not None else "")

    def __repr__(self) -> str:
        index = self.members["index"]
        return f"device(type='{self.members['type']}'" + (f", index={index})" if index is not None else ")")

    def __eq__(self, other) -> bool:
        return isinstance(other, Device) and dict(self.members) == dict(other.members)

    def __hash__(self) -> int:
        return hash(repr(self))


CPU = Device("cpu")


def device(spec, index=None) -> Device:
    """torch.device('cpu'), torch.device('cuda:1'), torch.device('cuda', 0)."""
    if isinstance(spec, Device):
        return spec
    if isinstance(spec, int) and not isinstance(spec, bool):
        return Device("cuda", spec)
    if not isinstance(spec, str):
        raise TcalcTypeError(f"device() received an invalid combination of arguments - got ({type_name(spec)})")
    match = _DEVICE_STRING.fullmatch(spec)
    if match is None or match.group(1) not in KNOWN_TYPES:
        raise TcalcValueError(f"Expected one of {', '.join(KNOWN_TYPES)} device type at start of "
                              f"device string: {spec}", hint="tcalc computes on 'cpu'")
    kind, number = match.groups()
    if number is not None and index is not None:
        raise TcalcValueError(f"type (string) must not include an index because index was passed "
                              f"explicitly: {spec}")
    index = int(number) if number is not None else index
    return CPU if kind == "cpu" and index is None else Device(kind, index)


def device_type(value) -> str:
    """The type of a device argument (a string or a torch.device)."""
    return value.members["type"] if isinstance(value, Device) else device(value).members["type"]


def tensor_device(x) -> Device:
    return CPU


def generator_device(generator) -> Device:
    return CPU


# torch.cuda's functions (tcalc.builtins' table of torch.cuda names them).
def cuda_is_available() -> bool:
    return False


def cuda_device_count() -> int:
    return 0
