"""Where output goes: refuse the input and existing files, write under a hidden temporary name, commit.

Everything is written beside the target under a name starting with "." and holding ".tmp-", with
the target's own extension (so FFmpeg picks the right muxer), and only renamed to the target once
complete. On any failure the temporary file is removed and nothing appears under the target's name.
"""

from __future__ import annotations

import errno
import os
import secrets
from collections.abc import Iterable
from pathlib import Path

from gpen_video.errors import GpenVideoError, OutputError

_DISK_FULL = {errno.ENOSPC, errno.EDQUOT}


def same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """Same path, or two names of one file (hard or symbolic links)."""
    if os.path.abspath(a) == os.path.abspath(b):
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def refuse_input(path: Path, inputs: Iterable[str | os.PathLike[str] | None]) -> None:
    for source in inputs:
        if source and same_file(path, source):
            raise OutputError(f"output {path} is the input: choose another output name")


def temp_name(path: Path, token: str | None = None) -> Path:
    """Hidden name beside ``path`` with its extension: out.mp4 -> .out.tmp-1a2b3c4d.mp4."""
    token = token or secrets.token_hex(4)
    return path.with_name(f".{path.stem}.tmp-{token}{path.suffix}")


def output_error(error: BaseException, path: Path) -> GpenVideoError:
    """The one-sentence project error for a failure while writing ``path``."""
    if isinstance(error, GpenVideoError):
        return error
    code = getattr(error, "errno", None)
    if code in _DISK_FULL:
        return OutputError(f"disk full writing {path}")
    if code == errno.EFBIG:
        return OutputError(f"file too large for its file system (or a size limit) writing {path}")
    if code in (errno.EACCES, errno.EPERM, errno.EROFS):
        return OutputError(f"permission denied writing {path}")
    reason = getattr(error, "strerror", None) or str(error) or type(error).__name__
    return OutputError(f"cannot write {path}: {reason}")


class OutputTarget:
    """One output file: checked at creation, written as ``temp``, renamed by ``commit``."""

    def __init__(self, path: str | os.PathLike[str], inputs: Iterable[str | os.PathLike[str] | None],
                 overwrite: bool) -> None:
        self.path = Path(path)
        self.overwrite = overwrite
        refuse_input(self.path, inputs)
        if self.path.is_dir():
            raise OutputError(f"output {self.path} is a folder: give a file name")
        self._refuse_existing()
        if not self.path.parent.is_dir():
            raise OutputError(f"output folder {self.path.parent} does not exist")
        self.temp = self._create_temp()

    def _refuse_existing(self) -> None:
        if self.path.exists() and not self.overwrite:
            raise OutputError(f"output {self.path} exists (pass --overwrite to replace it)")

    def _create_temp(self) -> Path:
        for _ in range(100):
            temp = temp_name(self.path)
            try:
                os.close(os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
                return temp
            except FileExistsError:
                continue
            except OSError as error:
                raise output_error(error, self.path) from error
        raise OutputError(f"cannot find a free temporary name beside {self.path}")

    def commit(self) -> None:
        """Give the finished file its name (atomic on one file system)."""
        self._refuse_existing()  # it may have appeared while we wrote
        try:
            os.replace(self.temp, self.path)
        except OSError as error:
            raise output_error(error, self.path) from error

    def discard(self) -> None:
        try:
            os.unlink(self.temp)
        except FileNotFoundError:
            pass
