"""Write Frames to a video file or image sequence, encoding in a worker thread; all or nothing.

``open_writer`` checks the target first (never the input, never an existing file without
``overwrite``), then writes under a hidden temporary name; ``close`` finishes and renames,
``abort`` (or any exception inside ``with``, KeyboardInterrupt included) removes the temporary file
so nothing is left under the target's name. Write errors become one-sentence OutputErrors.
"""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import NoReturn

import av

from gpen_video.errors import GpenVideoError, UsageError
from gpen_video.io.encode import FileEncoder
from gpen_video.io.encode_images import ImageSequenceEncoder
from gpen_video.io.frames import Frame, VideoInfo
from gpen_video.io.sequence import is_pattern
from gpen_video.io.target import OutputTarget, output_error
from gpen_video.io.threads import Consumer
from gpen_video.options import EncodeOptions

QUEUE_DEPTH = 8  # frames waiting for the encoder


def is_image_output(path: str | os.PathLike[str]) -> bool:
    """A pattern, an existing folder, a name ending in a separator, or a name with no extension."""
    name = os.fspath(path)
    return is_pattern(name) or os.path.isdir(name) or name.endswith(os.sep) or not Path(name).suffix


def open_writer(
    path: str | os.PathLike[str],
    info: VideoInfo,
    options: EncodeOptions | None = None,
    source: str | os.PathLike[str] | None = None,
) -> VideoWriter:
    """Start writing ``path`` for frames laid out as ``info.layout``; copy ``source``'s other streams.

    ``source`` is the file whose audio, subtitles, data, attachments, metadata and chapters are
    copied (normally the input; None copies nothing). Image-sequence outputs copy no streams.
    """
    options = options or EncodeOptions()
    inputs = [info.path or None, source]
    if is_image_output(path):
        sink: FileEncoder | ImageSequenceEncoder = ImageSequenceEncoder(path, info, options, inputs)
        return VideoWriter(Path(path), info, sink, None)
    target = OutputTarget(path, inputs, options.overwrite)
    try:
        sink = FileEncoder(target.temp, info, options, None if source is None or is_pattern(source)
                           or os.path.isdir(source) else source)
    except GpenVideoError:
        target.discard()
        raise
    except (av.error.FFmpegError, OSError) as error:
        target.discard()
        raise output_error(error, target.path) from error
    return VideoWriter(target.path, info, sink, target)


class VideoWriter:
    """Takes Frames in ``info.layout``; a context manager that commits on success, aborts on error."""

    def __init__(self, path: Path, info: VideoInfo, sink: FileEncoder | ImageSequenceEncoder,
                 target: OutputTarget | None) -> None:
        self.path, self.info = path, info
        self.layout = info.layout  # what write() expects; pix_fmt is what the encoder gets
        self.codec, self.pix_fmt = sink.plan.codec, sink.plan.pix_fmt
        self.encoder_options = dict(sink.plan.options)  # what the encoder was opened with
        self._sink, self._target = sink, target
        self._shapes = info.layout.plane_shapes(info.width, info.height)
        self._worker: Consumer[Frame] = Consumer(sink.write, sink.finish, depth=QUEUE_DEPTH)
        self._open = True
        self._last_time: Fraction | None = None

    def write(self, frame: Frame) -> None:
        """Queue one frame for encoding (planes checked here, so a wrong frame fails at its call)."""
        if not self._open:
            raise UsageError(f"writer for {self.path} is closed")
        shapes = tuple(p.shape for p in frame.planes)
        if shapes != self._shapes or frame.planes[0].dtype != self.layout.dtype:
            raise UsageError(
                f"frame {frame.index} has planes {shapes} {frame.planes[0].dtype}, but {self.path} takes "
                f"{self._shapes} {self.layout.dtype} ({self.layout.pix_fmt})"
            )
        if self._last_time is not None and frame.time <= self._last_time:
            raise UsageError(
                f"frame {frame.index} at {float(frame.time):.6f} s does not come after the previous frame "
                f"({float(self._last_time):.6f} s): timestamps must increase"
            )
        try:
            self._worker.put(frame)
        except BaseException as error:
            self._fail(error)
        self._last_time = frame.time

    def close(self) -> None:
        """Finish encoding and give the file its name. Raises (and removes everything) on failure."""
        if not self._open:
            return
        try:
            self._worker.close()
            if self._target is not None:
                self._target.commit()
        except BaseException as error:
            self._fail(error)
        self._open = False

    def abort(self) -> None:
        """Stop encoding and delete what was written; the target name is left untouched."""
        if not self._open:
            return
        self._open = False
        self._worker.cancel()
        self._sink.discard()
        if self._target is not None:
            self._target.discard()

    def _fail(self, error: BaseException) -> NoReturn:
        """Abort, then raise the error as a project error (interrupts and our own errors as they are)."""
        self.abort()
        if isinstance(error, Exception) and not isinstance(error, GpenVideoError):
            raise output_error(error, self.path) from error
        raise error

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()
