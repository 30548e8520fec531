"""Limits: refused before the work starts, with the limit's name and how to raise it."""
from __future__ import annotations

import functools
import operator

import pytest
from conftest import run_program, tcalc_command
from hypothesis import given, settings
from hypothesis import strategies as st

from tcalc import limits
from tcalc.errors import LimitError
from tcalc.evaluator import Session


@pytest.fixture(autouse=True)
def default_limits():
    saved = limits.current()
    yield
    limits.configure(saved)


def refusal(source: str):
    printed, error = run_program(source)
    assert error is not None, f"expected a refusal, got {printed!r}"
    assert error.kind == "limit exceeded", (error.kind, error.message)
    return error


@pytest.mark.parametrize("source, limit", [
    ("zeros(100000, 100000)", "max_elements"),
    ("ones(10**6, 1) + ones(1, 10**6)", "max_elements"),
    ("outer(ones(10**6), ones(10**6))", "max_elements"),
    ("ones(10**5, 1) @ ones(1, 10**5)", "max_elements"),
    ("ones(1).expand(10**6, 10**6)", "max_elements"),
    ("arange(10**12)", "max_elements"),
    ("ones(2).repeat(10**6, 10**6)", "max_elements"),
    ("diag(ones(2), 10**6)", "max_elements"),
    ("9 ** 9 ** 9", "max_int_digits"),
    ("2 ** 100000", "max_int_digits"),
    ("x = 10 ** 4000\nx * x", "max_int_digits"),
    ("1" * 5000, "max_int_digits"),
    ("int('9' * 5000)", "max_int_digits"),
    ("[0] * 10**9", "max_list_items"),
    ("f(x) = f(x)\nf(1)", "max_recursion"),
    ("(" * 1000 + "1" + ")" * 1000, "max_depth"),
    ("-" * 5000 + "1", "max_depth"),
    ("[" * 500 + "]" * 500, "max_depth"),
    # the result of an op larger than its inputs, refused before it is made
    ("zeros(0, 5 * 10**8).sum(0)", "max_elements"),
    ("zeros(0, 5 * 10**8).mean(0)", "max_elements"),
    ("zeros(0, 5 * 10**8).prod(0)", "max_elements"),
    ("zeros(0, 5 * 10**8).any(0)", "max_elements"),
    ("a = zeros(10**8)\ncat([a, a, a])", "max_elements"),
    ("a = zeros(10**7)\nstack([a] * 30)", "max_elements"),
    ("tensor([[[0] * 1000] * 1000] * 300)", "max_elements"),
    # the unfolded input of a convolution or pooling, checked before it is made
    ("torch.nn.functional.conv2d(ones(1, 1, 2000, 2000), ones(1, 1, 200, 200))", "max_elements"),
    ("torch.nn.functional.conv1d(ones(1, 1, 10**6), ones(1, 1, 10**4))", "max_elements"),
    ("torch.nn.functional.max_pool2d(ones(1, 1, 3000, 3000), 100, 1)", "max_elements"),
    ("torch.nn.functional.avg_pool2d(ones(1, 1, 3000, 3000), 100, 1)", "max_elements"),
    ("zeros(2 * 10**7).tolist()", "max_list_items"),
])
def test_refusals_name_the_limit_and_how_to_raise_it(source, limit):
    error = refusal(source)
    assert limit in error.message
    assert error.span is not None, "a refusal names its place"
    flag = "--" + limit.replace("_", "-")
    assert flag in error.hint and "TCALC_" + limit.upper() in error.hint


@pytest.mark.parametrize("source, said", [
    ("'ab' * 10**10", "a string of 20,000,000,000 characters is too long"),
    ("(1, 2) * 10**10", "a tuple of 20,000,000,000 items is too long"),
    ("[0] * 10**9", "a list of 1,000,000,000 items is too long"),
])
def test_a_refused_repetition_says_what_it_would_have_made(source, said):
    assert refusal(source).message.startswith(said)


def test_total_elements_across_the_session():
    limits.configure({"max_total_elements": 1_000_000})
    printed, error = run_program("a = zeros(600000)\nb = zeros(600000)")
    assert error is not None and "max_total_elements" in error.message
    # Freeing a variable makes room again.
    printed, error = run_program("a = zeros(600000)\na = None\nb = zeros(600000)")
    assert error is None


def test_raised_limits_allow_more():
    limits.configure({"max_elements": 10})
    refusal("zeros(11)")
    limits.configure({"max_elements": 11})
    assert run_program("zeros(11).shape")[1] is None


def test_default_allows_the_benchmark_in_place_add():
    # X += Y on two 50M-element float32 tensors: checked without allocating here.
    limits.check_shape((50_000_000,))
    limits.set_live_elements(100_000_000)
    try:
        limits.check_shape((50_000_000,))
    finally:
        limits.set_live_elements(0)


def test_input_length():
    limits.configure({"max_input": 100})
    assert "max_input" in refusal("1 + " * 50 + "1").message


def test_parse_count():
    assert limits.parse_count("1_000") == 1000
    assert limits.parse_count("250M") == 250_000_000
    assert limits.parse_count("1e6") == 1_000_000
    assert limits.parse_count("2k") == 2000
    for bad in ("lots", "-5", "1e30"):
        with pytest.raises(ValueError):
            limits.parse_count(bad)


# ---- through the command line ----------------------------------------------------------

def test_limits_flag_shows_every_limit():
    result = tcalc_command("--limits")
    assert result.returncode == 0
    for limit in limits.TABLE:
        assert limit.name in result.stdout and limit.flag in result.stdout and limit.env in result.stdout
    assert "250,000,000" in result.stdout


def test_limit_flag_and_environment_variable():
    assert "10" in tcalc_command("--max-elements", "10", "--limits").stdout.split("max_elements")[1].split("\n")[0]
    result = tcalc_command("-e", "zeros(20)", env={"TCALC_MAX_ELEMENTS": "10"})
    assert result.returncode == 1 and "max_elements" in result.stderr
    # The flag wins over the environment.
    result = tcalc_command("--max-elements=100", "-e", "zeros(20).shape", env={"TCALC_MAX_ELEMENTS": "10"})
    assert (result.returncode, result.stdout) == (0, "torch.Size([20])\n")


def test_bad_limit_values_are_usage_errors():
    assert tcalc_command("--max-elements", "lots", "-e", "1").returncode == 2
    assert tcalc_command("--max-depth").returncode == 2
    result = tcalc_command("-e", "1", env={"TCALC_MAX_DEPTH": "deep"})
    assert result.returncode == 2 and "TCALC_MAX_DEPTH" in result.stderr


def test_help_mentions_limits():
    out = tcalc_command("--help").stdout
    assert "--limits" in out and "--max-elements" in out and "TCALC_MAX_ELEMENTS" in out


@pytest.mark.parametrize("source", [
    "sum = zeros(600)\nzeros(600)",  # a name that shadows a builtin holds a tensor too
    "x = zeros(400, requires_grad=True)\n(x * 1).sum().backward()\nzeros(300)",  # .grad counts
    "t = (zeros(300), [zeros(300)])\nzeros(500)",  # tensors inside tuples and lists
    "f(n) = zeros(n)\na = zeros(700)\nf(400)",  # an allocation inside a function
    "a = zeros(500)\nb = a + 1\na + b",  # the size precheck of an operator
])
def test_total_elements_count_every_tensor_the_variables_hold(source):
    limits.configure({"max_total_elements": 1_000})
    printed, error = run_program(source)
    assert error is not None and "max_total_elements" in error.message, (printed, error)


@pytest.mark.parametrize("source", [
    "a = zeros(600)\nv = a[1:]\nw = a.reshape(2, 300)",  # views count once
    "a = zeros(600)\nb, c = zeros(300), undefined_name",  # the failed statement bound nothing
])
def test_total_elements_are_not_counted_twice_or_for_failed_statements(source):
    from tcalc.evaluator import Session

    limits.configure({"max_total_elements": 1_000})
    session = Session()
    printed, error = run_program(source, session)
    assert error is None or error.kind == "name error", error
    printed, error = run_program("zeros(400)", session)
    assert error is None, error


# ---- the total without a walk of the session per statement ------------------------------

@pytest.mark.parametrize("source", [
    "a = zeros(600)\nb = a.clone()",
    "a = zeros(600)\nb = a + 1",
    "a = zeros(600)\nb = 2 * a",
    "a = zeros(600)\nb = exp(a)",
    "a = zeros(600)\nb = a.double()",
    "a = zeros(300)\nb = torch.cat([a, a, a])",
    "xs = [zeros(300) for i in range(3)]\nzeros(200)",  # a list of results, held by a name
    "a = zeros(300)\nxs = [a * 2, a + 1]\nys = a.clone()",
    "for i in range(5):\n    globals_held = zeros(100)\nkeep = [zeros(100) for i in range(8)]\nzeros(300)",
])
def test_total_elements_refuse_each_way_a_tensor_is_made(source):
    limits.configure({"max_total_elements": 1_000})
    printed, error = run_program(source)
    assert error is not None and "max_total_elements" in error.message, (printed, error)


@pytest.mark.parametrize("source", [
    "a = ones(1).expand(10**6, 10**5)\nb = a.clone()",
    "a = ones(1).expand(10**6, 10**5)\nb = a + 1",
    "a = ones(1).expand(10**6, 10**5)\nb = [exp(a)]",
])
def test_total_elements_refuse_before_allocating(source):
    # 10**11 float32 elements (400 GB): refused by the count, never tried (no MemoryError).
    limits.configure({"max_elements": 10 ** 12, "max_total_elements": 10 ** 9})
    error = refusal(source)
    assert "max_total_elements" in error.message and "100,000,000,000 elements" in error.message


_PROGRAMS = [
    "a = zeros(600)\nb = a[1:]\nc = a.reshape(2, 300)\nd = zeros(399)\ne = zeros(2)",
    "x = zeros(400, requires_grad=True)\n(x * 1).sum().backward()\ny = zeros(199)\nz = zeros(2)",
    "t = (zeros(300), [zeros(300)])\nu = zeros(400)\nt = None\nu = zeros(400)\nv = zeros(300)",
    "def f(n):\n    return zeros(n)\na = f(500)\nb = f(500)\nb = None\nc = f(500)",
    "xs = []\nfor i in range(12):\n    xs.append(zeros(100))\nxs = xs[:3]\ny = zeros(700)",
    "a = zeros(500)\nb = a + 1\nc = a * b",
]


@pytest.mark.parametrize("source", _PROGRAMS)
def test_total_elements_decide_as_the_exact_count(source, monkeypatch):
    """The bound only skips walks: the same programs, walking the session on every check
    (the bound made useless), print and refuse the same."""
    limits.configure({"max_total_elements": 1_000})
    fast = run_program(source)
    monkeypatch.setattr(limits, "held_by_tensors", lambda: 10 ** 18)
    exact = run_program(source)
    assert (fast[0], fast[1] and fast[1].message) == (exact[0], exact[1] and exact[1].message)


def test_many_names_do_not_walk_the_session_each_statement(monkeypatch):
    walks = []
    real = limits.elements_held
    monkeypatch.setattr(limits, "elements_held", lambda values: walks.append(1) or real(values))
    source = "\n".join(f"v{i} = ones(3) * {i}" for i in range(300))
    assert run_program(source)[1] is None
    assert len(walks) == 0


# ---- operator chains are not nesting ------------------------------------------------------

def test_a_flat_sum_of_100000_terms():
    n = 100_000
    printed, error = run_program("s = " + " + ".join(str(i) for i in range(n)) + "\ns")
    assert (printed, error) == (f"{n * (n - 1) // 2}\n", None)


@pytest.mark.parametrize("source, expected", [
    (" * ".join(["1.0001"] * 5000), repr(functools.reduce(operator.mul, [1.0001] * 5000))),  # from the left
    ("1" + " - 1" * 5000, "-4999"),
    ("(ones(2)" + " + ones(2) * 2" * 5000 + ") @ ones(2)", "tensor(20002.)"),
    ("x = 3\n" + "x" + " + x" * 5000 + " - 2 * (" + " + ".join(["x"] * 5001) + ")", "-15003"),
])
def test_long_chains_of_operators(source, expected):
    printed, error = run_program(source)
    assert error is None, error
    assert printed.splitlines()[-1] == expected


def test_real_nesting_still_counts():
    error = refusal("1 + (" * 300 + "1" + ")" * 300)
    assert "max_depth" in error.message
    error = refusal("2 ** " * 300 + "1")  # right-associative: each ** nests
    assert "max_depth" in error.message


def test_nesting_beyond_python_names_the_statement():
    limits.configure({"max_depth": 10 ** 6})
    error = refusal("y = 1\nx = " + "(" * 30000 + "1" + ")" * 30000 + "\nz = 2")
    assert "max_depth" in error.message and error.span.line == 2


def test_a_value_too_deeply_nested_to_show_is_refused_at_its_statement(capsys):
    from tcalc import cli

    program = "x = []\nfor i in range(100000):\n    x = [x]\nx\nlen(x)"
    assert cli.main(["-e", program]) == 1
    err = capsys.readouterr().err
    assert err.startswith("<-e>:4:1: limit exceeded: the value is nested too deeply to show"), err
    assert "Traceback" not in err and "internal error" not in err


def test_recursion_deeper_than_python_follows_says_so_not_raise_a_limit(capsys):
    """With --max-recursion raised past what Python's stack takes, the refusal says how deep
    the calls went and does not send the user to raise a limit that cannot help."""
    from tcalc import cli

    program = "def f(n):\n    return 0 if n == 0 else 1 + f(n - 1)\nf(50000)"
    assert cli.main(["--max-recursion", "100000", "-e", program]) == 1
    err = capsys.readouterr().err
    assert err.startswith("<-e>:3:1: limit exceeded: the calls went "), err
    assert "write it as a loop" in err and "--max-depth" not in err and "Traceback" not in err


# ---- every container, built at once or grown a step at a time ---------------------------

_GROWN = [
    # built whole: refused before it is made, when its size is known
    ("list(range(10**9))", "a list of 1,000,000,000 items"),
    ("tuple(range(10**9))", "a tuple of 1,000,000,000 items"),
    ("set(range(10**9))", "a set of 1,000,000,000 items"),
    ("[i for i in range(10**9)]", "a list of 1,000,000,000 items"),
    ("[0] * 10**9", "a list of 1,000,000,000 items"),
    ("'ab' * 10**9", "a string of 2,000,000,000 characters"),
    ("list('a' * 900) + list('b' * 200)", "a list of 1,100 items"),
    ("'ab'.center(10**10)", "a string of 10,000,000,000 characters"),
    ("'7'.zfill(10**10)", "a string of 10,000,000,000 characters"),
    ("f'{1:>10000000000}'", "a string of 10,000,000,000 characters"),
    ("'{:.10000000000f}'.format(1.0)", "a string of 10,000,000,000 characters"),
    ("format(1, '10000000000')", "a string of 10,000,000,000 characters"),
    ("'%10000000000d' % 1", "a string of 10,000,000,000 characters"),
    ("'%*d' % (10**10, 1)", "a string of 10,000,000,000 characters"),
    ("','.join(['ab'] * 900)", "a string of 2,699 characters"),
    ("('a' * 600).replace('a', 'bb')", "a string of 1,200 characters"),
    ("x = 'a' * 600\nf'{x}{x}'", "a string of 1,200 characters"),
    ("a = [0] * 600\n[*a, *a]", "a list of 1,200 items"),
    # grown: refused at the step that would pass the limit
    ("s = {i for i in range(10**8)}", "a set of 1,001 items"),
    ("d = {i: i for i in range(10**8)}", "a dict of 1,001 items"),
    ("l = []\nfor i in range(5000):\n    l.append(i)", "a list of 1,001 items"),
    ("l = []\nwhile True:\n    l.append(1)", "a list of 1,001 items"),
    ("l = []\nwhile True:\n    l.insert(0, 1)", "a list of 1,001 items"),
    ("d = {}\nfor i in range(10**8):\n    d[i] = i", "a dict of 1,001 items"),
    ("d = {}\nwhile True:\n    d.setdefault(len(d))", "a dict of 1,001 items"),
    ("l = [0] * 600\nl.extend(range(600))", "a list of 1,200 items"),
    ("l = [0] * 600\nl += l", "a list of 1,200 items"),
    ("l = [0] * 900\nl[:1] = range(200)", "a list of 1,099 items"),
    ("d = {}\nd.update(zip(range(10**8), range(10**8)))", "a dict of 1,001 items"),
    ("dict(zip(range(10**8), range(10**8)))", "a list of 1,001 items"),
    ("d = {i: i for i in range(600)}\ne = {i: i for i in range(600, 1200)}\nd.update(e)",
     "a dict of 1,200 items"),
    ("d = {i: i for i in range(600)}\ne = {i: i for i in range(600, 1200)}\n{**d, **e}",
     "a dict of 1,200 items"),
    ("s = {i for i in range(600)}\ns | {i for i in range(600, 1200)}", "a set of 1,200 items"),
    ("sum([[0] * 600, [0] * 600], [])", "a list of 1,200 items"),
]


@pytest.mark.parametrize("source, said", _GROWN)
def test_every_container_is_within_the_item_limit(source, said):
    limits.configure({"max_list_items": 1000})
    error = refusal(source)
    assert error.message.startswith(said + " is too long") and "(limit max_list_items = 1,000)" in error.message
    assert error.span is not None and error.span.line == source.count("\n") + 1  # the last line's statement
    assert "--max-list-items" in error.hint and "TCALC_MAX_LIST_ITEMS" in error.hint


def test_a_refused_growth_names_its_statement():
    limits.configure({"max_list_items": 1000})
    error = refusal("x = 1\nl = []\nfor i in range(5000):\n    l.append(i)\ny = 2")
    assert (error.span.line, error.span.column) == (4, 6)  # the call, under `.append(i)`


@pytest.mark.parametrize("source, expected", [
    ("[0 for i in range(1000)] == [0] * 1000", "True"),
    ("len([i for i in range(5000) if i < 1000])", "1000"),  # only what it keeps counts
    ("len({i % 7 for i in range(5000)})", "7"),
    ("len({i % 7: i for i in range(5000)})", "7"),
    ("d = {i: i for i in range(1000)}\nd[5] = 0\nd.setdefault(3)\nd.update({1: 2})\nlen(d)", "1000"),
    ("d = {i: i for i in range(1000)}\nlen({**d, **d})", "1000"),
    ("l = [0] * 1000\nl[:10] = range(10)\nlen(l)", "1000"),
    ("l = [0] * 999\nl.append(1)\nlen(l)", "1000"),
    ("len(','.join(['a'] * 500))", "999"),
    ("'ab'.center(6, '*') + '7'.zfill(3) + format(1, '>4') + '%5d|%-3s|%%' % (1, 'a')", "'**ab**007   1    1|a  |%'"),
    ("'%*d' % (4, 2)", "'   2'"),
    ("d = {}\nd.update([(1, 2), (3, 4)], x=5)\nd", "{1: 2, 3: 4, 'x': 5}"),
])
def test_at_the_limit_still_allowed(source, expected):
    limits.configure({"max_list_items": 1000})
    printed, error = run_program(source)
    assert error is None, error.message
    assert printed.splitlines()[-1] == expected


def test_a_session_keeps_its_names_after_a_refused_growth():
    from tcalc.evaluator import Session

    limits.configure({"max_list_items": 1000})
    session = Session()
    assert run_program("x = 42\nl = [1, 2]\nd = {'a': 1}", session)[1] is None
    for source in ("l = []\nwhile True:\n    l.append(0)", "d = {i: i for i in range(10**8)}",
                   "s = {i for i in range(10**8)}", "x = 'ab' * 10**9", "x = ','.join(['ab'] * 900)"):
        error = run_program(source, session)[1]
        assert error is not None and "max_list_items" in error.message, source
    printed, error = run_program("x, d, len(l), l[:3]", session)
    assert error is None and printed == "(42, {'a': 1}, 1000, [0, 0, 0])\n"
    # A statement refused midway leaves its list as it was.
    error = run_program("l2 = [1, 2]\nl2.extend(range(5000))", session)[1]
    assert error is not None
    assert run_program("l2", session)[0] == "[1, 2]\n"
    error = run_program("d2 = {1: 1}\nd2.update(zip(range(5000), range(5000))), 1", session)[1]
    assert error is not None
    assert run_program("d2", session)[0] == "{1: 1}\n"


def test_a_loop_writing_into_a_dict_copies_nothing(monkeypatch):
    """`d[k] = v` and `xs += ys` as the last thing a statement does fail before they write,
    so they need no copy for undoing: a loop of them is linear, not quadratic."""
    from tcalc.journal import Journal

    copies = []
    real = Journal.container
    monkeypatch.setattr(Journal, "container", lambda self, items: copies.append(1) or real(self, items))
    source = "d = {}\nxs = []\nfor i in range(300):\n    d[i] = i\n    xs += [i]\n    xs[i] = -i\nlen(d) + len(xs)"
    assert run_program(source) == ("600\n", None)
    assert copies == []


def test_a_failed_line_undoes_its_writes_into_lists_and_dicts():
    from tcalc.errors import TcalcError
    from tcalc.evaluator import Session

    session = Session()
    assert run_program("d = {1: 1}\nxs = [1]", session)[1] is None
    with pytest.raises(TcalcError):
        list(session.run("d[2] = 2\nxs += [2]\nxs[0] = 0\n1 / 0", atomic=True))  # a shell line
    assert run_program("d, xs", session)[0] == "({1: 1}, [1])\n"


@pytest.mark.parametrize("source", [
    "x = [[[0] * 100] * 100] * 100\ns = str(x)",  # 30,000 references to one list: 3 million characters
    "x = [[[0] * 100] * 100] * 100\nprint(x)",
    "x = {'a': [[[0] * 100] * 100] * 100}\ny = f'{x}'",
])
def test_the_text_of_a_container_is_within_the_limit(source):
    limits.configure({"max_list_items": 100_000})
    error = refusal(source)
    assert error.message.startswith("the text of this container is longer than 100,000 characters")
    assert error.span.line == 2 and "--max-list-items" in error.hint


def test_the_text_of_a_container_within_the_limit():
    limits.configure({"max_list_items": 100_000})
    printed, error = run_program("x = [[0] * 100] * 100\nlen(str(x))")
    assert (printed, error) == ("30200\n", None)


def test_showing_a_container_with_a_huge_text_is_refused_at_its_statement_at_once(capsys):
    """`c` as a statement: IPython's layout of its billion items would write for hours. The
    refusal comes from a walk that stops at the limit, at the statement, the session kept."""
    source = "a = [0] * 1000\nb = [a] * 1000\nc = [b] * 1000\nc\n"
    done = tcalc_command("-", stdin=source, timeout=30)
    assert done.returncode == 1 and "<stdin>:4:1: limit exceeded: the text of this value is longer than " \
        "10,000,000 characters (limit max_list_items = 10,000,000)" in done.stderr, done.stderr
    from tcalc.output import Output
    from tcalc.repl import Shell

    shell = Shell(Output(False))
    assert shell.run(source) == "error" and len(shell.session.globals["c"]) == 1000
    assert "4 | c" in capsys.readouterr().err


@settings(max_examples=200, deadline=None)
@given(st.recursive(st.sampled_from([0, 1.5, "ab", None, True]),
                    lambda inner: st.one_of(st.lists(inner, max_size=6), st.tuples(inner, inner),
                                            st.dictionaries(st.sampled_from(["k", "key"]), inner, max_size=2),
                                            st.sets(st.sampled_from([1, 2, 3]))),
                    max_leaves=12),
       st.integers(1, 1500))
def test_the_quick_refusal_of_a_long_text_never_refuses_what_fits(value, copies):
    """The walk before the layout refuses only what the layout itself would: with the limit
    at what the layout writes for the value it is shown, one below it refused. (In a list,
    up to 1,500 times, past IPython's 1,000 items: a leaf of one line is not laid out.)"""
    from tcalc import printing

    value = [value] * copies

    layout = printing._Layout()
    layout.limit = 10 ** 12
    printing._emit(layout, value, repr, frozenset())
    layout.flush()
    limits.configure({"max_list_items": layout.written})
    assert printing.pretty(value, repr) == "".join(layout.out)
    limits.configure({"max_list_items": layout.written - 1})
    with pytest.raises(LimitError):
        printing.pretty(value, repr)


def test_a_container_the_machine_has_no_memory_left_for_is_refused(monkeypatch):
    """Each list is within its limit, but together they would fill the machine: a list of
    many items is refused when it would leave less than a tenth of the memory free, 1 GiB
    at least (here the machine is said to have half a GiB free)."""
    monkeypatch.setattr(limits, "free_memory", lambda: 1 << 29)
    session = Session()
    printed, error = run_program("ys = [1, 2]\nxs = [[0] * 10**6 for i in range(3)]", session)
    assert error is not None and error.message.startswith("out of memory: a list of 1,000,000 items would leave "
                                                          "this machine")
    assert error.span.line == 2 and "zeros(n)" in error.hint
    assert "xs" not in session.globals and session.globals["ys"] == [1, 2]
    printed, error = run_program("s = 'ab' * 10**6")
    assert error is not None and error.message.startswith("out of memory: a string of 2,000,000 characters")
    # Small containers are not checked; where the free memory is unknown, nothing is refused.
    assert run_program("xs = [0] * 60000\nlen(xs)") == ("60000\n", None)
    monkeypatch.setattr(limits, "free_memory", lambda: None)
    assert run_program("xs = [0] * 10**6\nlen(xs)") == ("1000000\n", None)


def test_the_free_memory_is_read_from_the_machine():
    free = limits.free_memory()
    assert free is None or 0 < free
