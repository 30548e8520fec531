"""The command line: arguments, exit codes, scripts and pipes. What it prints goes through
tcalc.output, which it shares with the shell.

    tcalc                  the interactive shell (on a terminal)
    tcalc -e PROGRAM       run program text
    tcalc FILE.tc ...      run scripts in order, sharing one session
    tcalc - (or a pipe)    read the program from standard input
    tcalc --check FILE...  check transcripts (tcalc.transcripts)
"""
from __future__ import annotations

import os
import sys

USAGE = """usage: tcalc [options] [-e PROGRAM | FILE.tc ... | -]

A tensor calculator that answers exactly as PyTorch would.

  tcalc                 start the interactive shell
  tcalc -e PROGRAM      run PROGRAM and print what its statements print
  tcalc FILE.tc ...     run script files in order, sharing one session
  tcalc -               read the program from standard input (also: a pipe)
  tcalc --check FILE... check the `>>> ` examples of transcripts (Markdown included)
                        against the output they show; exit 1 on any mismatch

options:
  -e, --eval PROGRAM    program text to run (may be given more than once)
  --no-color            never colour the output (also: NO_COLOR=1)
  --update              with --check: rewrite the expected outputs that differ, in place
  --limits              show the limits in effect, their flags and variables, and exit
  --max-elements N      elements in one tensor (also: TCALC_MAX_ELEMENTS=N)
  --max-total-elements N, --max-list-items N, --max-int-digits N, --max-depth N,
  --max-recursion N, --max-input N
                        the other limits (see --limits); N may be 1000000, 1_000_000, 1M, 1e6
  -h, --help            show this help
  --version             print the version

A statement that fails changes nothing; a script stops at its first error.
Exit status: 0 success, 1 an error in the program, 2 a usage error.
"""

EXIT_OK, EXIT_PROGRAM_ERROR, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    pass


def _limit_flags() -> dict[str, str]:
    from .limits import TABLE

    return {limit.flag: limit.name for limit in TABLE}


def _count(text: str, source: str) -> int:
    from .limits import parse_count

    try:
        return parse_count(text)
    except ValueError as err:
        raise UsageError(f"{source}: {err}") from None


def limits_from_environment(environ) -> dict[str, int]:
    from .limits import TABLE

    return {limit.name: _count(environ[limit.env], limit.env)
            for limit in TABLE if environ.get(limit.env, "").strip()}


def parse_args(argv: list[str]) -> dict:
    options = {"programs": [], "files": [], "color": None, "help": False, "version": False,
               "limits": {}, "show_limits": False, "check": False, "update": False}
    flags = _limit_flags()
    args = iter(argv)
    for arg in args:
        flag, eq, inline = arg.partition("=")
        if flag in flags:
            value = inline if eq else next(args, None)
            if value is None:
                raise UsageError(f"{flag} needs a number, e.g. {flag} 1000000")
            options["limits"][flags[flag]] = _count(value, flag)
            continue
        if arg in ("-e", "--eval"):
            program = next(args, None)
            if program is None:
                raise UsageError(f"{arg} needs a program, e.g. tcalc -e \"arange(4)\"")
            options["programs"].append(program)
        elif arg.startswith("--eval="):
            options["programs"].append(arg.split("=", 1)[1])
        elif arg == "--limits":
            options["show_limits"] = True
        elif arg in ("--check", "--update"):
            options[arg[2:]] = True
        elif arg == "--no-color":
            options["color"] = False
        elif arg in ("-h", "--help"):
            options["help"] = True
        elif arg == "--version":
            options["version"] = True
        elif arg == "--":
            options["files"].extend(args)
        elif arg.startswith("-") and arg != "-":
            raise UsageError(f"unknown option {arg!r}")
        else:
            options["files"].append(arg)
    if options["programs"] and options["files"]:
        raise UsageError("give either -e PROGRAM or script files, not both")
    if options["update"] and not options["check"]:
        raise UsageError("--update goes with --check: tcalc --check --update FILE...")
    if options["check"] and (options["programs"] or not options["files"] or "-" in options["files"]):
        raise UsageError("--check needs transcript files, e.g. tcalc --check README.md")
    return options


def _read_script(path: str) -> str:
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as err:
        raise UsageError(f"cannot read {path}: {err.strerror}") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise UsageError(f"{path} is not UTF-8 text (byte {err.start})") from None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    # NumPy's RuntimeWarnings (mean of an empty tensor, log of -1) are not PyTorch's: the
    # value (nan, inf) is the answer, as in PyTorch, and nothing else reaches the terminal.
    import warnings

    warnings.simplefilter("ignore")
    try:
        options = parse_args(argv)
        if options["help"]:
            sys.stdout.write(USAGE)
            return EXIT_OK
        if options["version"]:
            from . import __version__

            sys.stdout.write(f"tcalc {__version__}\n")
            return EXIT_OK
        from . import limits

        limits.configure({**limits_from_environment(os.environ), **options["limits"]})
        if options["show_limits"]:
            sys.stdout.write(limits.describe())
            return EXIT_OK
        from .output import Output, run_source

        output = Output(options["color"])
        if options["check"]:
            transcripts = [(path, _read_script(path)) for path in options["files"]]
        if not options["programs"] and not options["files"]:
            if sys.stdin.isatty():
                from .repl import run_shell

                return run_shell(output)
            options["files"] = ["-"]
        jobs = [(p, "<-e>") for p in options["programs"]]
        for path in options["files"]:
            source = sys.stdin.read() if path == "-" else _read_script(path)
            jobs.append((source, "<stdin>" if path == "-" else path))
    except UsageError as err:
        sys.stderr.write(f"tcalc: {err}\n(run 'tcalc --help' for usage)\n")
        return EXIT_USAGE

    if options["check"]:
        return _check(transcripts, output.color, options["update"])

    from .evaluator import Session

    session = Session()
    try:
        for source, filename in jobs:
            if not run_source(session, source, filename, output):
                return EXIT_PROGRAM_ERROR
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130
    except BrokenPipeError:
        # The reader went away (`tcalc script.tc | head`): stop quietly, like other tools.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    return EXIT_OK


def _check(transcripts: list[tuple[str, str]], color: bool, update: bool) -> int:
    """Runs each transcript in a session of its own; reports each mismatch as file:line and
    a diff, then how many examples there were and how many failed."""
    from . import transcripts as checked

    total = failed = 0
    for path, text in transcripts:
        try:
            results = checked.run(text)
        except KeyboardInterrupt:
            sys.stderr.write("interrupted\n")
            return 130
        total += len(results)
        wrong = [r for r in results if not r.passed]
        failed += len(wrong)
        for result in wrong:
            first = result.example.source.split("\n", 1)[0]
            prompt = "$ " if result.example.programs is not None else ">>> "
            sys.stdout.write(_styled(f"{path}:{result.example.line}: {prompt}{first}", "1", color) + "\n")
            for line in result.diff(path):
                style = {"-": "31", "+": "32", "@": "36"}.get(line[:1]) if not line.startswith(("---", "+++")) else "1"
                sys.stdout.write(_styled(line, style, color) + "\n")
            sys.stdout.write("\n")
        if update and wrong:
            try:
                with open(path, "w", encoding="utf-8") as f:
                    f.write(checked.updated(text, results))
            except OSError as err:
                sys.stderr.write(f"tcalc: cannot write {path}: {err.strerror}\n")
                return EXIT_PROGRAM_ERROR
            sys.stdout.write(f"{path}: updated {len(wrong)} expected output{'s' * (len(wrong) != 1)}\n")
    summary = f"{total} example{'s' * (total != 1)}, {failed} failed"
    sys.stdout.write(_styled(summary, "32" if not failed else "31", color) + "\n")
    return EXIT_OK if not failed or update else EXIT_PROGRAM_ERROR


def _styled(text: str, style: str | None, color: bool) -> str:
    return f"\x1b[{style}m{text}\x1b[0m" if color and style else text
