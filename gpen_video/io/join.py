"""Join separately encoded pieces of one video into one file, without re-encoding anything.

The segments of a split run (``gpen_video.scale``) are encoded on their own, video only. Here their
packets are remuxed in order with their timestamps kept, and the source's audio, subtitles, data,
attachments, metadata and chapters are copied once, by the writer's own ``StreamCopier``, so a
joined file carries exactly what a single-process run's would. All or nothing, like the writer: the
file is written under a hidden temporary name beside the target and renamed when complete.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import av

from gpen_video.errors import GpenVideoError, OutputError
from gpen_video.io.frames import VideoInfo
from gpen_video.io.probe import open_input, video_stream
from gpen_video.io.sequence import is_sequence
from gpen_video.io.streams import StreamCopier
from gpen_video.io.target import OutputTarget, output_error


def join_parts(parts: Sequence[str | os.PathLike[str]], target: str | os.PathLike[str], info: VideoInfo, *,
               source: str | os.PathLike[str] | None = None, overwrite: bool = False) -> None:
    """Concatenate the video packets of ``parts`` into ``target``; copy ``source``'s other streams.

    The parts must come from one encoder configuration (the same codec parameters) and hold
    consecutive frames with the source's timestamps; ``info`` is the source's VideoInfo (which
    stream the video is, for the copied streams' order). Raises OutputError if they do not fit.
    """
    if not parts:
        raise OutputError(f"nothing to join into {target}")
    out = OutputTarget(target, [info.path or None, source], overwrite)
    try:
        copy_from = None if source is None or is_sequence(source) else source
        _mux(parts, out.temp, info, copy_from)
        out.commit()
    except BaseException as error:
        out.discard()
        if isinstance(error, Exception) and not isinstance(error, GpenVideoError):
            raise output_error(error, out.path) from error
        raise


def _mux(parts: Sequence[str | os.PathLike[str]], temp: Path, info: VideoInfo,
         source: str | os.PathLike[str] | None) -> None:
    first = open_input(parts[0])
    output = av.open(os.fspath(temp), "w")
    copier = None
    try:
        template = video_stream(first, os.fspath(parts[0]))
        video: list[av.video.stream.VideoStream] = []

        def add_video() -> av.video.stream.VideoStream:
            stream = output.add_stream_from_template(template)
            stream.time_base = template.time_base
            video.append(stream)
            return stream

        if source is not None:
            copier = StreamCopier(source, output, info.stream_index, trimmed=False)
            copier.add_streams(add_video)
        else:
            add_video()
        _copy_video(parts, template, video[0], output, copier)
        if copier is not None:
            copier.finish(None)
            copier = None
    finally:
        if copier is not None:
            copier.close()
        first.close()
        output.close()


def _copy_video(parts: Sequence[str | os.PathLike[str]], template: av.video.stream.VideoStream,
                target: av.video.stream.VideoStream, output: av.container.OutputContainer,
                copier: StreamCopier | None) -> None:
    """Mux every part's video packets in order, the copied streams interleaved up to each one's time."""
    last_dts: Fraction | None = None
    for part in parts:
        name = os.fspath(part)
        with open_input(name) as container:
            stream = video_stream(container, name)
            _check_same_codec(stream, template, name)
            for packet in container.demux(stream):
                if not packet.size:
                    continue  # the demuxer's end-of-stream marker
                last_dts = _keep_monotonic(packet, last_dts, name)
                packet.stream = target
                output.mux_one(packet)
                if copier is not None and last_dts is not None:
                    copier.feed(last_dts)


def _check_same_codec(stream: av.video.stream.VideoStream, template: av.video.stream.VideoStream, name: str) -> None:
    """Packets of one stream must decode with one set of codec parameters."""
    ours, theirs = stream.codec_context, template.codec_context
    same = (ours.name, ours.width, ours.height, ours.format.name if ours.format else None, ours.extradata) == (
        theirs.name, theirs.width, theirs.height, theirs.format.name if theirs.format else None, theirs.extradata)
    if not same or stream.time_base != template.time_base:
        raise OutputError(f"cannot join {name}: it was encoded with other codec parameters than the first part")


def _keep_monotonic(packet: av.Packet, last_dts: Fraction | None, name: str) -> Fraction | None:
    """The packet's decode time in seconds, made to follow the previous packet's.

    Where two parts' reorder delays overlap, or a demuxer (Matroska) leaves a part's first decode
    timestamps out, the decode timestamp is set one tick after the previous one; presentation
    timestamps are never touched.
    """
    base = Fraction(packet.time_base)
    if last_dts is None or packet.pts is None:
        return last_dts if packet.dts is None else packet.dts * base  # the muxer derives a missing one
    if packet.dts is None or packet.dts * base <= last_dts:
        nudged = math.floor(last_dts / base) + 1
        if nudged > packet.pts:
            raise OutputError(f"cannot join {name}: its decode timestamps overlap the previous part's")
        packet.dts = nudged
    return packet.dts * base
