"""Reading: VideoInfo, frames equal to a plain PyAV decode, timestamps, ranges, and clear failures."""

from __future__ import annotations

import threading
from fractions import Fraction

import av
import numpy as np
import pytest

from gpen_video.errors import InputError, InputNotFoundError, UsageError
from gpen_video.io import open_video, probe


def _pyav_planes(path, count: int | None = None) -> list[tuple[int, list[np.ndarray]]]:
    """An independent decode: (pts, planes) with the padding cut, for comparisons."""
    out = []
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            planes = []
            for plane in frame.planes:
                dtype = np.uint16 if plane.line_size >= 2 * plane.width and frame.format.components[0].bits > 8 \
                    else np.uint8
                rows = np.frombuffer(plane, np.uint8).reshape(plane.height, plane.line_size)
                planes.append(rows[:, : plane.width * np.dtype(dtype).itemsize].view(dtype))
            out.append((frame.pts, planes))
            if count and len(out) == count:
                break
    return out


def test_probe_h264(media) -> None:
    info = probe(media["h264_mp4"])
    assert (info.width, info.height, info.fps, info.frame_count) == (96, 64, Fraction(25), 12)
    assert info.layout.pix_fmt == "yuv420p" and info.layout.bit_depth == 8 and info.layout.subsampling == (1, 1)
    assert (info.matrix, info.range, info.primaries, info.transfer) == ("bt601", "tv", None, None)
    assert info.codec == "h264" and info.rotation == 0 and info.stream_index == 0


def test_probe_keeps_colour_tags_and_rotation(media) -> None:
    hevc = probe(media["hevc10_mkv"])
    assert hevc.layout.bit_depth == 10 and hevc.frame_count is None  # Matroska states no count
    assert (hevc.matrix, hevc.range, hevc.primaries, hevc.transfer) == ("bt2020nc", "tv", "bt2020", "smpte2084")
    assert (hevc.tags.color_primaries, hevc.tags.color_trc, hevc.tags.colorspace) == (9, 16, 9)
    prores = probe(media["prores_mov"])
    assert prores.rotation == 90 and prores.display_matrix is not None
    assert prores.layout.pix_fmt == "yuv422p10le" and prores.profile == "HQ"


@pytest.mark.parametrize("name", ["h264_mp4", "hevc10_mkv", "prores_mov", "ffv1_16_mkv", "gbrp12_mkv"])
def test_frames_equal_a_plain_decode(media, name: str) -> None:
    reference = _pyav_planes(media[name])
    with open_video(media[name]) as reader:
        frames = list(reader)
        assert reader.info.frame_count == len(reference)
    assert [f.index for f in frames] == list(range(len(reference)))
    assert [f.pts for f in frames] == [pts for pts, _ in reference]
    layout = reader.info.layout
    for frame, (_, planes) in zip(frames, reference, strict=True):
        assert frame.planes[0].dtype == layout.dtype
        order = [2, 0, 1] if layout.family == "rgb" else range(len(planes))  # gbrp stores G, B, R
        for ours, index in zip(frame.planes, order, strict=True):
            np.testing.assert_array_equal(ours, planes[index])


def test_vfr_timestamps_are_kept(media) -> None:
    with open_video(media["vfr_mkv"]) as reader:
        pts = [f.pts for f in reader]
    assert pts == [p for p, _ in _pyav_planes(media["vfr_mkv"])]
    assert len(set(np.diff(pts))) > 1


def test_start_end_select_frames_by_index(media) -> None:
    with open_video(media["h264_mp4"], start=3, end=7) as reader:
        assert reader.info.frame_count == 4 and reader.info.trim == (3, 7)
        frames = list(reader)
    assert [f.index for f in frames] == [3, 4, 5, 6]
    assert [f.pts for f in frames] == [3 * 512, 4 * 512, 5 * 512, 6 * 512]
    with pytest.raises(UsageError):
        open_video(media["h264_mp4"], start=5, end=5)


def test_closing_early_stops_the_decode_thread(media) -> None:
    before = {t.ident for t in threading.enumerate()}
    with open_video(media["hevc10_mkv"]) as reader:
        next(iter(reader))
    assert {t.ident for t in threading.enumerate() if t.name == "gpen-decode"} - before == set()


def test_missing_and_unreadable_inputs(media, tmp_path) -> None:
    with pytest.raises(InputNotFoundError, match="input not found"):
        open_video(tmp_path / "nope.mp4")
    with pytest.raises(FileNotFoundError):  # the builtin still catches it
        probe(tmp_path / "nope.mp4")
    text = tmp_path / "notes.mp4"
    text.write_text("not a video")
    with pytest.raises(InputError, match="cannot read"):
        probe(text)
    with pytest.raises(InputError, match="has no video stream"):
        open_video(media["audio_only"])


def test_truncated_files_fail_clearly(media) -> None:
    with pytest.raises(InputError, match="cannot read"):  # moov atom at the end: cut off
        probe(media["truncated_moov_last"])
    for name in ("truncated_mkv", "truncated_mp4"):
        frames = []
        with pytest.raises(InputError, match="truncated") as caught, open_video(media[name]) as reader:
            frames.extend(reader)
        assert frames, "the frames that are there come first"
        assert f"first {len(frames)} frames" in str(caught.value)
    with open_video(media["truncated_mkv"], end=2) as reader:
        assert len(list(reader)) == 2  # a range inside what is there reads without complaint
