"""`tcalc --check`: transcripts (Markdown included) run in a session each and compared with
the output they show, as a user runs them."""
from __future__ import annotations

from pathlib import Path

import pytest
from conftest import tcalc_command

from tcalc import transcripts

DATA = Path(__file__).parent / "data" / "transcripts"
REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
# README.md and every Markdown file under docs/ are transcripts the suite checks.
DOCUMENTS = [README, *sorted((REPO / "docs").rglob("*.md"))]


def test_true_transcript_passes():
    result = tcalc_command("--check", str(DATA / "tour.md"))
    assert (result.returncode, result.stdout, result.stderr) == (0, "7 examples, 0 failed\n", "")


@pytest.mark.parametrize("document", DOCUMENTS, ids=[str(d.relative_to(REPO)) for d in DOCUMENTS])
def test_documents_are_checked_transcripts(document):
    result = tcalc_command("--check", str(document))
    assert result.returncode == 0, result.stdout
    assert result.stdout.endswith(" failed\n") and ", 0 failed" in result.stdout


def test_wrong_output_fails_at_its_line_with_a_diff(tmp_path: Path):
    wrong = tmp_path / "wrong.md"
    wrong.write_text((DATA / "tour.md").read_text().replace("tensor([0., 2., 4.])", "tensor([0., 2., 5.])"))
    result = tcalc_command("--check", str(wrong))
    assert result.returncode == 1
    assert result.stdout.startswith(f"{wrong}:7: >>> x * 2\n")
    assert "-tensor([0., 2., 5.])\n+tensor([0., 2., 4.])\n" in result.stdout
    assert result.stdout.endswith("7 examples, 1 failed\n")
    assert "\x1b[" not in result.stdout  # piped: no escape codes


def test_each_file_is_a_fresh_session(tmp_path: Path):
    first, second = tmp_path / "a.md", tmp_path / "b.md"
    first.write_text(">>> a = 1\n>>> a\n1\n")
    second.write_text(">>> a\n1\n")
    result = tcalc_command("--check", str(first), str(second))
    assert result.returncode == 1
    assert f"{second}:1: >>> a\n" in result.stdout and "name 'a' is not defined" in result.stdout
    assert result.stdout.endswith("3 examples, 1 failed\n")


def test_update_rewrites_only_the_expected_outputs(tmp_path: Path):
    original = (DATA / "tour.md").read_text()
    path = tmp_path / "t.md"
    path.write_text(original.replace("tensor([0., 2., 4.])", "tensor([7.])").replace(
        "        [[0., 0.]]])", "        [[1., 0.]]])"))
    result = tcalc_command("--check", "--update", str(path))
    assert result.returncode == 0 and "updated 2 expected outputs" in result.stdout
    assert path.read_text() == original


def test_outputs_end_at_blank_lines_and_prompts_outside_fences():
    found = transcripts.examples("text\n>>> 1 + 1\n2\n\nprose\n>>> x = 1\n>>> x\n1\n$ ls\nfile\n")
    assert [(e.line, e.source, e.expected) for e in found] == [
        (2, "1 + 1", "2"), (6, "x = 1", ""), (7, "x", "1")]


def test_blankline_marker_and_indented_examples():
    found = transcripts.examples("    >>> print('a\\n\\nb')\n    a\n    <BLANKLINE>\n    b\n")
    assert found[0].expected == "a\n\nb"
    assert transcripts.run("    >>> print('a\\n\\nb')\n    a\n    <BLANKLINE>\n    b\n")[0].passed


def test_usage_errors():
    assert tcalc_command("--check").returncode == 2
    assert tcalc_command("--update", "x.md").returncode == 2
    missing = tcalc_command("--check", "no-such-file.md")
    assert missing.returncode == 2 and "cannot read no-such-file.md" in missing.stderr


def test_a_command_line_run_is_an_example_of_its_own(tmp_path: Path):
    path = tmp_path / "c.md"
    path.write_text('>>> x = 1\n\n$ tcalc -e "x"\n1\n\n$ tcalc -e "print(\'a b\')\n2 + 2"\na b\n4\n')
    found = transcripts.examples(path.read_text())
    assert [e.programs for e in found] == [None, ["x"], ["print('a b')\n2 + 2"]]
    result = tcalc_command("--check", str(path))
    assert result.returncode == 1 and result.stdout.startswith(f'{path}:3: $ tcalc -e "x"\n')
    assert "name 'x' is not defined" in result.stdout and result.stdout.endswith("3 examples, 1 failed\n")


def test_windows_line_ends():
    assert all(r.passed for r in transcripts.run(">>> x = 1\r\n>>> x + 1\r\n2\r\n"))
