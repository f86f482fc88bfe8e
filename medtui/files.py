"""The one check every file a user names goes through before medtui reads it.

Only a regular file can be read to its end: a named pipe (FIFO) blocks the reader until some other
process writes, and a device such as /dev/zero never ends, so reading either hangs the command (or
fills the memory). Config files, data files, GGUFs, Modelfiles and adapter files are therefore
checked with `file_problem` first, and the caller turns the reason into its own error, naming the
path.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

_KINDS = (
    (stat.S_ISDIR, "is a folder"),
    (stat.S_ISFIFO, "is a named pipe (FIFO), not a regular file"),
    (stat.S_ISCHR, "is a character device, not a regular file"),
    (stat.S_ISBLK, "is a block device, not a regular file"),
    (stat.S_ISSOCK, "is a socket, not a regular file"),
)

NO_SUCH_FILE = "no such file"


def file_problem(path: str | os.PathLike) -> str | None:
    """Why `path` cannot be read as a file, or None when it is a regular file.

    Symbolic links are followed, and a link is named in the reason: a link to /dev/zero "is a
    symbolic link to /dev/zero, which is a character device, not a regular file". The reason for a
    missing path is exactly NO_SUCH_FILE, so callers can word that case their own way.
    """
    path = Path(path)
    try:
        mode = os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return "is a symbolic link to a path that does not exist" if path.is_symlink() else NO_SUCH_FILE
    except OSError as exc:  # a loop of links, no permission on a folder above it
        return f"cannot be read ({exc.strerror})"
    if stat.S_ISREG(mode):
        return None
    reason = next((text for test, text in _KINDS if test(mode)), "is not a regular file")
    if path.is_symlink():
        return f"is a symbolic link to {os.path.realpath(path)}, which {reason}"
    return reason
