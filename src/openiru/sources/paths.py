"""Path confinement: a file an export names is read only from inside the export's folder.

Every importer that opens a file named *inside* an export (a media file, a
photo, an attachment, an avatar) goes through :func:`confine` (to check the
name) and :func:`open_confined` (to open it).  An export is hostile input: a
CSV row saying ``media_files=/etc/passwd`` or a Telegram message with
``photo: "../../../../etc/hostname"`` must not make the server read, hash, store
and later hand over that file.  Refused, with :class:`PathRefused` naming why:

* absolute paths (POSIX ``/x``, Windows ``C:\\x`` and ``\\\\server\\x``), NUL bytes;
* any ``..`` component (even one that would land back inside: exports never need it);
* a name whose resolved target (symbolic links followed) lies outside the root, or
  outside the optional ``boundary`` (the API's upload folder);
* anything under ``/proc``, ``/sys`` or ``/dev``, and anything that is not a
  regular file (directories, FIFOs, sockets, character or block devices).

:func:`open_confined` then opens the file component by component from the root
with ``O_NOFOLLOW`` relative to each directory's descriptor (``dir_fd``) and checks
with ``fstat`` that a regular file was opened: a symbolic link swapped in between
the check and the open (a race) fails instead of being followed.  Linux's
``openat2(RESOLVE_BENEATH)`` would do this in one call but the standard library does
not expose it; the component walk is its portable equivalent on POSIX.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path, PurePosixPath, PureWindowsPath

#: Kernel and device file systems: never media, whatever folder an export sits in.
SYSTEM_ROOTS = (Path("/proc"), Path("/sys"), Path("/dev"))

_KIND = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


class PathRefused(ValueError):
    """A path an export names that may not be read; ``reason`` says why."""

    def __init__(self, reference: str, reason: str) -> None:
        super().__init__(f"{reference!r}: {reason}")
        self.reference, self.reason = reference, reason


def _real(path: Path | str) -> Path:
    return Path(os.path.realpath(path))


def _kind(mode: int) -> str | None:
    """What a non-regular file is, or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    return next((name for test, name in _KIND if test(mode)), "not a regular file")


def confine(root: Path | str, reference: str, *, boundary: Path | str | None = None) -> Path:
    """The file ``reference`` names under ``root``, resolved, or :class:`PathRefused`.

    The result may not exist (a media file missing from the export); when it does it is a
    regular file inside ``root`` (and inside ``boundary`` when one is given).
    """
    ref = str(reference)
    if not ref.strip():
        raise PathRefused(ref, "empty path")
    if "\x00" in ref:
        raise PathRefused(ref, "NUL byte in the path")
    posix, windows = PurePosixPath(ref), PureWindowsPath(ref)
    if posix.is_absolute() or windows.drive or windows.root:
        raise PathRefused(ref, "absolute path")
    if ".." in posix.parts or ".." in windows.parts:
        raise PathRefused(ref, "'..' in the path")
    base = _real(root)
    target = _real(base / posix)
    if not target.is_relative_to(base):
        raise PathRefused(ref, "leads out of the export folder (symbolic link)")
    if boundary is not None and not target.is_relative_to(_real(boundary)):
        raise PathRefused(ref, "leads out of the upload folder")
    if any(target.is_relative_to(system) for system in SYSTEM_ROOTS):
        raise PathRefused(ref, "a system file (/proc, /sys, /dev)")
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        return target
    except OSError as exc:
        raise PathRefused(ref, f"cannot be examined: {exc.strerror or exc}") from None
    kind = _kind(mode)
    if kind is not None:
        raise PathRefused(ref, f"not a regular file: {kind}")
    return target


def open_confined(root: Path | str, reference: str, *, boundary: Path | str | None = None) -> int:
    """An O_RDONLY descriptor of the regular file ``reference`` names under ``root``.

    Raises :class:`PathRefused` (refused, or changed into a link or special file while
    opened) or :class:`FileNotFoundError` (absent).  The caller closes the descriptor.
    """
    target = confine(root, reference, boundary=boundary)
    base = _real(root)
    parts = target.relative_to(base).parts
    if not parts:
        raise PathRefused(reference, "not a regular file: a directory")
    nofollow = getattr(os, "O_NOFOLLOW", 0)
    if os.open not in os.supports_dir_fd or not nofollow:  # not POSIX: the checked path itself
        fd = os.open(target, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        return _regular(fd, reference)
    directory = getattr(os, "O_DIRECTORY", 0)
    fd = os.open(base, os.O_RDONLY | directory)
    try:
        for part in parts[:-1]:
            nxt = os.open(part, os.O_RDONLY | directory | nofollow, dir_fd=fd)
            os.close(fd)
            fd = nxt
        # O_NONBLOCK: a FIFO swapped in does not block the open; fstat then refuses it.
        file_fd = os.open(parts[-1], os.O_RDONLY | nofollow | getattr(os, "O_NONBLOCK", 0), dir_fd=fd)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK):
            raise PathRefused(reference, "changed into a symbolic link while opened") from None
        raise
    finally:
        os.close(fd)
    return _regular(file_fd, reference)


def _regular(fd: int, reference: str) -> int:
    kind = _kind(os.fstat(fd).st_mode)
    if kind is not None:
        os.close(fd)
        raise PathRefused(reference, f"not a regular file: {kind}")
    return fd
