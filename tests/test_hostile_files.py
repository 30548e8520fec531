"""Files as a hostile user hands them over (issue 16, "Files"): save writes regular files
only, through symlinks to their targets, keeping their mode, never replacing a device, a
FIFO, a socket or a directory; load reads regular files only, never blocking, every read
bounded before it happens; a zip's compressed records are read as PyTorch reads them or
refused as PyTorch refuses them; temporary files never outlive the process.

Everything happens in a temporary folder: device nodes are made there (with mknod, as root)
rather than the system's /dev being written to. The only system files used are read:
`load('/dev/zero')`, in a subprocess with a time and memory bound.
"""
from __future__ import annotations

import io
import os
import signal
import socket
import stat
import struct
import subprocess
import sys
import time
import zipfile
import zlib

import pytest
from conftest import run_program, tcalc_command

import tcalc
from tcalc import files, limits
from tcalc.evaluator import Session
from tcalc.render import value_text

PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(tcalc.__file__)))
FORMATS = ["x.pt", "x.npy", "x.npz", "x.csv"]


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def value_of(source: str) -> str:
    return value_text(list(Session().run(source))[-1])


def refusal(source: str):
    printed, error = run_program(source)
    assert error is not None, printed
    assert error.kind == "file error", (error.kind, error.message)
    return error


def leftovers(folder) -> list[str]:
    return sorted(name for name in os.listdir(folder) if ".tcalc-" in name)


# ---- save: regular files only -------------------------------------------------------------

@pytest.mark.parametrize("name", FORMATS)
def test_save_through_a_symlink_writes_its_target_and_keeps_the_link(name, in_tmp):
    (in_tmp / "real").mkdir()
    target = in_tmp / "real" / name
    target.write_bytes(b"old")
    os.symlink(target, name)
    list(Session().run(f"save(arange(3.0), '{name}')"))
    assert os.path.islink(name) and os.readlink(name) == str(target)
    assert target.read_bytes() != b"old"
    shown = value_of(f"load('{target}')")
    assert "0., 1., 2." in shown
    assert leftovers(in_tmp) == [] and leftovers(in_tmp / "real") == []


def test_save_through_a_dangling_symlink_creates_its_target(in_tmp):
    os.symlink("made.pt", "link.pt")
    list(Session().run("save(ones(2), 'link.pt')"))
    assert os.path.islink("link.pt") and (in_tmp / "made.pt").is_file()
    assert value_of("load('made.pt')") == "tensor([1., 1.])"


def test_a_symlink_loop_is_the_oss_words():
    os.symlink("b.pt", "a.pt")
    os.symlink("a.pt", "b.pt")
    for source in ("save(ones(2), 'a.pt')", "load('a.pt')"):
        assert refusal(source).message == "[Errno 40] Too many levels of symbolic links: 'a.pt'"


@pytest.mark.parametrize("name", FORMATS)
@pytest.mark.parametrize("mode", [0o600, 0o640, 0o664, 0o755])
def test_save_over_a_file_keeps_its_mode(name, mode, in_tmp):
    path = in_tmp / name
    path.write_bytes(b"old")
    os.chmod(path, mode)
    list(Session().run(f"save(ones(2), '{name}')"))
    assert stat.S_IMODE(os.stat(path).st_mode) == mode
    assert path.read_bytes() != b"old"


def test_save_over_another_users_file_keeps_its_owner(in_tmp):
    if os.geteuid() != 0:
        pytest.skip("giving a file to another user needs root")
    path = in_tmp / "x.pt"
    path.write_bytes(b"old")
    os.chown(path, 65534, 65534)
    os.chmod(path, 0o664)
    list(Session().run("save(ones(2), 'x.pt')"))
    after = os.stat(path)
    assert (after.st_uid, after.st_gid, stat.S_IMODE(after.st_mode)) == (65534, 65534, 0o664)


def test_a_new_file_gets_the_mode_open_gives_it(in_tmp):
    umask = os.umask(0o027)
    try:
        list(Session().run("save(ones(2), 'new.pt'); save(ones(2), 'new.npy')"))
    finally:
        os.umask(umask)
    for name in ("new.pt", "new.npy"):
        assert stat.S_IMODE(os.stat(in_tmp / name).st_mode) == 0o640


@pytest.mark.parametrize("name", FORMATS)
def test_a_read_only_file_is_refused_and_left_untouched(name, in_tmp):
    path = in_tmp / name
    path.write_bytes(b"keep me")
    os.chmod(path, 0o444)
    before = os.stat(path)
    error = refusal(f"save(ones(2), '{name}')")
    assert error.message == f"[Errno 13] Permission denied: '{name}'"
    after = os.stat(path)
    assert path.read_bytes() == b"keep me"
    assert (after.st_ino, after.st_mode, after.st_mtime_ns) == (before.st_ino, before.st_mode, before.st_mtime_ns)
    assert leftovers(in_tmp) == []


def test_a_read_only_symlink_target_is_refused_by_the_links_name(in_tmp):
    (in_tmp / "ro.pt").write_bytes(b"keep me")
    os.chmod(in_tmp / "ro.pt", 0o400)
    os.symlink("ro.pt", "link.pt")
    assert refusal("save(ones(2), 'link.pt')").message == "[Errno 13] Permission denied: 'link.pt'"
    assert (in_tmp / "ro.pt").read_bytes() == b"keep me" and os.path.islink("link.pt")


def _fifo(path) -> None:
    os.mkfifo(path)


def _socket(path) -> None:
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.close()  # the node stays


def _null_device(path) -> None:
    """A character device like /dev/null (1, 3), made here: the real one is never a target."""
    try:
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("making a device node needs root")


NODES = {"a FIFO": _fifo, "a socket": _socket, "a character device": _null_device}


@pytest.mark.parametrize("name", FORMATS)
@pytest.mark.parametrize("kind", sorted(NODES))
def test_save_over_a_node_is_refused_by_name_and_the_node_stays(kind, name, in_tmp):
    path = in_tmp / name
    NODES[kind](path)
    before = os.lstat(path)
    error = refusal(f"save(ones(2), '{name}')")
    assert error.message == f"save: '{name}' is not a regular file ({kind})"
    after = os.lstat(path)
    assert (after.st_ino, after.st_mode, after.st_rdev) == (before.st_ino, before.st_mode, before.st_rdev)
    assert leftovers(in_tmp) == []


def test_save_through_a_symlink_to_a_device_is_refused(in_tmp):
    _null_device(in_tmp / "null")
    os.symlink(in_tmp / "null", "link.pt")
    assert refusal("save(ones(2), 'link.pt')").message == \
        "save: 'link.pt' is not a regular file (a character device)"
    assert stat.S_ISCHR(os.stat(in_tmp / "null").st_mode) and os.path.islink("link.pt")


def test_save_never_replaces_the_real_dev_null_nor_opens_it():
    """Only the check before anything is written is exercised: os.stat of /dev/null is the
    same before and after, and the save stops before creating a temporary file in /dev
    (made impossible by a write_atomically that fails if called past the check)."""
    if not os.path.exists("/dev/null") or not stat.S_ISCHR(os.stat("/dev/null").st_mode):
        pytest.skip("no /dev/null device here")
    before = os.stat("/dev/null")
    with pytest.raises(files.FileError) as err:
        files._target("/dev/null", "save")
    assert str(err.value.message) == "save: '/dev/null' is not a regular file (a character device)"
    after = os.stat("/dev/null")
    assert (after.st_ino, after.st_mode, after.st_rdev) == (before.st_ino, before.st_mode, before.st_rdev)


def test_a_node_put_in_place_while_writing_is_not_replaced(in_tmp, monkeypatch):
    """The target is checked again just before the rename: a FIFO made meanwhile stays."""
    def write(file):
        file.write(b"new")
        _fifo(in_tmp / "x.bin")

    with pytest.raises(files.FileError) as err:
        files.write_atomically("x.bin", write)
    assert "is not a regular file (a FIFO)" in err.value.message
    assert stat.S_ISFIFO(os.lstat(in_tmp / "x.bin").st_mode) and leftovers(in_tmp) == []


def test_a_plots_file_is_written_as_save_writes_files(in_tmp):
    pytest.importorskip("matplotlib")
    _fifo(in_tmp / "p.png")
    assert refusal("plot([1, 2], file='p.png')").message == "plot: 'p.png' is not a regular file (a FIFO)"
    (in_tmp / "real.svg").write_bytes(b"")
    os.chmod(in_tmp / "real.svg", 0o640)
    os.symlink("real.svg", "link.svg")
    assert run_program("plot([1, 2], file='link.svg')")[1] is None
    assert os.path.islink("link.svg") and b"<svg" in (in_tmp / "real.svg").read_bytes()[:500]
    assert stat.S_IMODE(os.stat(in_tmp / "real.svg").st_mode) == 0o640 and leftovers(in_tmp) == []


# ---- save: temporary files never outlive the process ----------------------------------------

@pytest.mark.parametrize("stop", [KeyboardInterrupt, OSError(28, "No space left on device"), MemoryError])
def test_a_save_stopped_part_way_leaves_the_old_file_and_no_temporary(stop, in_tmp, monkeypatch):
    list(Session().run("save(ones(2), 'x.pt')"))
    before = (in_tmp / "x.pt").read_bytes()

    def failing(file, data):
        assert leftovers(in_tmp), "the temporary file exists while writing"
        raise stop

    monkeypatch.setattr(files, "write_chunked", failing)
    with pytest.raises(BaseException):
        list(Session().run("save(zeros(1000), 'x.pt')"))
    assert (in_tmp / "x.pt").read_bytes() == before and leftovers(in_tmp) == []
    assert not files._temporaries


def test_a_stale_temporary_of_a_dead_process_is_written_over(in_tmp):
    stale = in_tmp / f".x.pt.tcalc-{os.getpid()}.tmp"
    stale.write_bytes(b"left by a killed process with this id")
    list(Session().run("save(ones(2), 'x.pt')"))
    assert not stale.exists() and value_of("load('x.pt')") == "tensor([1., 1.])"


def _env() -> dict:
    return dict(os.environ, NO_COLOR="1",
                PYTHONPATH=os.pathsep.join(filter(None, [PACKAGE_ROOT, os.environ.get("PYTHONPATH")])))


@pytest.mark.parametrize("name", ["big.pt", "big.npy"])
def test_sigterm_during_a_save_exits_143_and_leaves_no_temporary(name, in_tmp):
    (in_tmp / name).write_bytes(b"the old file")
    program = f"x = zeros(6 * 10**7)\nsave(x, '{name}')\nprint('saved')"
    process = subprocess.Popen([sys.executable, "-m", "tcalc", "-e", program], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=_env())
    try:
        deadline = time.monotonic() + 60
        while not leftovers(in_tmp) and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.001)
        assert leftovers(in_tmp), "the save never started writing"
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert (process.returncode, out, err) == (143, "", "terminated\n"), err
    assert leftovers(in_tmp) == [] and (in_tmp / name).read_bytes() == b"the old file"


def test_sigterm_while_computing_is_a_clean_exit(in_tmp):
    process = subprocess.Popen([sys.executable, "-m", "tcalc", "-e", "x = 1\nprint('started')\nwhile True: x = -x"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env())
    try:
        assert process.stdout.readline() == "started\n"
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert (process.returncode, err) == (143, "terminated\n")


def test_sigterm_as_the_run_ends_is_a_terminated_exit_not_a_traceback(monkeypatch, capsys):
    """A SIGTERM pending when main() puts the previous handler back: signal.signal runs it
    there (it checks for pending signals), while the handler is still tcalc's."""
    import _signal

    from tcalc import cli

    real = _signal.signal
    calls = []

    def signal_with_one_pending(signum, handler):
        calls.append(handler)
        previous = real(signum, handler)
        if len(calls) == 2:  # putting the handler back, the run done
            cli._terminate(signum, None)
        return previous

    before = signal.getsignal(signal.SIGTERM)
    monkeypatch.setattr(_signal, "signal", signal_with_one_pending)
    assert cli.main(["-e", "1 + 1"]) == 143
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("2\n", "terminated\n")
    assert signal.getsignal(signal.SIGTERM) == before  # the handler before main() is back


def test_a_second_sigterm_while_stopping_is_ignored(monkeypatch, capsys):
    from tcalc import cli, files

    def interrupted_again():
        cli._terminate(signal.SIGTERM, None)  # a second kill while the first is handled
        return []

    monkeypatch.setattr(files, "remove_temporaries", interrupted_again)
    monkeypatch.setattr(cli, "_main", lambda argv: cli._terminate(signal.SIGTERM, None))
    assert cli.main([]) == 143
    assert capsys.readouterr().err == "terminated\n"


# ---- load: regular files only, never blocking -----------------------------------------------

@pytest.mark.parametrize("name", FORMATS)
@pytest.mark.parametrize("kind", sorted(NODES))
def test_load_of_a_node_is_refused_by_name(kind, name, in_tmp):
    NODES[kind](in_tmp / name)
    assert refusal(f"load('{name}')").message == f"load: '{name}' is not a regular file ({kind})"


def _bounded_run(program: str, seconds: float = 20) -> subprocess.CompletedProcess:
    """tcalc in a subprocess with a time limit and 2 GiB of address space, so that a load
    that blocks or reads without end fails the test instead of the machine."""
    def limit_memory():
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (2 * 2 ** 30, 2 * 2 ** 30))

    return subprocess.run([sys.executable, "-m", "tcalc", "-e", program], capture_output=True, text=True,
                          env=_env(), timeout=seconds, preexec_fn=limit_memory)


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero here")
@pytest.mark.parametrize("load", ["load('/dev/zero')", "np.load('/dev/zero')", "np.loadtxt('/dev/zero')",
                                  "torch.load('/dev/zero')"])
def test_load_of_dev_zero_is_refused_at_once(load):
    started = time.monotonic()
    result = _bounded_run(f"import numpy as np\n{load}")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "'/dev/zero' is not a regular file (a character device)" in result.stderr \
        or "numpy.load: tcalc reads NumPy's .npy and .npz files" in result.stderr
    assert time.monotonic() - started < 15


@pytest.mark.parametrize("name", FORMATS)
def test_load_of_a_fifo_does_not_hang(name, in_tmp):
    """Whether a writer comes and goes or never comes, the FIFO is never opened to wait."""
    _fifo(in_tmp / name)
    result = _bounded_run(f"load('{name}')")
    assert result.returncode == 1 and f"load: '{name}' is not a regular file (a FIFO)" in result.stderr


def test_the_file_is_opened_once_and_its_descriptor_checked(in_tmp, monkeypatch):
    """A path that turns into a FIFO between the stat and the open is refused by the
    descriptor's own fstat, without blocking (O_NONBLOCK)."""
    _fifo(in_tmp / "x.pt")
    real_stat, opened = os.stat, []
    monkeypatch.setattr(os, "stat", lambda path, *a, **k: real_stat(__file__) if path == "x.pt"
                        else real_stat(path, *a, **k))
    real_open = os.open

    def counting_open(path, flags, *args):
        opened.append((path, flags))
        return real_open(path, flags, *args)

    monkeypatch.setattr(os, "open", counting_open)
    with pytest.raises(files.FileError) as err:
        files.open_for_reading("x.pt")
    assert err.value.message == "load: 'x.pt' is not a regular file (a FIFO)"
    assert len(opened) == 1 and opened[0][1] & os.O_NONBLOCK


def test_a_file_growing_while_read_is_read_to_its_size_when_opened(in_tmp):
    (in_tmp / "f").write_bytes(b"x" * 1000)
    with files.open_for_reading("f") as file:
        with open(in_tmp / "f", "ab") as writer:
            writer.write(b"y" * 10 ** 6)
        assert file.read() == b"x" * 1000
        assert file.seek(0, os.SEEK_END) == 1000


@pytest.mark.parametrize("name", FORMATS)
def test_a_file_larger_than_the_limit_is_refused_before_reading(name, in_tmp):
    list(Session().run(f"save(ones(100), '{name}')"))
    size = os.path.getsize(name)
    saved = limits.current()
    limits.configure({"max_file_bytes": size - 1})
    try:
        printed, error = run_program(f"load('{name}')")
    finally:
        limits.configure(saved)
    assert error is not None and error.kind == "limit exceeded"
    assert f"'{name}' is {size:,} bytes, too large to load (limit max_file_bytes = {size - 1:,})" in error.message


def test_the_file_limit_has_a_flag():
    result = tcalc_command("--max-file-bytes", "10", "-e", "save(ones(100), 'x.pt'); load('x.pt')")
    assert result.returncode == 1 and "max_file_bytes" in result.stderr
    assert "--max-file-bytes" in tcalc_command("--limits").stdout


# ---- load: compressed records, as PyTorch reads them ----------------------------------------

def saved_records(source: str = "save({'a': arange(6.0), 'b': ones(2, 3)}, 'x.pt')") -> list:
    list(Session().run(source))
    with zipfile.ZipFile("x.pt") as archive:
        return [(info.filename, archive.read(info)) for info in archive.infolist()]


def rewrite(records, compress, path: str = "x.pt") -> None:
    """The records again, each compressed as `compress(name)` says (Python's zipfile)."""
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in records:
            archive.writestr(name, data, compress_type=compress(name))


def test_deflated_records_load_as_pytorch_loads_them():
    records = saved_records()
    expected = value_of("load('x.pt')")
    rewrite(records, lambda name: zipfile.ZIP_DEFLATED)
    assert value_of("load('x.pt')") == expected


@pytest.mark.parametrize("method, word", [(zipfile.ZIP_BZIP2, "bzip2"), (zipfile.ZIP_LZMA, "lzma")])
@pytest.mark.parametrize("record", ["data/0", "data.pkl", "byteorder"])
def test_bzip2_and_lzma_records_are_refused_as_pytorch_refuses_them(method, word, record):
    records = saved_records()
    rewrite(records, lambda name: method if name == f"x/{record}" else zipfile.ZIP_STORED)
    error = refusal("load('x.pt')")
    # PyTorch 2.13: "PytorchStreamReader failed retrieving file meta-data for data/0:
    # unsupported method. This is an internal miniz error. ..."
    assert error.message == f"'x.pt': PytorchStreamReader failed retrieving file meta-data for {record}: " \
                            "unsupported method"
    assert word in error.hint


def test_a_file_compressed_throughout_names_the_record_pytorch_reads_first():
    rewrite(saved_records(), lambda name: zipfile.ZIP_BZIP2)
    assert "meta-data for .data/serialization_id: unsupported method" in refusal("load('x.pt')").message


@pytest.mark.parametrize("method", [zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA])
def test_an_npz_of_bzip2_or_lzma_members_is_refused(method):
    list(Session().run("save({'a': ones(3)}, 'x.npz')"))
    with zipfile.ZipFile("x.npz") as archive:
        members = [(info.filename, archive.read(info)) for info in archive.infolist()]
    rewrite(members, lambda name: method, "x.npz")
    assert "compressed with bzip2 or lzma" in refusal("load('x.npz')").message


def zip_of(entries) -> bytes:
    """A zip archive written by hand, each entry (name, method, data as stored, declared
    size, declared crc), so that a record can lie about what it inflates to."""
    out, directory = io.BytesIO(), io.BytesIO()
    for name, method, stored, size, crc in entries:
        offset = out.tell()
        encoded = name.encode()
        out.write(struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, method, 0, 0x21, crc, len(stored), size,
                              len(encoded), 0) + encoded + stored)
        directory.write(struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0, method, 0, 0x21, crc,
                                    len(stored), size, len(encoded), 0, 0, 0, 0, 0, offset) + encoded)
    start, listing = out.tell(), directory.getvalue()
    count = len(entries)
    out.write(listing + struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, count, count, len(listing), start, 0))
    return out.getvalue()


def deflated(data_size: int) -> bytes:
    """data_size zero bytes, deflated in pieces (never held whole)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    piece = bytes(2 ** 20)
    chunks = [packer.compress(piece) for _ in range(data_size // len(piece))]
    return b"".join(chunks) + packer.flush()


def bomb(record: str, declared: int, inflated: int) -> bytes:
    """x.pt's records, stored, except `record`: a deflate stream of `inflated` zero bytes
    that declares `declared` bytes (and their CRC)."""
    entries = []
    for name, data in saved_records("save(zeros(4), 'x.pt')"):
        if name == f"x/{record}":
            crc = zlib.crc32(bytes(declared)) if declared < 2 ** 20 else 0
            entries.append((name, zipfile.ZIP_DEFLATED, deflated(inflated), declared, crc))
        else:
            entries.append((name, zipfile.ZIP_STORED, data, len(data), zlib.crc32(data)))
    return zip_of(entries)


def test_the_hand_written_zip_is_a_zip_tcalc_reads():
    entries = [(name, zipfile.ZIP_STORED, data, len(data), zlib.crc32(data))
               for name, data in saved_records("save(arange(4.0), 'x.pt')")]
    with open("y.pt", "wb") as f:
        f.write(zip_of(entries))
    assert value_of("load('y.pt')") == "tensor([0., 1., 2., 3.])"


@pytest.mark.parametrize("record", ["data/0", "data.pkl"])
def test_a_deflate_bomb_is_refused_without_inflating_it(record):
    import tracemalloc

    data = bomb(record, 16, 256 * 2 ** 20)  # 16 bytes declared, 256 MiB inflated (some 250 KB)
    with open("x.pt", "wb") as f:
        f.write(data)
    tracemalloc.start()
    try:
        error = refusal("load('x.pt')")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert f"the record x/{record} inflates to more than the 16 bytes it declares" in error.message
    assert peak < 16 * 2 ** 20, f"{peak:,} bytes allocated"


def test_a_record_declaring_more_than_the_limits_is_refused_before_inflating():
    data = bomb("data.pkl", 2 ** 32 - 1, 2 ** 20)
    with open("x.pt", "wb") as f:
        f.write(data)
    assert "the record x/data.pkl is larger than it says" in refusal("load('x.pt')").message


def test_a_deflated_record_that_ends_early_or_lies_about_its_crc_is_damaged():
    records = dict(saved_records("save(arange(4.0), 'x.pt')"))
    body = records["x/data/0"]
    stream = zlib.compressobj(9, zlib.DEFLATED, -15)
    packed = stream.compress(body) + stream.flush()
    for stored, crc, words in [(packed[:-4], zlib.crc32(body), "ends early"),
                               (packed, zlib.crc32(body) ^ 1, "Bad CRC-32")]:
        entries = [(name, zipfile.ZIP_STORED, data, len(data), zlib.crc32(data)) for name, data in records.items()
                   if name != "x/data/0"] + [("x/data/0", zipfile.ZIP_DEFLATED, stored, len(body), crc)]
        with open("x.pt", "wb") as f:
            f.write(zip_of(entries))
        assert words in refusal("load('x.pt')").message


def test_a_zip_directory_larger_than_a_file_of_tensors_has_is_refused():
    list(Session().run("save(ones(2), 'x.pt')"))
    data = bytearray(open("x.pt", "rb").read())
    end = data.rindex(b"PK\x05\x06")
    data[end + 12:end + 16] = struct.pack("<I", 2 ** 31)  # the directory's size, in the end record
    with open("x.pt", "wb") as f:
        f.write(data)
    assert "its zip directory is 2,147,483,648 bytes" in refusal("load('x.pt')").message


# ---- dtypes tcalc does not have ------------------------------------------------------------

def _patched_storage(storage: bytes) -> None:
    """x.pt with its tensor's storage class renamed (GLOBAL names end at a newline)."""
    records = saved_records("save(ones(2), 'x.pt')")
    rewrite([(name, data.replace(b"torch\nFloatStorage\n", b"torch\n" + storage + b"\n"))
             for name, data in records], lambda name: zipfile.ZIP_STORED)


# What torch.save (2.13) writes for torch.zeros(2, dtype=torch.uint16): _rebuild_tensor_v3,
# an untyped storage, the dtype last.
UINT16_PICKLE = (b"\x80\x02ctorch._utils\n_rebuild_tensor_v3\nq\x00((X\x07\x00\x00\x00storageq\x01"
                 b"ctorch.storage\nUntypedStorage\nq\x02X\x01\x00\x00\x000q\x03X\x03\x00\x00\x00cpuq\x04K\x04"
                 b"tq\x05QK\x00K\x02\x85q\x06K\x01\x85q\x07\x89ccollections\nOrderedDict\nq\x08)Rq\tctorch\n"
                 b"uint16\nq\ntq\x0bRq\x0c.")


@pytest.mark.parametrize("storage, dtype", [(b"BFloat16Storage", "bfloat16"), (b"ComplexFloatStorage", "complex64"),
                                            (b"ComplexDoubleStorage", "complex128"), (b"QInt8Storage", "qint8")])
def test_a_tensor_of_a_dtype_tcalc_lacks_says_so(storage, dtype):
    _patched_storage(storage)
    error = refusal("load('x.pt')")
    assert error.message == f"cannot load 'x.pt': it holds torch.{dtype}, a dtype tcalc does not have"
    assert "float32" in error.hint and "run" not in error.message and "refusing" not in error.message


def test_an_untyped_storage_of_a_dtype_tcalc_lacks_says_so():
    rewrite([("x/data.pkl", UINT16_PICKLE), ("x/byteorder", b"little"), ("x/data/0", bytes(4))],
            lambda name: zipfile.ZIP_STORED)
    assert refusal("load('x.pt')").message == "cannot load 'x.pt': it holds torch.uint16, a dtype tcalc does not have"


def test_a_dtype_value_tcalc_lacks_says_so():
    rewrite([("x/data.pkl", b"\x80\x02ctorch\nbfloat16\nq\x00."), ("x/byteorder", b"little")],
            lambda name: zipfile.ZIP_STORED)
    assert refusal("load('x.pt')").message == \
        "cannot load 'x.pt': it holds torch.bfloat16, a dtype tcalc does not have"


def test_quantized_and_sparse_tensors_say_what_they_are():
    for rebuilder, kind in [(b"_rebuild_qtensor", "quantized tensors"), (b"_rebuild_sparse_tensor", "sparse tensors")]:
        rewrite([("x/data.pkl", b"\x80\x02ctorch._utils\n" + rebuilder + b"\n)R."), ("x/byteorder", b"little")],
                lambda name: zipfile.ZIP_STORED)
        assert refusal("load('x.pt')").message == f"cannot load 'x.pt': it holds {kind}, which tcalc does not have"


@pytest.mark.parametrize("dtype", ["uint16", "complex64", "uint32"])
def test_an_npy_of_a_dtype_tcalc_lacks_says_so(dtype):
    import numpy as np

    np.save("x.npy", np.zeros(2, dtype=dtype))
    error = refusal("load('x.npy')")
    assert "which tcalc has no dtype for" in error.message and "run" not in error.message


# ---- as a user runs it ----------------------------------------------------------------------

def test_through_the_cli(in_tmp):
    (in_tmp / "real.pt").write_bytes(b"")
    os.chmod(in_tmp / "real.pt", 0o640)
    os.symlink("real.pt", "link.pt")
    _fifo(in_tmp / "pipe.pt")
    result = tcalc_command("-e", "save(arange(3), 'link.pt')\nload('real.pt')\nload('pipe.pt')")
    assert result.stdout == "tensor([0, 1, 2])\n" and result.returncode == 1
    assert "<-e>:3:1: file error: load: 'pipe.pt' is not a regular file (a FIFO)" in result.stderr
    assert "Traceback" not in result.stderr
    assert os.path.islink("link.pt") and stat.S_IMODE(os.stat("real.pt").st_mode) == 0o640
