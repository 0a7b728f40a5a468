"""Make real media for tests with PyAV: videos with audio, subtitles, VFR, colour tags; image sequences.

Shared by the I/O tests and the end-to-end tests (``from tests.media import make_video``). Pictures
are smooth moving gradients with a disc (lossy codecs reach high PSNR on them), made at 16 bits in
RGB and converted by swscale to the pix_fmt asked for; every maker is deterministic.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

QUIET = {"libx265": {"x265-params": "log-level=error"}}
AUDIO_RATE = 48000


def picture(index: int, width: int, height: int) -> np.ndarray:
    """A (height, width, 3) uint16 RGB picture that moves with ``index``."""
    x = np.arange(width, dtype=np.float32)[None, :]
    y = np.arange(height, dtype=np.float32)[:, None]
    t = index / 10.0
    r = np.broadcast_to(0.5 + 0.4 * np.sin(2 * np.pi * (x / width + t / 3)), (height, width))
    g = np.broadcast_to(0.5 + 0.4 * np.cos(2 * np.pi * (y / height - t / 5)), (height, width))
    cx, cy = width * (0.3 + 0.4 * ((index * 7) % 10) / 10), height / 2
    disc = ((x - cx) ** 2 + (y - cy) ** 2) < (min(width, height) / 4) ** 2
    b = np.where(disc, np.float32(0.85), 0.2 + 0.3 * x / width)
    rgb = np.stack([r, g, b], axis=-1)
    return np.round(rgb * 65535).astype(np.uint16)


def video_frame(index: int, width: int, height: int, pix_fmt: str) -> av.VideoFrame:
    rgb = av.VideoFrame.from_ndarray(picture(index, width, height), format="rgb48le")
    return rgb.reformat(format=pix_fmt) if pix_fmt != "rgb48le" else rgb


def vfr_pts(frames: int, fps: int) -> list[int]:
    """Irregular presentation times in milliseconds: frame durations cycle 1, 2, 1, 3 frame periods."""
    step = 1000 // fps
    pts, now = [], 0
    for i in range(frames):
        pts.append(now)
        now += step * (1, 2, 1, 3)[i % 4]
    return pts


def make_video(
    path: str | os.PathLike[str],
    codec: str = "libx264",
    pix_fmt: str = "yuv420p",
    n_frames: int = 12,
    size: tuple[int, int] = (96, 64),
    fps: int = 25,
    audio_tracks: Sequence[str] = (),
    subtitle: str | None = None,
    vfr: bool = False,
    colour: dict[str, int] | None = None,
    rotation: int | None = None,
    options: dict[str, str] | None = None,
    metadata: dict[str, str] | None = None,
    audio_codec: str | None = None,
    container_options: dict[str, str] | None = None,
    attachment: tuple[str, str, bytes] | None = None,
    chapters: Sequence[tuple[int, int, str]] = (),
) -> Path:
    """Write a video; ``audio_tracks`` are language codes (one stereo track each), ``subtitle`` a language.

    ``colour`` sets codec-context tags (color_primaries, color_trc, colorspace, color_range);
    ``vfr`` gives irregular timestamps in a 1/1000 time base; ``container_options`` go to the muxer
    (e.g. ``{"movflags": "faststart"}``); ``attachment`` is (file name, mimetype, data), Matroska only;
    ``chapters`` are (start ms, end ms, title).
    """
    path = Path(path)
    with av.open(str(path), "w", container_options=container_options or {}) as container:
        video = container.add_stream(codec, rate=fps, options={**QUIET.get(codec, {}), **(options or {})})
        video.width, video.height, video.pix_fmt = size[0], size[1], pix_fmt
        time_base = Fraction(1, 1000) if vfr else Fraction(1, fps)
        video.codec_context.time_base = time_base
        for name, value in (colour or {}).items():
            setattr(video.codec_context, name, value)
        if rotation is not None:
            video.set_display_rotation(rotation)
        audio = [_add_audio(container, language, audio_codec) for language in audio_tracks]
        text = _add_subtitle(container, subtitle) if subtitle else None
        container.metadata.update(metadata or {})
        if attachment is not None:
            container.add_attachment(*attachment)
        if chapters:
            container.set_chapters([{"id": i + 1, "start": a, "end": b, "time_base": Fraction(1, 1000),
                                     "metadata": {"title": title}} for i, (a, b, title) in enumerate(chapters)])
        stamps = vfr_pts(n_frames, fps) if vfr else list(range(n_frames))
        _write_video(container, video, stamps, time_base)
        end = (stamps[-1] + (stamps[-1] - stamps[-2] if len(stamps) > 1 else 1)) * time_base
        for i, stream in enumerate(audio):
            _write_audio(container, stream, end, tone=220 * (i + 1))
        if text is not None:
            _write_subtitles(container, text, end)
    return path


def _write_video(container: av.container.OutputContainer, video: av.stream.Stream, stamps: list[int],
                 time_base: Fraction) -> None:
    for i, pts in enumerate(stamps):
        frame = video_frame(i, video.width, video.height, video.pix_fmt)
        frame.pts, frame.time_base = pts, time_base
        container.mux(video.encode(frame))
    container.mux(video.encode(None))


def _add_audio(container: av.container.OutputContainer, language: str, codec: str | None) -> av.stream.Stream:
    name = codec or ("pcm_s24le" if container.format.name == "mov" else "aac")
    stream = container.add_stream(name, rate=AUDIO_RATE)
    stream.layout = "stereo"
    stream.metadata["language"] = language
    stream.metadata["title"] = f"{language} mix"
    return stream


def _write_audio(container: av.container.OutputContainer, stream: av.audio.stream.AudioStream,
                 seconds: Fraction, tone: float) -> None:
    samples, block = int(seconds * AUDIO_RATE), 1024
    fmt = stream.codec_context.codec.audio_formats[0].name if stream.codec_context.codec.audio_formats else "fltp"
    for start in range(0, samples, block):
        t = (np.arange(start, start + block) / AUDIO_RATE)[None, :]
        wave = np.repeat(0.25 * np.sin(2 * np.pi * tone * t), 2, axis=0).astype(np.float32)
        frame = av.AudioFrame.from_ndarray(wave, format="fltp", layout="stereo")
        frame.sample_rate, frame.pts = AUDIO_RATE, start
        if fmt != "fltp":
            frame = av.AudioResampler(format=fmt, layout="stereo", rate=AUDIO_RATE).resample(frame)[0]
            frame.pts = start
        container.mux(stream.encode(frame))
    container.mux(stream.encode(None))


def _add_subtitle(container: av.container.OutputContainer, language: str) -> av.stream.Stream:
    codec = "mov_text" if container.format.name in ("mp4", "mov") else "subrip"
    stream = container.add_mux_stream(codec)
    stream.time_base = Fraction(1, 1000)
    stream.metadata["language"] = language
    return stream


def _write_subtitles(container: av.container.OutputContainer, stream: av.stream.Stream, seconds: Fraction) -> None:
    """Subtitle packets muxed as they are (PyAV has no text-subtitle encoder that needs no header)."""
    mov_text = container.format.name in ("mp4", "mov")
    lines = [b"First line.", b"Second line, a bit later."]
    span = int(seconds * 1000) // (len(lines) + 1)
    for i, text in enumerate(lines):
        payload = len(text).to_bytes(2, "big") + text if mov_text else text
        packet = av.Packet(payload)
        packet.stream = stream
        packet.pts = packet.dts = i * span + 10
        packet.duration = span // 2
        packet.time_base = Fraction(1, 1000)
        container.mux(packet)


def make_image_sequence(folder: str | os.PathLike[str], pattern: str = "%06d.png", pix_fmt: str = "rgb48be",
                        n_frames: int = 5, size: tuple[int, int] = (48, 32), start_number: int = 0,
                        codec: str | None = None) -> list[Path]:
    """Write numbered images (PNG, TIFF or DPX by extension) into ``folder``; returns their paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    name = codec or {".png": "png", ".tif": "tiff", ".tiff": "tiff", ".dpx": "dpx"}[Path(pattern).suffix]
    paths = []
    for i in range(n_frames):
        context = av.CodecContext.create(name, "w")
        context.width, context.height, context.pix_fmt = size[0], size[1], pix_fmt
        context.time_base = Fraction(1, 25)
        frame = video_frame(i, size[0], size[1], pix_fmt)
        frame.pts = 0
        packets = context.encode(frame) + context.encode(None)
        path = folder / (pattern % (start_number + i))
        path.write_bytes(b"".join(bytes(p) for p in packets))
        paths.append(path)
    return paths


def truncate(source: str | os.PathLike[str], target: str | os.PathLike[str], keep: float = 0.6) -> Path:
    """A copy of ``source`` cut after ``keep`` of its bytes, as a failed transfer leaves it."""
    data = Path(source).read_bytes()
    target = Path(target)
    target.write_bytes(data[: int(len(data) * keep)])
    return target


def stream_packets(path: str | os.PathLike[str]) -> dict[int, list[tuple[int | None, bytes]]]:
    """(pts, payload) of every packet of every non-video stream, by stream index, for comparisons."""
    packets: dict[int, list[tuple[int | None, bytes]]] = {}
    with av.open(str(path)) as container:
        others = [s for s in container.streams if s.type in ("audio", "subtitle", "data")]
        for packet in container.demux(others):
            if packet.size:
                tb = Fraction(packet.time_base)
                stamp = None if packet.pts is None else packet.pts * tb
                packets.setdefault(packet.stream_index, []).append((stamp, bytes(packet)))
    return packets
