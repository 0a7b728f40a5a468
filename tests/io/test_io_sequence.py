"""Image sequences: 8- and 16-bit PNG/TIFF (and DPX) in and out, patterns and folders, exact values."""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np
import pytest

from gpen_video.errors import InputError, InputNotFoundError, OutputError
from gpen_video.io import open_video, open_writer, probe
from gpen_video.options import EncodeOptions
from tests.media import make_image_sequence, picture


def test_png16_folder_reads_exact_codes(media) -> None:
    info = probe(media["png16"])
    assert (info.layout.family, info.layout.bit_depth, info.layout.pix_fmt) == ("rgb", 16, "rgb48be")
    assert (info.frame_count, info.fps, info.time_base, info.range) == (5, Fraction(25), Fraction(1, 25), "pc")
    with open_video(media["png16"]) as reader:
        frames = list(reader)
    assert [f.pts for f in frames] == [0, 1, 2, 3, 4]
    for i, frame in enumerate(frames):
        rgb = picture(i, 48, 32)
        for channel in range(3):
            np.testing.assert_array_equal(frame.planes[channel], rgb[:, :, channel])


def test_tiff_pattern_with_fps_and_start_number(media) -> None:
    pattern = media["tif16"] / "scan_%04d.tif"
    info = probe(pattern, fps=Fraction(24000, 1001))
    assert info.start_number == 100 and info.frame_count == 4 and info.fps == Fraction(24000, 1001)
    assert info.layout.bit_depth == 16 and info.codec == "tiff"
    with open_video(pattern, fps=24, start=1, end=3) as reader:
        assert [(f.index, f.pts, f.time_base) for f in reader] == [(1, 1, Fraction(1, 24)), (2, 2, Fraction(1, 24))]


@pytest.mark.parametrize("pattern, pix_fmt", [("%06d.png", "rgb48be"), ("%06d.png", "rgb24"), ("%06d.png", "gray16be"),
                                              ("%04d.tif", "rgb48le"), ("%04d.tif", "rgb24"),
                                              ("%05d.dpx", "gbrp10le")])
def test_sequence_round_trip_is_exact(tmp_path, pattern: str, pix_fmt: str) -> None:
    make_image_sequence(tmp_path / "in", pattern, pix_fmt, n_frames=3, start_number=7)
    out = tmp_path / "out" / pattern
    with open_video(tmp_path / "in") as reader, open_writer(out, reader.info) as writer:
        frames = list(reader)
        for frame in frames:
            writer.write(frame)
    assert writer.pix_fmt == pix_fmt  # the same format out as in
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [pattern % n for n in (7, 8, 9)]
    with open_video(out) as reader:
        for ours, theirs in zip(reader, frames, strict=True):
            for a, b in zip(ours.planes, theirs.planes, strict=True):
                np.testing.assert_array_equal(a, b)


def test_video_to_16_bit_png_folder(media, tmp_path) -> None:
    folder = tmp_path / "frames"
    with open_video(media["hevc10_mkv"]) as reader, open_writer(folder, reader.info) as writer:
        for frame in reader:
            writer.write(frame)
    assert writer.pix_fmt == "rgb48be"  # 10-bit YUV keeps its depth as 16-bit RGB
    names = sorted(p.name for p in folder.iterdir())
    assert names[0] == "000000.png" and len(names) == 12
    assert probe(folder).layout.bit_depth == 16


def test_existing_sequence_is_refused_then_replaced(tmp_path) -> None:
    make_image_sequence(tmp_path / "in", "%03d.png", "rgb24", n_frames=2)
    make_image_sequence(tmp_path / "out", "%03d.png", "rgb24", n_frames=4)
    info = probe(tmp_path / "in")
    with pytest.raises(OutputError, match="exists"):
        open_writer(tmp_path / "out" / "%03d.png", info)
    with open_video(tmp_path / "in") as reader, \
            open_writer(tmp_path / "out" / "%03d.png", info, EncodeOptions(overwrite=True)) as writer:
        for frame in reader:
            writer.write(frame)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["000.png", "001.png"]  # no stale frames


def test_sequence_output_over_its_input_is_refused(tmp_path) -> None:
    make_image_sequence(tmp_path / "in", "%03d.png", "rgb24", n_frames=2)
    info = probe(tmp_path / "in" / "%03d.png")
    with pytest.raises(OutputError, match="input"):
        open_writer(tmp_path / "in" / "%03d.png", info, EncodeOptions(overwrite=True))


def test_interrupted_sequence_leaves_nothing(tmp_path) -> None:
    make_image_sequence(tmp_path / "in", "%03d.png", "rgb24", n_frames=3)
    with pytest.raises(KeyboardInterrupt), open_video(tmp_path / "in") as reader, \
            open_writer(tmp_path / "new", reader.info) as writer:
        for frame in reader:
            writer.write(frame)
            raise KeyboardInterrupt
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]


def test_sequence_errors(tmp_path) -> None:
    with pytest.raises(InputNotFoundError):
        probe(tmp_path / "missing" / "%04d.png")
    make_image_sequence(tmp_path / "gap", "%03d.png", "rgb24", n_frames=4)
    (tmp_path / "gap" / "002.png").unlink()
    with pytest.raises(InputError, match="002.png"):
        open_video(tmp_path / "gap")
    make_image_sequence(tmp_path / "mixed", "a%03d.png", "rgb24", n_frames=1)
    make_image_sequence(tmp_path / "mixed", "b%03d.tif", "rgb24", n_frames=1)
    with pytest.raises(InputError, match="several"):
        probe(tmp_path / "mixed")
    make_image_sequence(tmp_path / "sizes", "%03d.png", "rgb24", n_frames=2)
    make_image_sequence(tmp_path / "other", "%03d.png", "rgb24", n_frames=1, size=(20, 20))
    (tmp_path / "other" / "000.png").replace(tmp_path / "sizes" / "002.png")
    with pytest.raises(InputError, match="002.png"), open_video(tmp_path / "sizes") as reader:
        list(reader)


def test_image_decoder_output_matches_pyav(media) -> None:
    with av.open(str(media["tif16"] / "scan_0101.tif")) as container:
        reference = next(container.decode(video=0)).to_ndarray()
    with open_video(media["tif16"], start=1, end=2) as reader:
        frame = next(iter(reader))
    np.testing.assert_array_equal(np.stack(frame.planes, axis=-1), reference)
