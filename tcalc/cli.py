"""The command line: arguments, exit codes, scripts and pipes. What it prints goes through
tcalc.output, which it shares with the shell.

    tcalc                  the interactive shell (on a terminal)
    tcalc -e PROGRAM       run program text
    tcalc FILE.tc ...      run scripts in order, sharing one session
    tcalc - (or a pipe)    read the program from standard input
    tcalc -i FILE.tc       run the script, then the shell with its variables
    tcalc --check FILE...  check transcripts (tcalc.transcripts)
"""
from __future__ import annotations

import gc
import os
import sys
from contextlib import contextmanager

USAGE = """usage: tcalc [options] [-e PROGRAM | FILE.tc ... | -]

A tensor calculator that answers exactly as PyTorch would.

  tcalc                 start the interactive shell
  tcalc -e PROGRAM      run PROGRAM and print what its statements print
  tcalc FILE.tc ...     run script files in order, sharing one session
  tcalc -               read the program from standard input (also: a pipe)
  tcalc -i FILE.tc      run the script, then stay in the shell with its variables
  tcalc --check FILE... check the `>>> ` examples of transcripts (Markdown included)
                        against the output they show; exit 1 on any mismatch

options:
  -e, --eval PROGRAM    program text to run (may be given more than once)
  -i, --interactive     after the programs and scripts, open the shell (on a terminal)
  -q, --quiet           start the shell without its banner
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
               "limits": {}, "show_limits": False, "interactive": False, "quiet": False,
               "check": False, "update": False}
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
        elif arg in ("-i", "--interactive"):
            options["interactive"] = True
        elif arg in ("-q", "--quiet"):
            options["quiet"] = True
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


class InputTooLong(Exception):
    """A program longer than --max-input, found while reading it (never read whole first)."""


def _read_bounded(stream, limit: int) -> bytes:
    """At most `limit` bytes and one more, read in chunks, so that `tcalc /dev/zero` or
    `yes | tcalc` are refused after reading just past the limit, never read to the end."""
    chunks, size = [], 0
    while size <= limit:
        chunk = stream.read(min(1 << 20, limit + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if size > limit:
        raise InputTooLong
    return b"".join(chunks)


def _decode(raw: bytes, name: str) -> str:
    try:
        return raw.decode("utf-8-sig")  # a byte-order mark at the start is not program text
    except UnicodeDecodeError as err:
        raise UsageError(f"{name} is not UTF-8 text (byte {err.start})") from None


def _read_script(path: str, limit: int) -> str:
    try:
        with open(path, "rb") as f:
            return _decode(_read_bounded(f, limit * 4), path)  # a character takes up to 4 bytes
    except OSError as err:
        raise UsageError(f"cannot read {path}: {err.strerror}") from None


def _read_stdin(limit: int) -> str:
    if sys.stdin is None:
        raise UsageError("no program: standard input is closed")
    return _decode(_read_bounded(sys.stdin.buffer, limit * 4), "standard input")


def _standard_streams() -> None:
    """Output the terminal's encoding cannot show (PYTHONIOENCODING=ascii) is escaped, not a
    crash; a closed standard output is a sink, as Unix tools treat it."""
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))
        elif (stream.encoding or "").lower().replace("-", "") not in ("utf8", "utf8sig"):
            try:
                stream.reconfigure(errors="backslashreplace")
            except (AttributeError, ValueError):
                pass


EXIT_TERMINATED = 128 + 15  # the status of a process that SIGTERM killed, as shells report it


_terminated = False  # set by SIGTERM: the exit is a terminated one, whatever caught the exception


def _terminate(signum, frame) -> None:
    global _terminated
    from .errors import Terminated

    if _terminated:  # stopping already: a second one waits for the first to finish
        return
    _terminated = True
    raise Terminated


def main(argv: list[str] | None = None) -> int:
    """tcalc's command line; SIGTERM (`kill`, a service manager, a container stopping) ends it
    cleanly: the statement running is undone, a file being saved is left as it was, no
    temporary file stays behind, and the exit status is a terminated process's."""
    global _terminated
    # The signal module's own C part: `import signal` builds its enums of every signal
    # name, 3M instructions (by callgrind) of a one-line run's start-up, and tcalc only
    # sets and restores one handler.
    import _signal as signal

    from .errors import Terminated

    _terminated = False
    try:
        previous = signal.signal(signal.SIGTERM, _terminate)
    except ValueError:  # not the main thread (tcalc called from a program's thread): no handler
        return _main(argv)
    try:
        status = _main(argv)
        if _terminated:
            raise Terminated  # (a library caught it and raised an error of its own)
    except Terminated:
        status = _stopped()
    except BaseException:
        signal.signal(signal.SIGTERM, previous)
        raise
    # Putting the handler back runs a SIGTERM that is pending (signal.signal checks for one),
    # still ours: one that came as the run ended is a terminated exit too, not a traceback.
    while True:
        try:
            signal.signal(signal.SIGTERM, previous)
            return status
        except Terminated:
            status = _stopped()


def _stopped() -> int:
    """After a SIGTERM: no temporary file stays behind, and the exit says so."""
    from . import files

    files.remove_temporaries()
    try:
        sys.stderr.write("terminated\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
    return EXIT_TERMINATED


@contextmanager
def _collector_paused():
    """tcalc's own imports with Python's cyclic garbage collector paused, then frozen: they
    make tens of thousands of objects that live as long as the process and no garbage, and
    each collection they set off walked all of them and NumPy's (callgrind: 15M
    instructions of a one-line run's 100M after NumPy's import). Frozen, the collections of
    a long script do not walk them either, nor the one at exit (20M more). Paused without
    the freeze, the collections after it walk them all the same. Only where they are
    imported: a second main() in one process (tests) imports nothing, and a freeze there
    would keep its garbage."""
    if not gc.isenabled() or "tcalc.evaluator" in sys.modules:
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


def _main(argv: list[str] | None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    # NumPy's RuntimeWarnings (mean of an empty tensor, log of -1) are not PyTorch's: the
    # value (nan, inf) is the answer, as in PyTorch, and nothing else reaches the terminal.
    import warnings

    warnings.simplefilter("ignore")
    _standard_streams()
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
        with _collector_paused():
            from .evaluator import Session  # (the shell and --check use it too)
            from .output import Output, run_source

        output = Output(options["color"])
        if options["check"]:
            try:
                transcripts = [(path, _read_script(path, limits.LIMITS.max_input)) for path in options["files"]]
            except InputTooLong:
                raise UsageError("a transcript is longer than --max-input characters") from None
            return _check(transcripts, output.color, options["update"])
        shell = options["interactive"] or not options["programs"] and not options["files"]
        if shell and (sys.stdin is None or not sys.stdin.isatty()):
            if options["interactive"]:
                raise UsageError("-i opens the shell after the scripts: it needs a terminal")
            options["files"] = ["-"]
            shell = False
        if shell and "-" in options["files"]:
            raise UsageError("-i reads the shell's input from the terminal: give script files, not -")
        jobs = [(p, "<-e>") for p in options["programs"]]
        limit = limits.LIMITS.max_input
        for path in options["files"]:
            name = "<stdin>" if path == "-" else path
            try:
                source = _read_stdin(limit) if path == "-" else _read_script(path, limit)
            except InputTooLong:
                error = limits.refuse("max_input", f"{name} is longer than {limit:,} characters")
                output.error(f"{name}: {error.kind}: {error.message}\n  hint: {error.hint}")
                return EXIT_PROGRAM_ERROR
            jobs.append((source, name))
        if shell:
            from .repl import run_shell

            return run_shell(output, jobs, banner=not options["quiet"])
    except UsageError as err:
        sys.stderr.write(f"tcalc: {err}\n(run 'tcalc --help' for usage)\n")
        return EXIT_USAGE
    except KeyboardInterrupt:  # Ctrl-C while the program is read from a pipe or a terminal
        sys.stderr.write("interrupted\n")
        return 130

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
        _silence_stdout()
        return EXIT_OK
    except OSError as err:  # the output cannot be written: a full disk, a closed descriptor
        _silence_stdout()
        sys.stderr.write(f"tcalc: cannot write the output: {err.strerror or err}\n")
        return EXIT_PROGRAM_ERROR
    return EXIT_OK


def _silence_stdout() -> None:
    """Nothing more goes to stdout, not even what Python flushes at exit."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass
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
