"""save and load: PyTorch's file format both ways, and files that must never run anything.

tests/data/torch_saved/*.pt were written by torch.save, and expected.json holds what PyTorch
printed after loading them (tests/record/record_serialization.py, which also checks that
PyTorch reads what tcalc saves).
"""
from __future__ import annotations

import io
import json
import os
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest
from conftest import run_program, tcalc_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tcalc import limits
from tcalc.errors import TcalcError
from tcalc.evaluator import Session
from tcalc.render import value_text

SAVED = Path(__file__).parent / "data" / "torch_saved"
EXPECTED = json.loads((SAVED / "expected.json").read_text(encoding="utf-8"))
# PyTorch prints a loaded nn.Parameter as "Parameter containing: ..."; tcalc, which has no
# parameters, loads it as the tensor that requires grad.
AS_TENSOR = {"parameter": "tensor([1., 1.], requires_grad=True)"}
LOADED = sorted(name for name, case in EXPECTED.items() if case["text"] is not None)
SAVED_ALIKE = sorted(name for name, case in EXPECTED.items() if case["tcalc"] is not None)


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def value_of(source: str):
    values = list(Session().run(source))
    return value_text(values[-1]) if values else None


def records(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name.split("/", 1)[1]: archive.read(name) for name in archive.namelist()}


@pytest.mark.parametrize("name", LOADED)
def test_loads_what_torch_saved(name):
    case = EXPECTED[name]
    shown = value_of(f"v = load('{SAVED / name}.pt'); {case['shows']}")
    assert shown == AS_TENSOR.get(name, case["text"])


@pytest.mark.parametrize("name", SAVED_ALIKE)
def test_saves_what_torch_saves(name, in_tmp):
    """The same value saved by tcalc: torch.save's records, byte for byte (the file's random
    id aside), each record's data at a multiple of 64 as in torch's files."""
    list(Session().run(f"{EXPECTED[name]['tcalc']}; save(v, '{name}.pt')"))
    ours, theirs = records(in_tmp / f"{name}.pt"), records(SAVED / f"{name}.pt")
    ours.pop(".data/serialization_id"), theirs.pop(".data/serialization_id")
    assert ours == theirs
    with zipfile.ZipFile(in_tmp / f"{name}.pt") as archive:
        names = [info.filename for info in archive.infolist()]
        assert names == [f"{name}/{record}" for record in [
            "data.pkl", ".format_version", ".storage_alignment", "byteorder",
            *(f"data/{k}" for k in range(len(names) - 6)), "version", ".data/serialization_id"]]
        raw = (in_tmp / f"{name}.pt").read_bytes()
        for info in archive.infolist():
            name_length, extra_length = struct.unpack("<HH", raw[info.header_offset + 26:info.header_offset + 30])
            assert (info.header_offset + 30 + name_length + extra_length) % 64 == 0


def test_the_same_value_saves_the_same_bytes(in_tmp):
    session = Session()
    (in_tmp / "d").mkdir()
    list(session.run("v = [arange(3.), 'a']; save(v, 'v.pt'); save(v, 'd/v.pt')"))
    assert (in_tmp / "v.pt").read_bytes() == (in_tmp / "d" / "v.pt").read_bytes()


def test_refused_files_say_why():
    printed, error = run_program(f"load('{SAVED / 'legacy.pt'}')")
    assert error is not None and error.kind == "file error" and "legacy format" in error.message


@pytest.mark.parametrize("value", [
    "arange(6.0).reshape(2, 3)", "tensor(2.5, dtype=float64)", "tensor(7, dtype=uint8)",
    "tensor([-128, 127], dtype=int8)", "tensor([300, -2], dtype=int16)",
    "tensor([3, -2], dtype=int32)", "arange(12).reshape(3, 4)", "tensor([True, False])",
    "ones(3, dtype=float16) / 3", "arange(6).reshape(2, 3).T", "arange(10)[2:8:2]", "zeros(0, 3)",
    "tensor([1., 2.], requires_grad=True)", "tensor([1., 2.], requires_grad=True) * 2",
    "[ones(2), (1.5, True, None, 'a', 2 ** 40, -7), [tensor(3)]]", "[int8, float32, ones(2, 3).shape]",
    "tensor([nan, inf, -inf])", "()", "[]", "3", "'text'", "[(), [], [[]], ('ünï',)]",
    "(2 ** 31, -2 ** 31 - 1, 2 ** 63, -2 ** 64, -255, -256, 2.5e300, -0.0)",
    "arange(1001).tolist()[-3:]", "len(arange(2001).tolist())", "tensor(1).shape",
    "ones(2, 3)[:, 1]", "arange(24.).reshape(2, 3, 4).permute(2, 0, 1)[1:, :, ::2]",
    "tensor([1., 2.]).expand(3, 2)", "tensor(5, dtype=int16)", "zeros(2, 0, 3, dtype=bool)",
])
def test_round_trip(value):
    session = Session()
    original = value_text(list(session.run(f"v = {value}\nv"))[-1])
    assert list(session.run("save(v, 'v.pt')")) == []  # save prints nothing
    loaded = list(Session().run("load('v.pt')"))[-1]
    # A saved result of an op loads as a leaf, as in PyTorch: no grad_fn, requires_grad kept.
    assert value_text(loaded) == original.replace(", grad_fn=<MulBackward0>", ", requires_grad=True")


def test_tensors_sharing_memory_share_it_after_loading(in_tmp):
    session = Session()
    list(session.run("t = arange(6.); save([t, t.reshape(2, 3).T, t[1:], t], 'v.pt')"))
    a, b, c, d = list(session.run("v = load('v.pt'); v"))[-1]
    assert a is d and np.shares_memory(a.data, b.data) and np.shares_memory(a.data, c.data)
    # As in PyTorch: an in-place change of one shows in the others.
    assert value_of("v = load('v.pt'); v[2].mul_(10); v[1]") == \
        "tensor([[ 0., 30.],\n        [10., 40.],\n        [20., 50.]])"
    # One storage in the file, not four.
    assert sorted(n for n in records(in_tmp / "v.pt") if n.startswith("data/")) == ["data/0"]


def test_an_expanded_tensor_loads_read_only_as_tcalcs_expand():
    printed, error = run_program(f"v = load('{SAVED / 'expanded.pt'}'); v.add_(1)")
    assert error is not None and error.kind != "internal error"
    printed, error = run_program("v = ones(3).expand(2, 3); v.add_(1)")
    assert error is not None and error.kind != "internal error"


def test_a_loaded_expanded_tensor_is_written_through_as_in_pytorch():
    # Its two rows are one storage of three: writing a row writes both, as PyTorch does;
    # a write whose elements share memory (a column) is refused in PyTorch's words.
    printed, error = run_program(f"v = load('{SAVED / 'expanded.pt'}')\nv[0] = tensor([7., 8., 9.])\nv")
    assert error is None, error
    assert printed == "tensor([[7., 8., 9.],\n        [7., 8., 9.]])\n"
    printed, error = run_program(f"v = load('{SAVED / 'expanded.pt'}')\nv[:, 0] = 1")
    assert error is not None and "refers to a single memory location" in str(error)


def test_a_broadcast_gradient_saves_as_a_contiguous_tensor(in_tmp):
    list(Session().run("x = ones(3, requires_grad=True); x.sum().backward(); save(x.grad, 'g.pt')"))
    assert value_of("g = load('g.pt'); g.add_(1); g") == "tensor([2., 2., 2.])"


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


def test_a_failure_while_writing_leaves_the_old_file(in_tmp, monkeypatch):
    from tcalc import serialization

    list(Session().run("save(ones(2), 'x.pt')"))
    before = (in_tmp / "x.pt").read_bytes()
    written = []

    def failing(archive, name, data):
        written.append(name)
        if name.endswith("data/0"):
            raise OSError(28, "No space left on device")
        return original(archive, name, data)

    original = serialization._write_record
    monkeypatch.setattr(serialization, "_write_record", failing)
    printed, error = run_program("save(zeros(3), 'x.pt')")
    assert error is not None and error.kind == "file error"
    assert error.message == "[Errno 28] No space left on device: 'x.pt'"
    assert written and (in_tmp / "x.pt").read_bytes() == before
    assert sorted(p.name for p in in_tmp.iterdir()) == ["x.pt"]


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
    # Protocol 4's STACK_GLOBAL, and the opcodes that build objects without REDUCE.
    text = b"\x8c" + bytes((len(command),)) + command
    stack_global = b"\x80\x04\x8c\x02os\x8c\x06system\x93" + text + b"\x85R."
    assert "os.system" in refusal(archive(stack_global), in_tmp).message
    for pickle in [b"\x80\x02(" + text + b"ios\nsystem\n.",          # INST
                   b"\x80\x02(cos\nsystem\n" + text + b"o.",          # OBJ
                   b"\x80\x02}" + text + b"b.",                       # BUILD
                   b"\x80\x02ctorch._utils\n_rebuild_tensor_v2\n" + text + b"\x85\x81."]:  # NEWOBJ
        refusal(archive(pickle), in_tmp)
    # A rebuilder that exists in torch but not in tcalc's table.
    assert "torch._utils._rebuild_device_tensor_from_numpy" in refusal(
        archive(b"\x80\x02ctorch._utils\n_rebuild_device_tensor_from_numpy\n)R."), in_tmp).message
    assert not marker.exists()


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


def test_the_storages_of_one_file_count_together_against_the_total(in_tmp):
    two = (b"\x80\x02]((X\x07\x00\x00\x00storagectorch\nFloatStorage\nX\x01\x00\x00\x000X\x03\x00\x00\x00cpu"
           b"M\x00\x03tQ(X\x07\x00\x00\x00storagectorch\nFloatStorage\nX\x01\x00\x00\x001X\x03\x00\x00\x00cpu"
           b"M\x00\x03tQe.")  # (a list of two bare storages: refused later, if ever reached)
    data = archive(two, {"data/0": b"\0" * 3072, "data/1": b"\0" * 3072})
    saved = limits.current()
    limits.configure({"max_elements": 1000, "max_total_elements": 1500})
    try:
        error = refusal(data, in_tmp)
    finally:
        limits.configure(saved)
    assert error.kind == "limit exceeded" and "max_total_elements" in error.message


def test_an_exponentially_shared_value_is_refused_at_once(in_tmp):
    # 60 lists, each holding the one before twice: 2 ** 60 items once written out.
    def nested(i: int) -> bytes:
        made = b"]q" + bytes((i,))
        return made + (b"(" + nested(i - 1) + b"h" + bytes((i - 1,)) + b"e" if i else b"")
    pickle = b"\x80\x02" + nested(60) + b"."
    error = refusal(archive(pickle), in_tmp)
    assert error.kind == "limit exceeded" and "max_list_items" in error.message


def test_a_list_holding_itself_is_refused(in_tmp):
    error = refusal(archive(b"\x80\x02]q\x00h\x00a."), in_tmp)
    assert error.kind == "limit exceeded" and "max_depth" in error.message


def test_an_int_tensor_that_requires_grad_is_refused(in_tmp):
    data = {"data/0": struct.pack("<4f", 1, 2, 3, 4)}
    pickle = rebuild(4, 0, (4,), (1,)).replace(b"torch\nFloatStorage", b"torch\nIntStorage")
    pickle = pickle.replace(b"\x89ccollections", b"\x88ccollections")
    assert "only Tensors of floating point" in refusal(archive(pickle, data), in_tmp).message


def test_files_that_are_not_torchs(in_tmp):
    for data in [b"", b"hello world", os.urandom(300), b"PK\x03\x04" + b"\0" * 40]:
        assert "not a file torch.save wrote" in refusal(data, in_tmp).message
    legacy = b"\x80\x02\x8a\nl\xfc\x9cF\xf9 j\xa8P\x19.\x80\x02M\xe9\x03."
    assert "legacy format" in refusal(legacy, in_tmp).message


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


def test_directories_through_the_cli(in_tmp):
    result = tcalc_command("-e", "load('.')")
    assert result.returncode == 1
    assert "<-e>:1:1: file error: [Errno 21] Is a directory: '.'" in result.stderr
    (in_tmp / "d").mkdir()
    result = tcalc_command("-e", "x = ones(2)\nsave(x, 'd')")
    assert result.returncode == 1 and "<-e>:2:1: file error: [Errno 21] Is a directory: 'd'" in result.stderr
    assert "^" in result.stderr and "Traceback" not in result.stderr


def test_a_refused_file_through_the_cli(in_tmp):
    (in_tmp / "evil.pt").write_bytes(archive(b"\x80\x02cos\nsystem\n(X\x02\x00\x00\x00idtR."))
    result = tcalc_command("-e", "v = ones(2)\nv = load('evil.pt')\nv")
    assert result.returncode == 1 and result.stdout == ""
    assert "<-e>:2:5: file error: refusing to load 'evil.pt': it asks for os.system" in result.stderr
    assert "Traceback" not in result.stderr


def test_save_then_load_across_runs(in_tmp):
    assert tcalc_command("-e", "w = arange(4.0).requires_grad_(); torch.save(w, 'w.pt')").stdout == ""
    assert tcalc_command("-e", "torch.load('w.pt') * 2").stdout == \
        "tensor([0., 2., 4., 6.], grad_fn=<MulBackward0>)\n"


@settings(max_examples=int(os.environ.get("TCALC_FUZZ_EXAMPLES", "0")) or 100, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pickle=st.binary(max_size=200), opcodes=st.lists(st.sampled_from(
    [b"(", b"t", b"]", b"}", b")", b"a", b"e", b"s", b"u", b"R", b"Q", b"\x85", b"\x86", b"\x87", b"N",
     b"K\x01", b"h\x00", b"q\x00", b"\x94", b"X\x01\x00\x00\x00a", b"ctorch._utils\n_rebuild_tensor_v2\n",
     b"ctorch\nFloatStorage\n", b"ccollections\nOrderedDict\n", b"ctorch\nSize\n", b"."]), max_size=40))
def test_random_pickles_end_in_a_value_or_a_clean_error(pickle, opcodes, in_tmp):
    for data in (pickle, b"\x80\x02" + b"".join(opcodes)):
        (in_tmp / "r.pt").write_bytes(archive(data, {"data/0": b"\0" * 16}))
        printed, error = run_program("load('r.pt')")
        assert error is None or error.kind != "internal error", error.message
