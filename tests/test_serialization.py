"""save and load: PyTorch's file format both ways, and files that must never run anything.

tests/data/torch_saved/*.pt were written by torch.save, and expected.json holds what PyTorch
printed after loading them (tests/record/record_serialization.py, which also checks that
PyTorch reads what tcalc saves).
"""
from __future__ import annotations

import io
import os
import json
import struct
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import run_program, tcalc_command
from tcalc import limits
from tcalc.errors import TcalcError
from tcalc.evaluator import Session
from tcalc.render import value_text

SAVED = Path(__file__).parent / "data" / "torch_saved"
EXPECTED = json.loads((SAVED / "expected.json").read_text(encoding="utf-8"))
# PyTorch prints a loaded nn.Parameter as "Parameter containing: ..."; tcalc, which has no
# parameters, loads it as the tensor that requires grad.
AS_TENSOR = {"parameter": "tensor([1., 1.], requires_grad=True)"}


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def value_of(source: str):
    values = list(Session().run(source))
    return value_text(values[-1]) if values else None


@pytest.mark.parametrize("name", sorted(set(EXPECTED) - {"state_dict"}))
def test_loads_what_torch_saved(name):
    assert value_of(f"load('{SAVED / name}.pt')") == AS_TENSOR.get(name, EXPECTED[name])


def test_a_state_dict_is_refused_cleanly():
    printed, error = run_program(f"load('{SAVED / 'state_dict.pt'}')")
    assert error is not None and error.kind == "file error" and "dict" in error.message


@pytest.mark.parametrize("value", [
    "arange(6.0).reshape(2, 3)", "tensor(2.5, dtype=float64)", "tensor(7, dtype=uint8)",
    "tensor([-128, 127], dtype=int8)", "tensor([300, -2], dtype=int16)",
    "tensor([3, -2], dtype=int32)", "arange(12).reshape(3, 4)", "tensor([True, False])",
    "ones(3, dtype=float16) / 3", "arange(6).reshape(2, 3).T", "arange(10)[2:8:2]", "zeros(0, 3)",
    "tensor([1., 2.], requires_grad=True)", "tensor([1., 2.], requires_grad=True) * 2",
    "[ones(2), (1.5, True, None, 'a', 2 ** 40, -7), [tensor(3)]]", "[int8, float32, ones(2, 3).shape]",
    "tensor([nan, inf, -inf])", "()", "[]", "3", "'text'",
])
def test_round_trip(value):
    session = Session()
    original = value_text(list(session.run(f"v = {value}\nv"))[-1])
    assert list(session.run("save(v, 'v.pt')")) == []  # save prints nothing
    loaded = list(Session().run("load('v.pt')"))[-1]
    # A saved result of an op loads as a leaf, as in PyTorch: no grad_fn, requires_grad kept.
    assert value_text(loaded) == original.replace(", grad_fn=<MulBackward0>", ", requires_grad=True")


def test_save_replaces_a_file_whole_and_leaves_it_on_failure(in_tmp):
    session = Session()
    list(session.run("save(ones(2), 'x.pt')"))
    before = (in_tmp / "x.pt").read_bytes()
    with pytest.raises(TcalcError) as err:
        list(session.run("save([ones(3), sum], 'x.pt')"))
    assert err.value.kind == "type error"
    assert (in_tmp / "x.pt").read_bytes() == before
    assert sorted(p.name for p in in_tmp.iterdir()) == ["x.pt"]  # no temporary left behind
    list(session.run("save(zeros(3), 'x.pt')"))
    assert value_of("load('x.pt')") == "tensor([0., 0., 0.])"


# ---- files that are not what they say -----------------------------------------------------

def archive(pickle: bytes, records: dict[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("a/data.pkl", pickle)
        z.writestr("a/byteorder", "little")
        for name, data in (records or {}).items():
            z.writestr(f"a/{name}", data)
    return buffer.getvalue()


def refusal(data: bytes, in_tmp) -> TcalcError:
    (in_tmp / "f.pt").write_bytes(data)
    printed, error = run_program("load('f.pt')")
    assert error is not None, printed
    assert error.kind not in ("internal error",), error.message
    return error


def test_a_file_asking_to_run_something_is_refused_and_nothing_runs(in_tmp):
    marker = in_tmp / "ran"
    command = f"touch {marker}".encode()
    evil = (b"\x80\x02cos\nsystem\n(X" + struct.pack("<I", len(command)) + command + b"tR.")
    error = refusal(archive(evil), in_tmp)
    assert "os.system" in error.message and "refusing" in error.message
    assert not marker.exists()
    builtin_eval = b"\x80\x02cbuiltins\neval\n(X\x04\x00\x00\x001+1tR."
    assert "builtins.eval" in refusal(archive(builtin_eval), in_tmp).message


@pytest.mark.parametrize("pickle", [
    b"",                                    # nothing
    b"\x80\x02",                            # no STOP
    b"\x80\x02K\x01K\x02.",                 # two values left
    b"\x80\x02t.",                          # TUPLE without a MARK
    b"\x80\x02h\x05.",                      # an unset memo
    b"\x80\x02Q.",                          # a persistent id from an empty stack
    b"\x80\x02(X\x07\x00\x00\x00storagectorch\nFloatStorage\nX\x01\x00\x00\x000X\x03\x00\x00\x00cpuK\x04tQ.",
    b"\x80\x02\xff.",                       # an opcode torch does not write
    b"\x80\x02X\xff\xff\xff\x7f.",          # a string longer than the file
])
def test_damaged_files_are_clean_errors(pickle, in_tmp):
    refusal(archive(pickle), in_tmp)


def storage_reference(numel: int) -> bytes:
    return (b"(X\x07\x00\x00\x00storagectorch\nFloatStorage\nX\x01\x00\x00\x000"
            b"X\x03\x00\x00\x00cpu\x8a\x08" + numel.to_bytes(8, "little", signed=True) + b"tQ")


def rebuild(numel: int, offset: int, size: tuple, stride: tuple) -> bytes:
    def ints(values):
        return b"(" + b"".join(b"J" + struct.pack("<i", v) for v in values) + b"t"
    return (b"\x80\x02ctorch._utils\n_rebuild_tensor_v2\n(" + storage_reference(numel)
            + b"J" + struct.pack("<i", offset) + ints(size) + ints(stride)
            + b"\x89ccollections\nOrderedDict\n)RtR.")


def test_a_huge_storage_is_refused_before_anything_is_allocated(in_tmp):
    error = refusal(archive(rebuild(10 ** 12, 0, (10 ** 6,), (1,)), {"data/0": b"\0" * 16}), in_tmp)
    assert error.kind == "limit exceeded" and "max_elements" in error.message


def test_a_tensor_reaching_past_its_storage_is_refused(in_tmp):
    data = {"data/0": b"\0" * 16}
    assert "past its storage" in refusal(archive(rebuild(4, 2, (4,), (1,)), data), in_tmp).message
    assert "past its storage" in refusal(archive(rebuild(4, 0, (2, 2), (4, 1)), data), in_tmp).message
    assert "holds" in refusal(archive(rebuild(4, 0, (4,), (1,)), {"data/0": b"\0" * 8}), in_tmp).message


def test_a_good_hand_written_file_loads(in_tmp):
    data = {"data/0": struct.pack("<4f", 1, 2, 3, 4)}
    (in_tmp / "f.pt").write_bytes(archive(rebuild(4, 1, (3,), (1,)), data))
    assert value_of("load('f.pt')") == "tensor([2., 3., 4.])"


FUZZ_SEEDS = [p.read_bytes() for p in sorted(SAVED.glob("*.pt"))[:6]]


@settings(max_examples=int(os.environ.get("TCALC_FUZZ_EXAMPLES", "0")) or 150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(original=st.sampled_from(FUZZ_SEEDS),
       changes=st.lists(st.tuples(st.integers(0, 2000), st.integers(0, 255)), min_size=1, max_size=6))
def test_mutated_files_end_in_a_value_or_a_clean_error(original, changes, in_tmp):
    data = bytearray(original)
    for position, byte in changes:
        data[position % len(data)] = byte
    (in_tmp / "m.pt").write_bytes(bytes(data))
    saved = limits.current()
    limits.configure({"max_elements": 100_000})
    try:
        printed, error = run_program("load('m.pt')")
    finally:
        limits.configure(saved)
    assert error is None or error.kind != "internal error", error.message


# ---- through the command line -------------------------------------------------------------

def test_missing_file_through_the_cli(in_tmp):
    result = tcalc_command("-e", "x = 1\nload('missing.pt')")
    assert result.returncode == 1
    assert "<-e>:2:1: file error: [Errno 2] No such file or directory: 'missing.pt'" in result.stderr
    assert "^" in result.stderr and "Traceback" not in result.stderr


def test_save_into_a_missing_folder_through_the_cli(in_tmp):
    result = tcalc_command("-e", "save(ones(2), 'no/such/x.pt')")
    assert result.returncode == 1 and "Parent directory no/such does not exist." in result.stderr


def test_save_then_load_across_runs(in_tmp):
    assert tcalc_command("-e", "w = arange(4.0).requires_grad_(); torch.save(w, 'w.pt')").stdout == ""
    assert tcalc_command("-e", "torch.load('w.pt') * 2").stdout == \
        "tensor([0., 2., 4., 6.], grad_fn=<MulBackward0>)\n"
