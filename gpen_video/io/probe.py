"""Open a media file and describe its video stream as a VideoInfo, with one clear error when it cannot.

Also says how long the container claims the stream is, so the reader can tell a file that ends
early (truncated, damaged) from one that is simply short.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av

from gpen_video.errors import InputError, InputNotFoundError
from gpen_video.io.formats import UnsupportedFormat, layout_of
from gpen_video.io.frames import ColourTags, Layout, VideoInfo
from gpen_video.io.tags import (
    PRIMARIES,
    TRANSFERS,
    display_rotation,
    effective_matrix,
    effective_range,
    unpack_display_matrix,
)

_DURATION_TAG = re.compile(r"^(\d+):(\d\d):(\d\d(?:\.\d+)?)$")


@dataclass(frozen=True)
class Expected:
    """What the container says about the stream's length: frame count, end time (s), file size."""

    frames: int | None
    end: Fraction | None
    size: int | None = None  # bytes the container says the file has (Matroska's segment size)


def open_input(path: str | os.PathLike[str]) -> av.container.InputContainer:
    """Open a file for reading, turning every failure into InputNotFoundError or InputError."""
    name = os.fspath(path)
    if not os.path.exists(name):
        raise InputNotFoundError(f"input not found: {name}")
    if os.path.isdir(name):
        raise InputError(f"input is a folder with no images gpen-video can read: {name}")
    try:
        return av.open(name, "r")
    except av.error.FFmpegError as error:
        raise InputError(
            f"cannot read {name}: {error.strerror or error} (not a media file, or damaged or truncated)"
        ) from error


def video_stream(container: av.container.InputContainer, path: str) -> av.video.stream.VideoStream:
    """The first real video stream (cover art and other attached pictures are not video)."""
    for stream in container.streams.video:
        if not stream.disposition & av.stream.Disposition.attached_pic:
            return stream
    raise InputError(f"{path} has no video stream")


def stream_layout(stream: av.video.stream.VideoStream, path: str) -> Layout:
    pix_fmt = stream.codec_context.pix_fmt
    if pix_fmt is None:
        raise InputError(f"cannot tell the pixel format of the video in {path} (the stream may be damaged)")
    try:
        return layout_of(pix_fmt)
    except UnsupportedFormat as error:
        raise InputError(
            f"{path}: pixel format {pix_fmt} is not supported (float, Bayer and hardware formats are not)"
        ) from error


def colour_tags(ctx: av.video.codeccontext.VideoCodecContext) -> ColourTags:
    return ColourTags(
        color_primaries=ctx.color_primaries,
        color_trc=ctx.color_trc,
        colorspace=ctx.colorspace,
        color_range=ctx.color_range,
        chroma_location=ctx.chroma_sample_location,
    )


def describe(
    layout: Layout,
    tags: ColourTags,
    width: int,
    height: int,
    **fields: object,
) -> VideoInfo:
    """A VideoInfo with the colour fields derived from the raw tags (shared with image sequences)."""
    return VideoInfo(
        width=width,
        height=height,
        layout=layout,
        matrix=effective_matrix(tags, layout, height),
        range=effective_range(tags, layout),
        primaries=PRIMARIES.get(tags.color_primaries),
        transfer=TRANSFERS.get(tags.color_trc),
        tags=tags,
        **fields,  # type: ignore[arg-type]
    )


def stream_info(stream: av.video.stream.VideoStream, path: str) -> VideoInfo:
    """Describe a video stream of an open container."""
    ctx = stream.codec_context
    if not ctx.width or not ctx.height:
        raise InputError(f"cannot tell the frame size of the video in {path} (the stream may be damaged)")
    fps = stream.average_rate or stream.guessed_rate or stream.base_rate
    matrix = unpack_display_matrix(ctx.coded_side_data.get("display_matrix"))
    sar = ctx.sample_aspect_ratio
    return describe(
        stream_layout(stream, path),
        colour_tags(ctx),
        ctx.width,
        ctx.height,
        fps=Fraction(fps) if fps else Fraction(25),
        time_base=Fraction(stream.time_base),
        frame_count=stream.frames or _frames_tag(stream),
        rotation=display_rotation(matrix),
        path=path,
        stream_index=stream.index,
        codec=ctx.codec.name,
        profile=stream.profile,
        display_matrix=matrix,
        sample_aspect_ratio=Fraction(sar) if sar else None,
        field_order=ctx.field_order,
    )


def _frames_tag(stream: av.stream.Stream) -> int | None:
    """Matroska files written by mkvmerge state the frame count in a statistics tag."""
    value = stream.metadata.get("NUMBER_OF_FRAMES")
    return int(value) if value and value.isdigit() and int(value) > 0 else None


def expected_length(stream: av.video.stream.VideoStream) -> Expected:
    """The stream's stated frame count and end time, for telling a truncated file from a short one."""
    end = None
    if stream.duration:
        end = Fraction(stream.duration + (stream.start_time or 0)) * Fraction(stream.time_base)
    else:
        tag = next((v for k, v in stream.metadata.items() if k.upper() == "DURATION"), None)
        match = _DURATION_TAG.match(tag.strip()) if tag else None
        if match:
            hours, minutes, seconds = match.groups()
            end = Fraction(int(hours) * 3600 + int(minutes) * 60) + Fraction(seconds)
    return Expected(frames=stream.frames or None, end=end, size=matroska_size(stream.container.name))


_EBML, _SEGMENT = 0x1A45DFA3, 0x18538067


def _vint(data: bytes, at: int, keep_marker: bool) -> tuple[int, int]:
    """An EBML variable-length integer at ``at``: (value, position after it)."""
    first = data[at]
    length = 9 - first.bit_length()
    if length > 8 or at + length > len(data):
        raise ValueError("bad EBML number")
    value = first if keep_marker else first & ((1 << (8 - length)) - 1)
    for byte in data[at + 1 : at + length]:
        value = value << 8 | byte
    return value, at + length


def matroska_size(path: str) -> int | None:
    """The file size a Matroska/WebM file declares (end of its Segment); None if not one or open-ended."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(256)
        ident, at = _vint(head, 0, keep_marker=True)
        if ident != _EBML:
            return None
        size, at = _vint(head, at, keep_marker=False)
        ident, at = _vint(head, at + size, keep_marker=True)
        if ident != _SEGMENT:
            return None
        length_at = at
        size, at = _vint(head, at, keep_marker=False)
        if size == (1 << (7 * (at - length_at))) - 1:  # all ones: "unknown size" (live recording)
            return None
        return at + size
    except (OSError, ValueError, IndexError):
        return None


def probe_file(path: str | os.PathLike[str]) -> VideoInfo:
    """VideoInfo of a media file's first video stream (no decoding)."""
    name = os.fspath(Path(path))
    with open_input(name) as container:
        return stream_info(video_stream(container, name), name)
