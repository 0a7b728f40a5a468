"""Cut a video into independently decodable pieces: where its keyframes are, and reading one piece.

``index_stream`` demuxes the video packets without decoding them (seconds for a feature film) and
lists each frame's timestamp in presentation order and which frames are keyframes. ``open_range``
then seeks to a keyframe and decodes only the frames a piece needs, giving them their indices in
the whole video, so a segment of a long run reads what it needs instead of decoding from the start.
A frame is identified by its timestamp, never by counting after a seek, so a demuxer that lands
somewhere unexpected is noticed and the piece is decoded from the start instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, replace
from fractions import Fraction

import av

from gpen_video.errors import InputError
from gpen_video.io.formats import layout_of, planes_from_frame
from gpen_video.io.frames import Frame, VideoInfo
from gpen_video.io.probe import open_input, stream_info, video_stream
from gpen_video.io.reader import VideoReader, open_video, probe
from gpen_video.io.sequence import is_sequence


@dataclass(frozen=True)
class StreamIndex:
    """Where every frame of a video stream is, from its packets alone.

    ``pts[i]`` is frame i's timestamp (in the stream's time base; frames in presentation order),
    ``keyframes`` the indices of frames a decoder can start from, ascending, and ``safe_seeks`` for
    each a timestamp at or before both its presentation and decode timestamps (demuxers index by
    one or the other), to fall back on when seeking to its ``pts`` lands too late.
    """

    path: str
    pts: tuple[int, ...]
    keyframes: tuple[int, ...]
    safe_seeks: tuple[int | None, ...]

    @property
    def frame_count(self) -> int:
        return len(self.pts)

    def frame_range(self, start: int, stop: int) -> FrameRange:
        """What a reader needs to decode frames ``start`` .. ``stop - 1`` and nothing much before."""
        if not 0 <= start < stop <= self.frame_count:
            raise ValueError(f"frames {start}..{stop - 1} are not inside 0..{self.frame_count - 1}")
        before = [i for i, k in enumerate(self.keyframes) if k <= start]
        seeks: list[int | None] = []
        if before:
            seeks += [self.pts[self.keyframes[before[-1]]], self.safe_seeks[before[-1]]]
        seeks.append(self.safe_seeks[0] if self.safe_seeks else None)  # the start of the file
        return FrameRange(self.path, start, self.pts[start:stop], tuple(dict.fromkeys(seeks)))


@dataclass(frozen=True)
class FrameRange:
    """Frames ``start`` .. ``start + len(pts) - 1`` of a video, identified by their timestamps.

    Small enough to send to another process; ``seeks`` are the timestamps to try seeking to, best
    first, the last one the start of the file (None: read from where the file opens).
    """

    path: str
    start: int
    pts: tuple[int, ...]
    seeks: tuple[int | None, ...] = (None,)

    @property
    def stop(self) -> int:
        return self.start + len(self.pts)


def keyframe_indices(path: str | os.PathLike[str]) -> list[int]:
    """Indices (presentation order) of the frames a decoder can start from, found without decoding."""
    return list(index_stream(path).keyframes)


def index_stream(path: str | os.PathLike[str]) -> StreamIndex:
    """Demux the video packets of ``path`` (no decoding) into a StreamIndex.

    Image sequences need no demuxing: every image is a keyframe. Raises InputError where frames
    cannot be told apart by timestamp (packets without timestamps, or two with the same one).
    """
    name = os.fspath(path)
    if is_sequence(name):
        count = probe(name).frame_count or 0
        return StreamIndex(name, tuple(range(count)), tuple(range(count)), (None,) * count)
    packets = []
    with open_input(name) as container:
        stream = video_stream(container, name)
        for packet in container.demux(stream):
            if packet.size and not packet.is_discard:  # discarded packets never become frames
                packets.append((packet.pts, packet.dts, packet.is_keyframe))
    if any(pts is None for pts, _, _ in packets):
        raise InputError(f"{name}: some video packets have no timestamp, so it cannot be split into segments")
    packets.sort(key=lambda p: p[0])
    pts = tuple(p[0] for p in packets)
    if len(set(pts)) != len(pts):
        raise InputError(f"{name}: two video packets share a timestamp, so it cannot be split into segments")
    keys = [i for i, p in enumerate(packets) if p[2]]
    safe = tuple(p[0] if p[1] is None else min(p[0], p[1]) for p in (packets[i] for i in keys))
    return StreamIndex(name, pts, tuple(keys), safe)


def open_range(frames: FrameRange, fps: Fraction | None = None) -> VideoReader:
    """A reader of just the frames in ``frames``, each with its index in the whole video.

    A file is decoded from the keyframe at or before the first wanted frame; should a seek land after
    that frame, the next of ``frames.seeks`` is tried (the last is the start of the file). Image
    sequences read only the wanted files.
    """
    if is_sequence(frames.path):
        return open_video(frames.path, fps=fps, start=frames.start, end=frames.stop)
    container = open_input(frames.path)
    try:
        stream = video_stream(container, frames.path)
        info = replace(stream_info(stream, frames.path), frame_count=len(frames.pts))
    except BaseException:
        container.close()
        raise
    return VideoReader(info, lambda reader: _decode_range(container, stream, frames, info), container.close)


class _SeekMissed(Exception):
    """The demuxer's seek landed after the first wanted frame."""


def _decode_range(container: av.container.InputContainer, stream: av.video.stream.VideoStream,
                  frames: FrameRange, info: VideoInfo) -> Iterator[Frame]:
    """Runs in the decode thread: seek, decode, keep the wanted frames; always closes the file."""
    stream.codec_context.thread_type = "AUTO"
    try:
        for attempt, seek_to in enumerate(frames.seeks):
            try:
                yield from _decode_from(container, stream, frames, info, seek_to, attempt > 0)
                return
            except _SeekMissed:
                if attempt == len(frames.seeks) - 1:
                    raise InputError(f"{frames.path}: frame {frames.start} cannot be found by its timestamp; "
                                     "the file cannot be split into segments") from None
    finally:
        container.close()


def _decode_from(container: av.container.InputContainer, stream: av.video.stream.VideoStream,
                 frames: FrameRange, info: VideoInfo, seek_to: int | None, rewind: bool) -> Iterator[Frame]:
    if seek_to is not None:
        container.seek(seek_to, backward=True, any_frame=False, stream=stream)
    elif rewind:
        container.seek(0)
    stream.codec_context.flush_buffers()
    expected = frames.start
    for packet in container.demux(stream):
        for decoded in _decode(packet, frames.path):
            want = frames.pts[expected - frames.start]
            if decoded.pts is not None and decoded.pts < want:
                continue  # the lead-in from the keyframe
            if decoded.pts != want:
                if expected == frames.start:
                    raise _SeekMissed()
                raise InputError(f"{frames.path}: frame {expected} (timestamp {want}) did not come out of the "
                                 f"decoder (timestamp {decoded.pts} did); the file cannot be split into segments")
            yield _to_frame(decoded, expected, info, frames.path)
            expected += 1
            if expected == frames.stop:
                return
    if expected == frames.start:
        raise _SeekMissed()  # landed past every wanted frame
    raise InputError(f"{frames.path} ends after frame {expected - 1}, before frame {frames.stop - 1} "
                     "(the file is truncated or damaged)")


def _decode(packet: av.Packet, path: str) -> list[av.VideoFrame]:
    try:
        return packet.decode()
    except av.error.FFmpegError as error:
        raise InputError(f"cannot decode {path}: {error.strerror or error}; the file is damaged") from error


def _to_frame(decoded: av.VideoFrame, index: int, info: VideoInfo, path: str) -> Frame:
    if (decoded.width, decoded.height) != (info.width, info.height):
        raise InputError(f"{path}: frame {index} is {decoded.width}x{decoded.height}, not "
                         f"{info.width}x{info.height} (size changes inside a stream are not supported)")
    layout = info.layout if decoded.format.name == info.layout.pix_fmt else layout_of(decoded.format.name)
    return Frame(index=index, pts=decoded.pts, time_base=info.time_base,
                 planes=planes_from_frame(decoded, layout), duration=decoded.duration or 0)
