"""The one way tcalc's save and load reach the file system: regular files only.

A path can name what is not a file: a device (`/dev/null`, `/dev/zero`, a disk), a FIFO
that blocks until a writer comes, a socket, a directory, or a symlink to any of these. So:

- Reading stats the path first and refuses anything but a regular file by name, without
  opening it; it then opens the file once, without blocking (O_NONBLOCK), and checks the
  opened descriptor again (the path may have changed in between). The file's size, taken
  from the open descriptor, is checked against `max_file_bytes`, and the file object never
  reads past that size, however the file grows meanwhile.
- Writing resolves a symlink to its target (the link stays), refuses a target that is not
  a regular file or that may not be written ("[Errno 13] Permission denied", as open()
  says), and writes a temporary file beside the target that takes the old file's mode (and
  owner, where allowed) and is renamed over it: a failure leaves the old file whole. The
  temporary file never outlives the process: it is removed on every error, on Ctrl-C, and
  on SIGTERM (the CLI turns SIGTERM into an exception, so this module's `finally` runs;
  `remove_temporaries()` is its last resort).
"""
from __future__ import annotations

import contextlib
import io
import os
import stat
import zipfile

from . import limits
from .errors import TcalcValueError

_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(
    os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
_WRITE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
WRITE_CHUNK = 16 * 2 ** 20  # large writes go in pieces, so that a signal is seen between them

# The temporary files this process is writing, removed if it is stopped meanwhile.
_temporaries: set[str] = set()


class FileError(TcalcValueError):
    """A file that cannot be read or written, in the words of the OS or of the format."""

    kind = "file error"


def os_message(err: OSError, path: str) -> str:
    return f"[Errno {err.errno}] {err.strerror}: '{path}'" if err.errno else str(err)


def _not_regular(what: str, path: str, mode: int) -> FileError:
    if stat.S_ISDIR(mode):
        return FileError(f"[Errno 21] Is a directory: '{path}'")
    return FileError(f"{what}: '{path}' is not a regular file ({_kind(mode)})",
                     hint="tcalc reads and writes regular files only, never devices, FIFOs or sockets")


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a file"


# ---- reading --------------------------------------------------------------------------

def open_for_reading(path: str, what: str = "load") -> io.BufferedReader:
    """The regular file at path, opened once for reading (binary), its size within the
    limits; refuses anything else by name. OSErrors keep the OS's words, with the path."""
    try:
        mode = os.stat(path).st_mode
        if not stat.S_ISREG(mode):  # refused without opening: opening a device can act
            raise _not_regular(what, path, mode)
        fd = os.open(path, _READ_FLAGS)
    except OSError as err:
        raise FileError(os_message(err, path)) from None
    try:
        opened = os.fstat(fd)
        if not stat.S_ISREG(opened.st_mode):  # the path changed since the stat
            raise _not_regular(what, path, opened.st_mode)
        if opened.st_size > limits.LIMITS.max_file_bytes:
            raise limits.refuse("max_file_bytes", f"'{path}' is {opened.st_size:,} bytes, too large to load")
        os.set_blocking(fd, True)
        return io.BufferedReader(_Bounded(fd, opened.st_size))
    except BaseException:
        os.close(fd)
        raise


class _Bounded(io.RawIOBase):
    """A file descriptor read no further than the size it had when opened."""

    def __init__(self, fd: int, size: int):
        super().__init__()
        self._fd, self._size = fd, size

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._fd

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        if whence == os.SEEK_END:  # the end is where the file ended when opened
            offset, whence = self._size + offset, os.SEEK_SET
        return os.lseek(self._fd, offset, whence)

    def tell(self) -> int:
        return os.lseek(self._fd, 0, os.SEEK_CUR)

    def readinto(self, buffer) -> int:
        left = self._size - self.tell()
        view = memoryview(buffer).cast("B")
        if left <= 0 or not len(view):
            return 0
        if hasattr(os, "readv"):  # straight into the buffer
            return os.readv(self._fd, [view[:left]])
        data = os.read(self._fd, min(left, len(view)))
        view[:len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            try:
                os.close(self._fd)
            finally:
                super().close()


# ---- writing --------------------------------------------------------------------------

def write_atomically(path: str, write, what: str = "save") -> None:
    """`write(file)` writes the contents to a binary file object; they replace path's file
    as a whole once written, or, on any failure, path is left as it was."""
    target, old = _target(path, what)
    folder, name = os.path.split(target)
    temporary = os.path.join(folder, f".{name}.tcalc-{os.getpid()}.tmp")
    _temporaries.add(temporary)  # before it exists: a signal may come as soon as it does
    try:
        try:
            fd = os.open(temporary, _WRITE_FLAGS, 0o666)  # the umask applies, as for open()
        except FileExistsError:  # left by a process of the same id that was killed
            os.remove(temporary)
            fd = os.open(temporary, _WRITE_FLAGS, 0o666)
        try:
            if old is not None:
                _keep_mode(fd, old)
            with open(fd, "wb", closefd=False) as file:
                write(file)
        finally:
            os.close(fd)
        _check_unchanged(path, target, what)
        os.replace(temporary, target)
        _temporaries.discard(temporary)
    except OSError as err:
        raise FileError(os_message(err, path)) from None
    finally:
        if temporary in _temporaries:
            _remove(temporary)


def _target(path: str, what: str):
    """The file to replace (a symlink's target) and its stat, None when it is new."""
    try:
        old = os.stat(path)
    except FileNotFoundError:
        old = None
    except OSError as err:  # a symlink loop, a path through a file, ...
        raise FileError(os_message(err, path)) from None
    if old is not None and not stat.S_ISREG(old.st_mode):
        raise _not_regular(what, path, old.st_mode)
    target = os.path.realpath(path)  # a dangling symlink: its target is created, as open() does
    if not os.path.isdir(os.path.dirname(target)):
        raise FileError(f"Parent directory {os.path.dirname(path) or '.'} does not exist.")
    # A file nobody may write is refused even where the directory would allow replacing it
    # (and even for root, who may write anything).
    if old is not None and (not os.access(target, os.W_OK) or not old.st_mode & 0o222):
        raise FileError(f"[Errno 13] Permission denied: '{path}'")
    return target, old


def _keep_mode(fd: int, old: os.stat_result) -> None:
    """The old file's owner, then its mode (a change of owner clears the set-id bits)."""
    if hasattr(os, "fchown") and (old.st_uid, old.st_gid) != (os.geteuid(), os.getegid()):
        try:
            os.fchown(fd, old.st_uid, old.st_gid)
        except PermissionError:  # only root may give a file away: the writer owns it
            pass
    os.fchmod(fd, stat.S_IMODE(old.st_mode))


def _check_unchanged(path: str, target: str, what: str) -> None:
    """The target, just before the rename: still a regular file or nothing (a device or a
    directory put there meanwhile is not replaced)."""
    try:
        now = os.lstat(target)
    except FileNotFoundError:
        return
    if not stat.S_ISREG(now.st_mode):
        raise _not_regular(what, path, now.st_mode)


@contextlib.contextmanager
def zip_writer(file, **options):
    """A zipfile.ZipFile writing to file. On any failure, a signal included, it is dropped
    unfinished (the file is thrown away): zipfile's own closing of an archive stopped part
    way would raise an error of its own in place of the failure."""
    archive = zipfile.ZipFile(file, "w", zipfile.ZIP_STORED, **options)
    try:
        yield archive
    except BaseException:
        archive.fp = None  # nothing more is written, not even by its __del__
        raise
    archive.close()


def write_chunked(file, data) -> None:
    """Writes a large buffer in pieces, so that a signal (Ctrl-C, SIGTERM) stops it soon."""
    view = memoryview(data).cast("B")
    for start in range(0, len(view), WRITE_CHUNK):
        file.write(view[start:start + WRITE_CHUNK])


def _remove(temporary: str) -> None:
    try:
        os.remove(temporary)
    except FileNotFoundError:
        pass
    finally:
        _temporaries.discard(temporary)


def remove_temporaries() -> None:
    """Removes the temporary files still being written (the process is stopping)."""
    for temporary in list(_temporaries):
        try:
            _remove(temporary)
        except OSError:
            pass
