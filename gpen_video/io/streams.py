"""Copy every stream but the processed video from the source into the output, as packets.

Audio, subtitle, data and other video streams are remuxed without re-encoding, in the source's
stream order, with their languages, titles, dispositions; attachments (fonts) and the container's
metadata and chapters come along. Packets are read from a second demuxer of the source and muxed
as the encoded video reaches their time, so nothing is buffered beyond what the muxer interleaves.
A QuickTime timecode track travels as the video stream's "timecode" tag, from which the mov/mp4
muxer re-creates it (Matroska keeps it as a tag). A stream the output container cannot hold is an
error, never a silent drop.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from fractions import Fraction

import av

from gpen_video.errors import OutputError
from gpen_video.io.probe import open_input

# Tags that describe a stream's old encode or old length (mkvmerge statistics, encoder name): dropped for
# the re-encoded video, and for every stream of a trimmed copy.
_STATISTICS = {"DURATION", "BPS", "NUMBER_OF_FRAMES", "NUMBER_OF_BYTES"}
_MOV_FAMILY = ("mp4", "mov", "ipod", "3gp")
_ATTACHMENT_FORMATS = {"matroska", "webm"}


def _describe(stream: av.stream.Stream) -> str:
    codec = stream.codec_context.name if stream.codec_context is not None else None
    codec = codec or stream.metadata.get("handler_name") or stream.metadata.get("mimetype") or "?"
    language = f", language {stream.language}" if stream.language else ""
    return f"stream #{stream.index} ({stream.type} {codec}{language})"


def _is_timecode(stream: av.stream.Stream) -> bool:
    return stream.type == "data" and "timecode" in stream.metadata


class StreamCopier:
    """Mirror the source's streams into ``output`` and feed their packets in time order."""

    def __init__(self, source: str | os.PathLike[str], output: av.container.OutputContainer,
                 video_index: int, trimmed: bool) -> None:
        self.source = os.fspath(source)
        self.input = open_input(self.source)
        self.output = output
        self.video_index = video_index
        self.trimmed = trimmed  # copy only what overlaps the written frames
        self.window_start: Fraction | None = None
        self._targets: dict[int, av.stream.Stream] = {}
        self._packets = None
        self._pending: av.Packet | None = None
        # mov_text streams whose empty "gap" samples the mov/mp4 muxer re-creates by itself
        self._fillers = {s.index for s in self.input.streams if output.format.name in _MOV_FAMILY
                         and s.codec_context is not None and s.codec_context.name == "mov_text"}

    def add_streams(self, add_video: Callable[[], av.video.stream.VideoStream]) -> None:
        """Create the output's streams in the source's order, ``add_video`` at the video's place."""
        timecode = next((s.metadata["timecode"] for s in self.input.streams if _is_timecode(s)), None)
        for stream in self.input.streams:
            if stream.index == self.video_index:
                video = add_video()
                tags = {k: v for k, v in self._tags(stream, stale=True).items() if k.lower() != "encoder"}
                if timecode and "timecode" not in tags:
                    tags["timecode"] = timecode
                video.metadata.update(tags)
                video.disposition = stream.disposition
            elif not _is_timecode(stream):
                self._add(stream)
        self.output.metadata.update({k: v for k, v in self.input.metadata.items() if k.lower() != "encoder"})
        chapters = self.input.chapters()
        if chapters:
            self.output.set_chapters(chapters)
        if self._targets:
            self._packets = self.input.demux([self.input.streams[i] for i in self._targets])

    def _refuse(self, stream: av.stream.Stream) -> OutputError:
        suffix = os.path.splitext(self.source)[1] or "source"
        return OutputError(
            f"a {self.output.format.name} file cannot hold {_describe(stream)} of {self.source}: write a "
            f"{suffix} file (or another container that holds it); no stream is dropped silently"
        )

    def _add(self, stream: av.stream.Stream) -> None:
        fmt = self.output.format.name
        if stream.type == "attachment":
            if fmt not in _ATTACHMENT_FORMATS:
                raise self._refuse(stream)
            name = stream.metadata.get("filename") or f"attachment-{stream.index}"
            copy = self.output.add_attachment(name, stream.mimetype or "application/octet-stream", stream.data)
            copy.metadata.update(self._tags(stream))
            return
        if stream.type == "data" and fmt in _ATTACHMENT_FORMATS or stream.type == "unknown":
            raise self._refuse(stream)
        try:
            copy = self.output.add_stream_from_template(stream)
        except ValueError as error:
            raise self._refuse(stream) from error
        copy.metadata.update(self._tags(stream))
        copy.disposition = stream.disposition
        self._targets[stream.index] = copy

    def _tags(self, stream: av.stream.Stream, stale: bool = False) -> dict[str, str]:
        """The stream's tags as a muxer expects them (QuickTime demuxers call the title "name"), without
        the statistics tags when they no longer describe the stream (``stale``, or a trimmed copy)."""
        tags = dict(stream.metadata)
        if "mov" in self.input.format.name and "name" in tags and "title" not in tags:
            tags["title"] = tags.pop("name")
        if stale or self.trimmed:
            tags = {k: v for k, v in tags.items()
                    if k.upper() not in _STATISTICS and not k.upper().startswith("_STATISTICS")}
        return tags

    def _next(self) -> av.Packet | None:
        if self._pending is None and self._packets is not None:
            for packet in self._packets:
                if packet.size or packet.dts is not None:  # skip the demuxer's end-of-stream markers
                    self._pending = packet
                    break
            else:
                self._packets = None
        return self._pending

    def feed(self, until: Fraction | None) -> None:
        """Mux the source's packets up to time ``until`` (seconds; None: all that are left)."""
        while (packet := self._next()) is not None:
            stamp = packet.dts if packet.dts is not None else packet.pts
            start = None if stamp is None else stamp * Fraction(packet.time_base)
            if until is not None and start is not None and start > until:
                return
            self._pending = None
            if self.trimmed and not self._inside(packet, start, until) or self._is_filler(packet):
                continue
            packet.stream = self._targets[packet.stream_index]
            self.output.mux_one(packet)

    def _is_filler(self, packet: av.Packet) -> bool:
        """An empty mov_text sample: the mov/mp4 muxer writes its own into every gap, so copying the
        source's would double them."""
        return packet.stream_index in self._fillers and packet.size == 2 and bytes(packet) == b"\x00\x00"

    def _inside(self, packet: av.Packet, start: Fraction | None, end: Fraction | None) -> bool:
        """For a trimmed read: does the packet overlap [first written frame, ``end``)?"""
        if start is None:
            return True
        if self.window_start is not None:
            length = (packet.duration or 0) * Fraction(packet.time_base)
            if start + length <= self.window_start and not (length == 0 and start == self.window_start):
                return False
        return end is None or start < end

    def finish(self, video_end: Fraction | None) -> None:
        """Mux what is left (for a trimmed read, only what starts before the video's end)."""
        if self.trimmed and video_end is not None:
            self.feed(video_end)
            self._packets, self._pending = None, None
        else:
            self.feed(None)
        self.close()

    def close(self) -> None:
        self.input.close()
