"""Tables of numbers as text: save/load of .csv (a spreadsheet's data) and np.savetxt /
np.loadtxt, checked against NumPy's own reader and writer."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import run_program

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


def test_a_spreadsheets_csv_loads_as_a_float_tensor():
    Path("people.csv").write_text("height,weight\n1.70,65\n1.82,80.5\n1.60,\n")
    assert shown("load('people.csv')") == ("tensor([[ 1.7000, 65.0000],\n        [ 1.8200, 80.5000],\n"
                                           "        [ 1.6000,     nan]])")
    Path("semi.csv").write_text("a;b\n1;2\n3;4\n")
    assert shown("load('semi.csv')") == "tensor([[1., 2.],\n        [3., 4.]])"
    Path("column.csv").write_text("1\n2\n3\n")
    assert shown("load('column.csv')") == "tensor([1., 2., 3.])"


def test_saved_csv_reads_back_the_same_numbers_and_numpy_reads_it():
    list(Session().run("x = tensor([[0.1, 2.], [3., 1e-7]]); save(x, 'x.csv')"))
    assert Path("x.csv").read_text() == "0.1,2\n3,1e-07\n"
    assert np.array_equal(np.loadtxt("x.csv", delimiter=",", dtype=np.float32),
                          np.array([[0.1, 2.], [3., 1e-7]], np.float32))
    assert shown("x = tensor([[0.1, 2.], [3., 1e-7]]); save(x, 'x.csv'); equal(load('x.csv'), x)") == "True"
    list(Session().run("save(arange(3), 'i.csv')"))
    assert Path("i.csv").read_text() == "0\n1\n2\n"


def test_numpys_spellings_match_numpy():
    list(Session().run("import numpy as np\nnp.savetxt('a.txt', arange(6.).reshape(2, 3).numpy())\n"
                       "np.savetxt('b.csv', arange(4.).numpy(), delimiter=',', fmt='%.2f', header='x')"))
    np.savetxt("a_numpy.txt", np.arange(6.).reshape(2, 3))
    np.savetxt("b_numpy.csv", np.arange(4.), delimiter=",", fmt="%.2f", header="x")
    assert Path("a.txt").read_bytes() == Path("a_numpy.txt").read_bytes()
    assert Path("b.csv").read_bytes() == Path("b_numpy.csv").read_bytes()
    Path("t.csv").write_text("# made by hand\nname,x,y\n1,2,3\n4,5,6  \n")
    for call in ["np.loadtxt('t.csv', delimiter=',', skiprows=2)",
                 "np.loadtxt('t.csv', delimiter=',', skiprows=2, usecols=(0, 2))",
                 "np.loadtxt('t.csv', delimiter=',', skiprows=2, usecols=1, dtype=np.float32)",
                 "np.loadtxt('a.txt')", "np.loadtxt('a.txt', ndmin=2)[0:1]"]:
        ours = shown("import numpy as np\n" + call)
        theirs = repr(eval(call, {"np": np}))  # noqa: S307 - our own test expressions, with NumPy
        assert ours == theirs, call


@pytest.mark.parametrize("content, words", [
    ("1,2\n3\n", "line 2 has 1 values, the lines before it 2"),
    ("a,b\n1,x\n", "'x' is not a number"),
    ("\xff\xfe", "not UTF-8"),
])
def test_bad_tables_are_clean_errors(content, words):
    Path("bad.csv").write_bytes(content.encode("latin1"))
    error = refusal("load('bad.csv')")
    assert error.kind == "file error" and words in error.message


def test_limits_missing_files_and_values_csv_cannot_hold():
    Path("big.csv").write_text("1,2,3,4\n" * 300)
    previous = limits.current()
    limits.configure({"max_elements": 1000})
    try:
        assert refusal("load('big.csv')").kind == "limit exceeded"
    finally:
        limits.configure(previous)
    assert "No such file" in refusal("load('none.csv')").message
    assert "1-d or 2-d" in refusal("save(zeros(2, 2, 2), 'x.csv')").message
    assert refusal("save({'a': 1}, 'x.csv')").kind == "type error"
    assert "fmt=" in refusal("import numpy as np\nnp.savetxt('f.txt', np.ones(2), fmt='%q')").message
    assert not Path("f.txt").exists()
    assert "whole" in refusal("import numpy as np\nnp.savetxt('h.txt', np.ones(2) / 3)\n"
                              "np.loadtxt('h.txt', dtype=int)").message
