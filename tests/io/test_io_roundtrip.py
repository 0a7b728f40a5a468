"""Read -> write round trips: same frames and timestamps, every other stream copied byte for byte,
same stream layout, languages and colour tags; lossless output bit-exact, lossy output close."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import av
import numpy as np
import pytest

from gpen_video.io import open_video, open_writer, probe
from gpen_video.options import EncodeOptions
from tests.media import make_video, stream_packets


def transcode(source: Path, target: Path, copy: bool = True, **options) -> list:
    """Our reader into our writer, as the pipeline does for a video with no faces; returns the frames."""
    options = EncodeOptions(**options)
    with open_video(source) as reader, open_writer(target, reader.info, options, source if copy else None) as writer:
        frames = []
        for frame in reader:
            writer.write(frame)
            frames.append(frame)
    return frames


def decoded(path: Path) -> list:
    with open_video(path) as reader:
        return list(reader)


def streams(path: Path) -> list[tuple]:
    with av.open(str(path)) as container:
        return [(s.type, s.language, s.metadata.get("title") or s.metadata.get("name"), int(s.disposition),
                 s.codec_context.name if s.codec_context is not None and s.type != "video" else None)
                for s in container.streams]


def colour(path: Path) -> tuple:
    with av.open(str(path)) as container:
        ctx = container.streams.video[0].codec_context
        return ctx.color_primaries, ctx.color_trc, ctx.colorspace, ctx.color_range, ctx.pix_fmt


def psnr_all(ours, theirs, peak: int) -> float:
    """PSNR over every sample of every plane (chroma compared where the output kept its size)."""
    errors = [(a.astype(np.float64) - b.astype(np.float64)).ravel() ** 2
              for a, b in zip(ours.planes, theirs.planes, strict=True) if a.shape == b.shape]
    mse = np.mean(np.concatenate(errors))
    return float("inf") if mse == 0 else 10 * np.log10(peak**2 / mse)


@pytest.mark.parametrize("name, suffix", [("h264_mp4", ".mp4"), ("hevc10_mkv", ".mkv"), ("vfr_mkv", ".mkv"),
                                          ("prores_mov", ".mov")])
def test_round_trip_keeps_everything(media, tmp_path, name: str, suffix: str) -> None:
    source, target = media[name], tmp_path / f"out{suffix}"
    frames = transcode(source, target)
    out = decoded(target)
    assert len(out) == len(frames) > 0
    assert [f.pts for f in out] == [f.pts for f in frames]
    assert stream_packets(target) == stream_packets(source)  # audio, subtitles: same bytes, same times
    assert streams(target) == streams(source)
    assert colour(target) == colour(source)
    before, after = probe(source), probe(target)
    assert (after.rotation, after.display_matrix, after.fps, after.layout) == (
        before.rotation, before.display_matrix, before.fps, before.layout)
    with av.open(str(source)) as a, av.open(str(target)) as b:
        assert {k: v for k, v in b.metadata.items() if k.lower() != "encoder"} == {
            k: v for k, v in a.metadata.items() if k.lower() != "encoder"}
        assert a.streams.video[0].metadata.get("timecode") == b.streams.video[0].metadata.get("timecode")
        assert b.chapters() == a.chapters()
        assert [s.data for s in b.streams if s.type == "attachment"] == [
            s.data for s in a.streams if s.type == "attachment"]
    assert [p.name for p in tmp_path.iterdir()] == [target.name]  # no temporary file left


def test_mov_timecode_travels_into_mkv_as_a_tag(media, tmp_path) -> None:
    transcode(media["prores_mov"], tmp_path / "out.mkv")
    assert [kind for kind, *_ in streams(tmp_path / "out.mkv")] == ["video", "audio"]  # no data stream
    with av.open(str(tmp_path / "out.mkv")) as container:
        assert container.streams.video[0].metadata.get("TIMECODE") == "01:00:00:00"
    payloads = [[data for _, data in stream_packets(path)[1]] for path in (tmp_path / "out.mkv", media["prores_mov"])]
    assert payloads[0] == payloads[1]  # same audio bytes; times rounded to Matroska's milliseconds


def test_round_trip_codec_follows_source(media, tmp_path) -> None:
    with open_video(media["prores_mov"]) as reader, open_writer(tmp_path / "o.mov", reader.info) as writer:
        assert (writer.codec, writer.pix_fmt) == ("prores_ks", "yuv422p10le")
        writer.abort()
    with open_video(media["hevc10_mkv"]) as reader, open_writer(tmp_path / "o.mp4", reader.info) as writer:
        assert (writer.codec, writer.pix_fmt) == ("libx265", "yuv420p10le")
        writer.abort()


@pytest.mark.parametrize("name", ["h264_mp4", "hevc10_mkv", "ffv1_16_mkv", "gbrp12_mkv"])
def test_lossless_is_bit_exact(media, tmp_path, name: str) -> None:
    target = tmp_path / "lossless.mkv"
    frames = transcode(media[name], target, copy=False, lossless=True)  # mkv cannot hold mp4's mov_text
    info = probe(target)
    assert info.codec == "ffv1" and info.layout == probe(media[name]).layout
    out = decoded(target)
    assert len(out) == len(frames)
    for ours, theirs in zip(out, frames, strict=True):
        for a, b in zip(ours.planes, theirs.planes, strict=True):
            np.testing.assert_array_equal(a, b)


def test_lossless_mp4_uses_x264_qp0(media, tmp_path) -> None:
    target = tmp_path / "lossless.mp4"
    frames = transcode(media["h264_mp4"], target, lossless=True)
    assert probe(target).codec == "h264"
    for ours, theirs in zip(decoded(target), frames, strict=True):
        for a, b in zip(ours.planes, theirs.planes, strict=True):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name, suffix, options", [
    ("h264_mp4", ".mp4", {}),
    ("hevc10_mkv", ".mkv", {}),
    ("prores_mov", ".mov", {}),
    ("hevc10_mkv", ".mov", {"codec": "prores_ks"}),  # 4:2:0 into ProRes 4:2:2: chroma upsampled, never lost
])
def test_lossy_output_is_close(media, tmp_path, name: str, suffix: str, options: dict) -> None:
    target = tmp_path / f"lossy{suffix}"
    frames = transcode(media[name], target, copy=suffix == media[name].suffix, **options)
    out = decoded(target)
    peak = (1 << probe(media[name]).layout.bit_depth) - 1
    scores = [psnr_all(a, b, peak) for a, b in zip(out, frames, strict=True)]
    assert min(scores) > 45, scores


def test_trimmed_read_copies_matching_audio(media, tmp_path) -> None:
    source, target = media["hevc10_mkv"], tmp_path / "part.mkv"
    with open_video(source, start=4, end=8) as reader, \
            open_writer(target, reader.info, EncodeOptions(), source) as writer:
        for frame in reader:
            writer.write(frame)
    out = decoded(target)
    assert [f.pts for f in out] == [160, 200, 240, 280]
    audio = stream_packets(target)[1]
    assert audio and all(0.1 <= float(t) < 0.32 for t, _ in audio)
    assert set(audio) <= set(stream_packets(source)[1])


def test_rgb_source_into_mp4_becomes_444_tagged_bt709(media, tmp_path) -> None:
    info = probe(media["gbrp12_mkv"])
    with open_video(media["gbrp12_mkv"]) as reader, open_writer(tmp_path / "rgb.mp4", reader.info) as writer:
        assert writer.codec == "libx265" and writer.pix_fmt in ("yuv444p12le", "gbrp12le")
        for frame in reader:
            writer.write(frame)
    assert probe(tmp_path / "rgb.mp4").layout.bit_depth == info.layout.bit_depth


def test_frames_from_another_time_base_are_rescaled(media, tmp_path) -> None:
    frames = decoded(media["h264_mp4"])  # 1/12800
    info = replace(probe(media["vfr_mkv"]), path="")  # 1/1000
    with open_writer(tmp_path / "o.mkv", replace(info, width=96, height=64)) as writer:
        for frame in frames:
            writer.write(frame)
    assert [f.pts for f in decoded(tmp_path / "o.mkv")] == [40 * i for i in range(len(frames))]


def test_full_range_into_prores_is_converted_to_tv_range(tmp_path) -> None:
    """ProRes carries no range flag (decoders read tv), so full-range codes must be converted, not relabelled."""
    source = make_video(tmp_path / "full.mp4", pix_fmt="yuvj420p", n_frames=2)
    frames = transcode(source, tmp_path / "out.mov", codec="prores_ks")
    out = decoded(tmp_path / "out.mov")
    assert probe(tmp_path / "out.mov").range == "tv"
    expected = 64 + frames[0].planes[0].astype(np.float64) * 876 / 255  # full 8-bit -> tv 10-bit luma
    assert np.abs(out[0].planes[0] - expected).mean() < 2
