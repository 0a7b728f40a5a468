"""The io helpers of split runs: keyframes from packets, reading one piece, joining parts losslessly."""

from __future__ import annotations

import numpy as np
import pytest
from scale_media import GOP, decoded, packets

import gpen_video.io.segments as segments
from gpen_video.errors import OutputError
from gpen_video.io import open_video, open_writer, probe
from gpen_video.io.join import join_parts
from gpen_video.io.segments import index_stream, keyframe_indices, open_range
from gpen_video.options import EncodeOptions


@pytest.fixture(scope="module")
def frames(synthetic_clip):
    with open_video(synthetic_clip) as reader:
        return list(reader)


def test_keyframes_are_found_without_decoding(synthetic_clip, frames):
    assert keyframe_indices(synthetic_clip) == list(range(0, 40, GOP))
    index = index_stream(synthetic_clip)
    assert list(index.pts) == [f.pts for f in frames]  # presentation order, though B-frames reorder


@pytest.mark.parametrize("start, stop", [(0, 5), (9, 20), (16, 17), (23, 40), (39, 40)])
def test_a_range_reads_the_frames_a_full_decode_gives(synthetic_clip, frames, start, stop):
    with open_range(index_stream(synthetic_clip).frame_range(start, stop)) as reader:
        got = list(reader)
    assert [f.index for f in got] == list(range(start, stop))
    for frame in got:
        whole = frames[frame.index]
        assert frame.pts == whole.pts
        assert all(np.array_equal(a, b) for a, b in zip(frame.planes, whole.planes, strict=True))


def test_a_range_decodes_from_its_keyframe_not_from_the_start(synthetic_clip, monkeypatch):
    seen = []
    decode = segments._decode
    monkeypatch.setattr(segments, "_decode", lambda packet, path: seen.extend(decode(packet, path)) or seen[-1:])
    with open_range(index_stream(synthetic_clip).frame_range(33, 36)) as reader:
        assert [f.index for f in reader] == [33, 34, 35]
    assert len(seen) <= 8  # the GOP from frame 32, not 36 frames from the start


def test_a_seek_that_lands_late_falls_back_to_an_earlier_point(synthetic_clip, frames):
    piece = index_stream(synthetic_clip).frame_range(9, 12)
    late = type(piece)(piece.path, piece.start, piece.pts, (frames[24].pts, *piece.seeks))
    with open_range(late) as reader:
        assert [f.index for f in reader] == [9, 10, 11]


@pytest.mark.parametrize("suffix, codec", [(".mkv", "ffv1"), (".mp4", "libx264"), (".mkv", "libx264")])
def test_joined_parts_equal_one_encode(synthetic_clip, frames, tmp_path, suffix, codec):
    info, options = probe(synthetic_clip), EncodeOptions(codec=codec, lossless=codec == "libx264")
    whole = tmp_path / f"whole{suffix}"
    with open_writer(whole, info, options, source=synthetic_clip) as writer:
        for frame in frames:
            writer.write(frame)
    parts = []
    for number, (a, b) in enumerate([(0, 16), (16, 24), (24, 40)]):
        parts.append(tmp_path / f"part-{number}{suffix}")
        with open_writer(parts[-1], info, options) as writer:  # video only
            for frame in frames[a:b]:
                writer.write(frame)
    joined = tmp_path / f"joined{suffix}"
    join_parts(parts, joined, info, source=synthetic_clip)
    assert decoded(joined) == decoded(whole)
    assert packets(joined, "audio") == packets(whole, "audio") != []


def test_parts_of_different_encodes_are_refused(synthetic_clip, frames, tmp_path):
    info = probe(synthetic_clip)
    parts = [tmp_path / "a.mkv", tmp_path / "b.mkv"]
    for path, codec in zip(parts, ["ffv1", "libx264"], strict=True):
        with open_writer(path, info, EncodeOptions(codec=codec)) as writer:
            writer.write(frames[0])
    with pytest.raises(OutputError, match="other codec parameters"):
        join_parts(parts, tmp_path / "joined.mkv", info)
    assert [p.name for p in tmp_path.iterdir() if "joined" in p.name] == []
