"""Read a video file or an image sequence as Frames, decoded ahead of the caller in a worker thread.

Every frame comes out with its own timestamp, at the source bit depth, in stored orientation. A
decoder error stops reading with an InputError naming where; a file that ends before the length
its container states (a truncated copy) raises an InputError after its last good frame, so a
damaged master never passes for a complete one. Frames the decoder flags as damaged but still
produces (concealed errors) are passed on and listed in ``VideoReader.damaged``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import replace
from fractions import Fraction
from types import TracebackType

import av

from gpen_video.errors import InputError, UsageError
from gpen_video.io.formats import layout_of, planes_from_frame
from gpen_video.io.frames import Frame, Layout, VideoInfo
from gpen_video.io.probe import Expected, expected_length, open_input, stream_info, video_stream
from gpen_video.io.sequence import decode_sequence, is_sequence, probe_sequence
from gpen_video.io.threads import Producer

QUEUE_DEPTH = 8  # decoded frames held ahead of the caller


def probe(path: str | os.PathLike[str], fps: Fraction | int | float | str | None = None) -> VideoInfo:
    """Describe a video file or image sequence without decoding it (sequences: their first image).

    ``fps`` is the frame rate of an image sequence (default 25); a file's own timestamps are kept
    and ``fps`` is ignored for it.
    """
    if is_sequence(path):
        return probe_sequence(path, _rate(fps))[0]
    name = os.fspath(path)
    with open_input(name) as container:
        return stream_info(video_stream(container, name), name)


def open_video(
    path: str | os.PathLike[str],
    fps: Fraction | int | float | str | None = None,
    start: int | None = None,
    end: int | None = None,
) -> VideoReader:
    """Open a video file or image sequence for reading frames ``start`` (incl.) to ``end`` (excl.).

    ``start``/``end`` are 0-based frame indices in presentation order (Frame.index keeps counting
    from the source's first frame); ``fps`` applies to image sequences only (default 25).
    """
    first = start or 0
    if first < 0 or (end is not None and end <= first):
        raise UsageError(f"frame range must satisfy 0 <= start < end, not start={start} end={end}")
    trim = None if start is None and end is None else (first, end)
    if is_sequence(path):
        info, files = probe_sequence(path, _rate(fps))
        stop = len(files) if end is None else min(end, len(files))
        info = replace(info, frame_count=max(0, stop - first), trim=trim)
        return VideoReader(info, lambda reader: decode_sequence(files, info, first, stop))
    name = os.fspath(path)
    container = open_input(name)
    try:
        stream = video_stream(container, name)
        info = replace(stream_info(stream, name), trim=trim)
        if trim is not None:
            count = info.frame_count
            stop = count if end is None else end if count is None else min(end, count)
            info = replace(info, frame_count=None if stop is None else max(0, stop - first))
    except BaseException:
        container.close()
        raise
    return VideoReader(info, lambda reader: _decode_file(reader, container, stream, first, end), container.close)


def _rate(fps: Fraction | int | float | str | None) -> Fraction | None:
    if fps is None:
        return None
    rate = Fraction(str(fps)) if isinstance(fps, float) else Fraction(fps)
    if rate <= 0:
        raise UsageError(f"fps must be positive, not {fps}")
    return rate


class VideoReader:
    """Iterable of Frames from a file or sequence; a context manager that stops its decode thread."""

    def __init__(
        self,
        info: VideoInfo,
        make: Callable[[VideoReader], Iterator[Frame]],
        release: Callable[[], None] | None = None,
    ) -> None:
        self.info = info  # frame_count becomes exact once the frames have been read to the end
        self.damaged: list[int] = []  # indices of frames the decoder flagged as concealed/damaged
        self._producer: Producer[Frame] = Producer(lambda: make(self), depth=QUEUE_DEPTH)
        self._release = release

    def __iter__(self) -> Iterator[Frame]:
        return iter(self._producer)

    def close(self) -> None:
        """Stop decoding (if still running) and release the file."""
        self._producer.close()
        if self._release is not None:
            self._release()  # for a reader closed before it was iterated

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _decode_file(
    reader: VideoReader, container: av.container.InputContainer, stream: av.video.stream.VideoStream,
    start: int, end: int | None,
) -> Iterator[Frame]:
    """Runs in the decode thread: demux, decode, convert to planes; checks the length at the end."""
    info = reader.info
    stream.codec_context.thread_type = "AUTO"
    index, discarded, last_end = 0, 0, None
    try:
        for packet in container.demux(stream):
            discarded += packet.is_discard
            for decoded in _decode_packet(packet, index, info.path):
                if end is not None and index >= end:
                    return
                frame = _to_frame(decoded, index, info, last_end)
                last_end = frame.pts + (frame.duration or _nominal_duration(info))
                if decoded.is_corrupt:
                    reader.damaged.append(index)
                if index >= start:
                    yield frame
                index += 1
        _check_length(info, expected_length(stream), index, discarded, last_end)
        reader.info = replace(info, frame_count=max(0, index - start))  # now exact: decoded to the end
    finally:
        container.close()


def _decode_packet(packet: av.Packet, index: int, path: str) -> list[av.VideoFrame]:
    try:
        return packet.decode()
    except av.error.FFmpegError as error:
        where = f"{float(packet.pts * packet.time_base):.3f} s" if packet.pts is not None else "its end"
        raise InputError(
            f"cannot decode {path} after frame {index} (at {where}): {error.strerror or error}; "
            "the file is damaged or truncated"
        ) from error


def _nominal_duration(info: VideoInfo) -> int:
    return max(1, round(1 / (info.fps * info.time_base)))


def _to_frame(decoded: av.VideoFrame, index: int, info: VideoInfo, last_end: int | None) -> Frame:
    if (decoded.width, decoded.height) != (info.width, info.height):
        raise InputError(
            f"{info.path}: frame {index} is {decoded.width}x{decoded.height}, not {info.width}x{info.height} "
            "(size changes inside a stream are not supported)"
        )
    pts = decoded.pts
    if pts is None:  # raw streams without timestamps: continue from the previous frame
        pts = last_end if last_end is not None else 0
    return Frame(index=index, pts=pts, time_base=info.time_base,
                 planes=planes_from_frame(decoded, _frame_layout(decoded, index, info)),
                 duration=decoded.duration or 0)


def _frame_layout(decoded: av.VideoFrame, index: int, info: VideoInfo) -> Layout:
    """The stream's layout; a frame in another pix_fmt of the same layout (nv12 for yuv420p) is fine."""
    name = decoded.format.name
    if name == info.layout.pix_fmt:
        return info.layout
    layout = layout_of(name)
    ours = (info.layout.family, info.layout.bit_depth, info.layout.subsampling, info.layout.has_alpha)
    if (layout.family, layout.bit_depth, layout.subsampling, layout.has_alpha) != ours:
        raise InputError(
            f"{info.path}: frame {index} is {name}, not {info.layout.pix_fmt} "
            "(pixel format changes inside a stream are not supported)"
        )
    return layout


def _check_length(info: VideoInfo, expected: Expected, decoded: int, discarded: int, last_end: int | None) -> None:
    """Raise if the file ended before the length its container states (a truncated or damaged copy)."""
    readable = f"only its first {decoded} frames can be read (read with end={decoded} to use them)"
    if expected.frames is not None and decoded < expected.frames - discarded:
        raise InputError(
            f"{info.path} is truncated or damaged: it lists {expected.frames - discarded} frames but {readable}"
        )
    size = os.path.getsize(info.path)
    if expected.size is not None and size < expected.size:
        raise InputError(f"{info.path} is truncated: {size} of its {expected.size} bytes are there and {readable}")
    if expected.end is not None and last_end is not None:
        tolerance = max(Fraction(3, 2) / info.fps, Fraction(1, 20))
        got = last_end * info.time_base
        if got < expected.end - tolerance:
            raise InputError(
                f"{info.path} is truncated or damaged: it should last {float(expected.end):.3f} s but ends at "
                f"{float(got):.3f} s and {readable}"
            )
