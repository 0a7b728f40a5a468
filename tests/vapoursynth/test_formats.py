"""VapourSynth formats and frame props -> the engine's format record and planes."""

from __future__ import annotations

import numpy as np
import pytest
import vapoursynth as vs
from vs_clips import clip_from_planes
from vsgpen._formats import check_clip, clip_format, colour_of, read_planes

from gpen_video.io.frames import Layout

YUV = Layout("yuv", 8, (1, 1))


@pytest.mark.parametrize(("fmt", "family", "bits", "subsampling", "pix_fmt"), [
    (vs.RGB24, "rgb", 8, (0, 0), "gbrp"),
    (vs.RGB30, "rgb", 10, (0, 0), "gbrp10le"),
    (vs.RGB42, "rgb", 14, (0, 0), "gbrp14le"),
    (vs.RGB48, "rgb", 16, (0, 0), "gbrp16le"),
    (vs.RGBH, "rgb", 16, (0, 0), "gbrp16le"),
    (vs.RGBS, "rgb", 16, (0, 0), "gbrp16le"),
    (vs.YUV420P8, "yuv", 8, (1, 1), "yuv420p"),
    (vs.YUV420P9, "yuv", 9, (1, 1), "yuv420p9le"),
    (vs.YUV420P10, "yuv", 10, (1, 1), "yuv420p10le"),
    (vs.YUV422P12, "yuv", 12, (1, 0), "yuv422p12le"),
    (vs.YUV444P16, "yuv", 16, (0, 0), "yuv444p16le"),
    (vs.YUV410P8, "yuv", 8, (2, 2), "yuv410p"),
    (vs.GRAY8, "gray", 8, (0, 0), "gray"),
    (vs.GRAY16, "gray", 16, (0, 0), "gray16le"),
])
def test_layout_from_format(fmt, family: str, bits: int, subsampling: tuple, pix_fmt: str) -> None:
    clip = check_clip(vs.core.std.BlankClip(width=40, height=24, format=fmt, length=7))
    record = clip_format(clip, {})
    assert record.layout == Layout(family, bits, subsampling, False, pix_fmt)
    assert (record.width, record.height, record.frame_count) == (40, 24, 7)
    assert record.float_rgb == (clip.format.sample_type == vs.FLOAT)


@pytest.mark.parametrize(("props", "height", "expected"), [
    ({"_Matrix": 1}, 480, "bt709"),
    ({"_Matrix": 5}, 1080, "bt601"),
    ({"_Matrix": 6}, 1080, "bt601"),
    ({"_Matrix": 9}, 480, "bt2020nc"),
    ({"_Matrix": 2}, 1080, "bt709"),  # unspecified: by height, as the CLI guesses for untagged files
    ({"_Matrix": 2}, 576, "bt601"),
    ({}, 720, "bt709"),
    ({}, 512, "bt601"),
])
def test_matrix_from_props(props: dict, height: int, expected: str) -> None:
    assert colour_of(props, YUV, height)[0] == expected


@pytest.mark.parametrize("code", [8, 12, 14])
def test_matrices_the_engine_cannot_read_are_errors_for_yuv_only(code: int) -> None:
    with pytest.raises(vs.Error, match=f"gpen: unsupported _Matrix {code}"):
        colour_of({"_Matrix": code}, YUV, 16)
    assert colour_of({"_Matrix": code}, Layout("rgb", 8), 16) == ("rgb", "pc")


@pytest.mark.parametrize(("props", "layout", "expected"), [
    ({"_Range": 1}, YUV, "pc"),  # R81: H.273's full-range flag
    ({"_Range": 0}, Layout("rgb", 8), "tv"),
    ({"_ColorRange": 0}, YUV, "pc"),  # older cores: 0 = full
    ({"_ColorRange": 1}, YUV, "tv"),
    ({}, YUV, "tv"),  # untagged: as the CLI decides for untagged files
    ({}, Layout("gray", 8), "pc"),
    ({}, Layout("rgb", 16), "pc"),
])
def test_range_from_props(props: dict, layout: Layout, expected: str) -> None:
    assert colour_of(props, layout, 16)[1] == expected


def test_bad_range_value_is_an_error() -> None:
    with pytest.raises(vs.Error, match="gpen: unsupported _Range 3"):
        colour_of({"_Range": 3}, YUV, 16)


def test_range_tags_as_r81_stores_them() -> None:
    clip = vs.core.std.BlankClip(width=8, height=8, format=vs.YUV420P8, length=1)
    full = clip.resize.Point(range_s="full", range_in_s="limited").get_frame(0).props
    limited = clip.resize.Point(range_s="limited", range_in_s="full").get_frame(0).props
    assert (colour_of(full, YUV, 8)[1], colour_of(limited, YUV, 8)[1]) == ("pc", "tv")


def test_props_of_the_first_frame_set_the_format() -> None:
    clip = vs.core.std.BlankClip(width=64, height=48, format=vs.YUV420P10, length=2)
    clip = clip.std.SetFrameProps(_Matrix=9, _Range=vs.RANGE_FULL)
    record = clip_format(clip, clip.get_frame(0).props)
    assert (record.matrix, record.range) == ("bt2020nc", "pc")


@pytest.mark.parametrize("fmt", [vs.YUV420P8, vs.YUV422P10, vs.RGB48, vs.GRAY16])
def test_integer_planes_are_raw_codes(fmt) -> None:
    rng = np.random.default_rng(0)
    ref = vs.core.std.BlankClip(width=10, height=6, format=fmt, length=1).format
    dtype = np.uint8 if ref.bytes_per_sample == 1 else np.uint16
    planes = tuple(rng.integers(0, 2**ref.bits_per_sample, (6 >> (p and ref.subsampling_h),
                                                             10 >> (p and ref.subsampling_w))).astype(dtype)
                   for p in range(ref.num_planes))
    got = read_planes(clip_from_planes([planes], fmt).get_frame(0), float_rgb=False)
    assert [g.dtype for g in got] == [dtype] * ref.num_planes
    assert all(np.array_equal(g, p) for g, p in zip(got, planes, strict=True))


@pytest.mark.parametrize("fmt", [vs.RGBH, vs.RGBS])
def test_float_rgb_travels_as_16_bit_codes(fmt) -> None:
    values = np.array([[-0.5, 0.0, 0.25, 1.0, 1.5, np.nan]], np.float32)
    clip = clip_from_planes([(values, values, values)], fmt)
    got = read_planes(clip.get_frame(0), float_rgb=True)
    assert got[0].dtype == np.uint16
    assert got[0].tolist() == [[0, 0, 16384, 65535, 65535, 0]]
