"""Encode Frames into a video file: the new video stream, its tags, and the copied streams around it.

Runs in the writer's worker thread. The video stream gets the source's time base, frame rate,
colour tags, sample aspect ratio, field order and display matrix; each frame keeps its pts and
duration. After each frame, the source's other streams are muxed up to that frame's time.
"""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

import av

from gpen_video.errors import UsageError
from gpen_video.io.codecs import EncoderPlan, plan_encoder
from gpen_video.io.frames import Frame, VideoInfo
from gpen_video.io.picture import encoder_picture
from gpen_video.io.streams import StreamCopier
from gpen_video.options import EncodeOptions


class FileEncoder:
    """One output container being written: ``write`` frames, then ``finish`` (or ``discard``)."""

    def __init__(self, temp: Path, info: VideoInfo, options: EncodeOptions,
                 source: str | os.PathLike[str] | None) -> None:
        self.info = info
        self.output = av.open(os.fspath(temp), "w")
        self.copier: StreamCopier | None = None
        self.last_end: Fraction | None = None
        try:
            supported = self.output.supported_codecs
            self.plan: EncoderPlan = plan_encoder(self.output.format.name, info, options, supported.__contains__)
            if source is not None:
                self.copier = StreamCopier(source, self.output, info.stream_index, info.trim is not None)
                self.copier.add_streams(self._add_video)
            else:
                self._add_video()
            self._start()
        except BaseException:
            self.discard()
            raise

    def _start(self) -> None:
        """Open the encoder and write the header now, so bad settings fail in open_writer, not later."""
        try:
            self.output.start_encoding()
        except av.error.FFmpegError as error:
            if self.stream.codec_context.is_open:
                raise
            settings = ", ".join(f"{k}={v}" for k, v in self.plan.options.items())
            raise UsageError(
                f"{self.plan.codec} refused its settings ({settings}, pix_fmt={self.plan.pix_fmt}): "
                f"{error.strerror or error}; check codec, crf, preset and pix_fmt"
            ) from error

    def _add_video(self) -> av.video.stream.VideoStream:
        info, plan = self.info, self.plan
        stream = self.output.add_stream(plan.codec, rate=info.fps, options=plan.options)
        stream.width, stream.height, stream.pix_fmt = info.width, info.height, plan.pix_fmt
        stream.time_base = info.time_base
        ctx = stream.codec_context
        ctx.time_base = info.time_base
        ctx.color_primaries, ctx.color_trc = plan.tags.color_primaries, plan.tags.color_trc
        ctx.colorspace, ctx.color_range = plan.tags.colorspace, plan.tags.color_range
        ctx.chroma_sample_location = plan.tags.chroma_location
        ctx.field_order = info.field_order
        if info.sample_aspect_ratio:
            ctx.sample_aspect_ratio = info.sample_aspect_ratio
        if info.display_matrix is not None:
            stream.set_display_matrix(list(info.display_matrix))
        self.stream = stream
        return stream

    def write(self, frame: Frame) -> None:
        picture = encoder_picture(frame, self.info, self.plan)
        self._mux(self.stream.encode(picture))
        nominal = 1 / (self.info.fps * frame.time_base)  # for frames whose duration the source left out
        self.last_end = (frame.pts + (frame.duration or nominal)) * frame.time_base
        if self.copier is not None:
            if self.copier.window_start is None:
                self.copier.window_start = frame.time
            self.copier.feed(frame.time)

    def _mux(self, packets: list[av.Packet]) -> None:
        for packet in packets:
            self.output.mux_one(packet)

    def finish(self) -> None:
        """Flush the encoder, copy the rest of the other streams, write the trailer."""
        self._mux(self.stream.encode(None))
        if self.copier is not None:
            self.copier.finish(self.last_end)
        self.output.close()

    def discard(self) -> None:
        """Close without caring whether the file is valid (it is deleted next)."""
        if self.copier is not None:
            self.copier.close()
        try:
            self.output.close()
        except (av.error.FFmpegError, OSError, ValueError):
            pass
