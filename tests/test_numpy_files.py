"""NumPy's .npy and .npz files through save and load (the extension picks the format), and
np.save / np.savez / np.load: NumPy reads what tcalc writes, tcalc reads what NumPy writes,
and a file never runs anything or allocates past the limits."""
from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np
import pytest
from conftest import run_program, tcalc_command

from tcalc import limits
from tcalc.evaluator import Session
from tcalc.render import value_text


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def shown(source: str) -> str:
    return value_text(list(Session().run(source))[-1])


def refusal(source: str):
    printed, error = run_program(source)
    assert error is not None, f"{source} ran"
    return error


@pytest.mark.parametrize("program, numpy_value", [
    ("arange(6.).reshape(2, 3)", np.arange(6, dtype=np.float32).reshape(2, 3)),
    ("tensor([1, -2], dtype=int8)", np.array([1, -2], np.int8)),
    ("tensor([True, False])", np.array([True, False])),
    ("tensor(2.5, dtype=float64)", np.array(2.5)),
    ("arange(12).reshape(3, 4).T", np.arange(12).reshape(3, 4).T),
    ("ones(3, dtype=float16) / 3", np.ones(3, np.float16) / 3),
    ("zeros(2, 0)", np.zeros((2, 0), np.float32)),
    ("tensor([1., 2.], requires_grad=True) * 2", np.array([2., 4.], np.float32)),
])
def test_numpy_reads_what_tcalc_saves_and_back(program, numpy_value, in_tmp):
    list(Session().run(f"save({program}, 'a.npy')"))
    loaded = np.load(in_tmp / "a.npy", allow_pickle=False)
    assert loaded.dtype == numpy_value.dtype and np.array_equal(loaded, numpy_value)
    assert shown("load('a.npy')") == shown(f"({program}).detach()")


def test_tcalc_reads_what_numpy_saves(in_tmp):
    np.save("be.npy", np.arange(3, dtype=">i4"))  # big-endian
    np.save("f.npy", np.asfortranarray(np.arange(6.).reshape(2, 3)))
    np.savez("z.npz", np.eye(2, dtype=np.float32), w=np.arange(3, dtype=np.uint8))
    np.savez_compressed("c.npz", x=np.arange(4))
    assert shown("load('be.npy')") == "tensor([0, 1, 2], dtype=torch.int32)"
    assert shown("load('f.npy')") == "tensor([[0., 1., 2.],\n        [3., 4., 5.]], dtype=torch.float64)"
    assert shown("load('z.npz')") == ("{'w': tensor([0, 1, 2], dtype=torch.uint8),\n"
                                      " 'arr_0': tensor([[1., 0.],\n         [0., 1.]])}")  # NumPy's order
    assert shown("load('c.npz')['x']") == "tensor([0, 1, 2, 3])"
    assert shown("x = load('f.npy'); x[0, 0] = 7; x[0]") == "tensor([7., 1., 2.], dtype=torch.float64)"


def test_npz_of_a_dict_is_read_by_numpy_by_name(in_tmp):
    list(Session().run("save({'W': ones(2, 3), 'b': zeros(3, dtype=int32)}, 'w.npz')"))
    with np.load(in_tmp / "w.npz", allow_pickle=False) as z:
        assert sorted(z.files) == ["W", "b"] and z["b"].dtype == np.int32 and z["W"].shape == (2, 3)


def test_numpy_spellings(in_tmp):
    out = shown("import numpy as np\na = np.arange(3)\nnp.save('a', a); np.savez('z', a, b=a)\n"
                "np.load('a.npy'), np.load('z.npz')")
    assert out == "(array([0, 1, 2]), {'b': array([0, 1, 2]), 'arr_0': array([0, 1, 2])})"


def test_a_pickled_npy_is_refused_saying_so(in_tmp):
    np.save("obj.npy", np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    error = refusal("load('obj.npy')")
    assert error.kind == "file error" and "pickle" in error.message and "never unpickles" in error.message
    assert "pickle" in refusal("import numpy as np\nnp.load('obj.npy', allow_pickle=True)").message


def _npy_with_header(header: str, data: bytes = b"", version: bytes = b"\x01\x00") -> bytes:
    raw = header.encode("latin1")
    length = len(raw).to_bytes(2 if version == b"\x01\x00" else 4, "little")
    return b"\x93NUMPY" + version + length + raw + data


def test_an_oversize_header_is_refused(in_tmp):
    Path("big.npy").write_bytes(_npy_with_header("{" + " " * 60000 + "}\n"))
    assert "header" in refusal("load('big.npy')").message
    # A version 2 header says its length in 4 bytes: refused before it is read.
    Path("huge.npy").write_bytes(_npy_with_header("{}", version=b"\x02\x00")[:8] + (2 ** 31).to_bytes(4, "little"))
    assert "header" in refusal("load('huge.npy')").message


def test_a_huge_shape_is_refused_before_anything_is_allocated(in_tmp):
    Path("h.npy").write_bytes(_npy_with_header(
        "{'descr': '<f4', 'fortran_order': False, 'shape': (100000, 100000), }\n"))
    error = refusal("load('h.npy')")
    assert error.kind == "limit exceeded" and "10,000,000,000 elements" in error.message
    Path("short.npy").write_bytes(_npy_with_header(
        "{'descr': '<f4', 'fortran_order': False, 'shape': (1000,), }\n", b"\0" * 8))
    assert "damaged" in refusal("load('short.npy')").message


def test_the_arrays_of_an_npz_count_together(in_tmp):
    np.savez("two.npz", a=np.zeros(600), b=np.zeros(600))
    previous = limits.current()
    limits.configure({"max_total_elements": 1000})
    try:
        assert refusal("load('two.npz')").kind == "limit exceeded"
    finally:
        limits.configure(previous)


@pytest.mark.parametrize("content, words", [
    (b"", "not a NumPy .npy file"),
    (b"hello, not an array", "not a NumPy .npy file"),
    (b"\x93NUMPY\x01\x00\x10\x00{'descr': '<U3'", "not a NumPy .npy file"),
])
def test_bad_files_are_clean_errors(content, words, in_tmp):
    Path("bad.npy").write_bytes(content)
    error = refusal("load('bad.npy')")
    assert error.kind == "file error" and words in error.message


def test_unsupported_dtypes_and_bad_npz(in_tmp):
    np.save("c.npy", np.array([1 + 2j]))
    assert "no dtype for" in refusal("load('c.npy')").message
    Path("bad.npz").write_bytes(b"not a zip")
    assert "not a NumPy .npz file" in refusal("load('bad.npz')").message
    with zipfile.ZipFile("pickled.npz", "w") as archive:
        with archive.open("x.npy", "w") as member:
            np.lib.format.write_array(member, np.array([None], dtype=object), allow_pickle=True)
    assert "x.npy" in refusal("load('pickled.npz')").message


def test_values_npy_does_not_hold_are_refused(in_tmp):
    assert ".npz" in refusal("save({'a': ones(2)}, 'd.npy')").hint
    assert refusal("save({1: ones(2)}, 'd.npz')").kind == "type error"
    assert refusal("save(['text'], 'd.npz')").kind == "type error"


def test_missing_and_unwritable_files(in_tmp):
    assert "No such file or directory: 'nope.npy'" in refusal("load('nope.npy')").message
    assert "does not exist" in refusal("save(ones(2), 'no/such/dir/a.npy')").message
    os.mkdir("folder.npz")
    assert "Is a directory" in refusal("load('folder.npz')").message
    assert "Is a directory" in refusal("save({'a': ones(2)}, 'folder.npz')").message


def test_a_failed_save_leaves_the_old_file(in_tmp):
    list(Session().run("save(arange(3), 'a.npz')"))
    before = Path("a.npz").read_bytes()
    refusal("save({'ok': ones(2), 'bad': 'text'}, 'a.npz')")
    refusal("save([ones(2), print], 'a.npz')")
    assert Path("a.npz").read_bytes() == before
    assert sorted(os.listdir(".")) == ["a.npz"]  # no temporary left behind


def test_through_the_cli(in_tmp):
    result = tcalc_command("-e", "save(arange(4.), 'x.npy')\nload('x.npy') * 2")
    assert (result.returncode, result.stdout, result.stderr) == (0, "tensor([0., 2., 4., 6.])\n", "")
    result = tcalc_command("-e", "load('missing.npz')")
    assert result.returncode == 1 and "file error" in result.stderr and "Traceback" not in result.stderr


def test_mutated_files_end_in_a_value_or_a_clean_error(in_tmp):
    import random

    from tcalc.errors import TcalcError

    np.save("good.npy", np.arange(6.).reshape(2, 3))
    np.savez("good.npz", a=np.arange(3), b=np.ones(2, np.float32))
    np.savez_compressed("good.z.npz", a=np.arange(30))
    chooser = random.Random(14)
    for name in ("good.npy", "good.npz", "good.z.npz"):
        original = Path(name).read_bytes()
        for _ in range(150):
            data = bytearray(original)
            for _ in range(chooser.randint(1, 4)):
                data[chooser.randrange(len(data))] = chooser.randrange(256)
            if chooser.random() < 0.2:
                data = data[: chooser.randrange(len(data))]
            Path("m" + name[-4:]).write_bytes(bytes(data))
            try:
                list(Session().run(f"load('m{name[-4:]}')"))
            except TcalcError:
                pass
