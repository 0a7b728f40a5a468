"""Pixel formats: every supported pix_fmt moves to planes and back bit for bit, padding and byte order included."""

from __future__ import annotations

import numpy as np
import pytest

from gpen_video.io.formats import (
    UnsupportedFormat,
    frame_from_planes,
    layout_of,
    planar_format,
    planes_from_frame,
    storage_format,
)
from gpen_video.io.frames import ColourTags, Layout
from gpen_video.io.tags import display_rotation, effective_matrix, effective_range

PLANAR_AND_PACKED = [
    "yuv420p", "yuvj420p", "yuv422p", "yuv444p", "yuv420p10le", "yuv422p10le", "yuv444p12le", "yuv420p16le",
    "yuv420p10be", "gray", "gray10le", "gray12le", "gray16le", "gray16be", "rgb24", "bgr24", "rgb48le",
    "rgb48be", "bgr48le", "gbrp", "gbrp10le", "gbrp12le", "gbrp16le", "gbrp10be", "rgba", "bgra", "argb",
    "rgba64be", "yuva420p", "yuva444p10le", "gbrap", "ya8", "ya16be", "yuv411p", "yuv440p", "rgb0",
]


def _random_planes(layout: Layout, width: int, height: int, low: int = 0, high: int | None = None):
    rng = np.random.default_rng(7)
    top = layout.max_code if high is None else high << (layout.bit_depth - 8)
    return [rng.integers(low, top + 1, shape, dtype=layout.dtype) for shape in layout.plane_shapes(width, height)]


@pytest.mark.parametrize("pix_fmt", PLANAR_AND_PACKED)
def test_planes_round_trip_exactly(pix_fmt: str) -> None:
    layout = layout_of(pix_fmt)
    planes = _random_planes(layout, 37, 23)  # odd sizes: chroma rounds up, rows are padded
    back = planes_from_frame(frame_from_planes(planes, layout, 37, 23), layout)
    assert len(back) == layout.plane_count
    for want, got in zip(planes, back, strict=True):
        assert got.dtype == layout.dtype and got.flags.owndata
        np.testing.assert_array_equal(got, want)


def test_rgb_planes_come_out_in_rgb_order() -> None:
    layout = layout_of("gbrp")
    planes = [np.full((2, 2), v, np.uint8) for v in (10, 20, 30)]  # R, G, B
    frame = frame_from_planes(planes, layout, 2, 2)
    assert frame.to_ndarray()[0, 0].tolist() == [10, 20, 30]  # PyAV's own RGB order
    packed = planes_from_frame(frame.reformat(format="bgr24", threads=1), layout_of("bgr24"))
    assert [int(p[0, 0]) for p in packed] == [10, 20, 30]


@pytest.mark.parametrize("pix_fmt", ["nv12", "p010le", "yuyv422", "uyvy422", "nv24", "x2rgb10le"])
def test_packed_formats_go_through_their_planar_twin(pix_fmt: str) -> None:
    layout = layout_of(pix_fmt)
    planar = layout_of(storage_format(layout))
    assert storage_format(layout) == planar_format(layout)
    planes = _random_planes(planar, 38, 24, low=16 if planar.family == "yuv" else 0,
                            high=235 if planar.family == "yuv" else None)
    packed = frame_from_planes(planes, planar, 38, 24).reformat(format=pix_fmt, threads=1)
    for want, got in zip(planes, planes_from_frame(packed, layout), strict=True):
        np.testing.assert_array_equal(got, want)


def test_layouts_of_common_formats() -> None:
    assert layout_of("yuv422p10le") == Layout("yuv", 10, (1, 0), False, "yuv422p10le")
    assert layout_of("p010le") == Layout("yuv", 10, (1, 1), False, "p010le")
    assert layout_of("rgba64le") == Layout("rgb", 16, (0, 0), True, "rgba64le")
    assert layout_of("monob").family == "gray"
    for unsupported in ("gbrpf32le", "grayf32le", "bayer_rggb8"):
        with pytest.raises(UnsupportedFormat):
            layout_of(unsupported)


def test_display_rotation_follows_ffmpeg() -> None:
    assert display_rotation((0, -65536, 0, 65536, 0, 0, 0, 0, 1 << 30)) == 90
    assert display_rotation((0, 65536, 0, -65536, 0, 0, 0, 0, 1 << 30)) == -90
    assert display_rotation((-65536, 0, 0, 0, -65536, 0, 0, 0, 1 << 30)) == 180
    assert display_rotation(None) == 0


def test_effective_colour_fills_untagged_sources_like_players() -> None:
    untagged, yuv = ColourTags(), layout_of("yuv420p")
    assert effective_matrix(untagged, yuv, 1080) == "bt709" and effective_matrix(untagged, yuv, 576) == "bt601"
    assert effective_matrix(ColourTags(colorspace=6), yuv, 1080) == "bt601"
    assert effective_matrix(ColourTags(colorspace=9), yuv, 480) == "bt2020nc"
    assert effective_matrix(untagged, layout_of("gbrp"), 480) == "rgb"
    assert effective_range(untagged, yuv) == "tv" and effective_range(untagged, layout_of("yuvj420p")) == "pc"
    assert effective_range(untagged, layout_of("rgb48be")) == "pc"
    assert effective_range(ColourTags(color_range=2), yuv) == "pc"
