"""Layout, VideoInfo and Frame: the documented fields, shapes and validation."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from gpen_video.io import Frame, Layout, VideoInfo


def test_layout_plane_shapes_round_chroma_up() -> None:
    assert Layout("yuv", 10, (1, 1), pix_fmt="yuv420p10le").plane_shapes(33, 17) == ((17, 33), (9, 17), (9, 17))
    assert Layout("yuv", 8, (1, 0)).plane_shapes(33, 17) == ((17, 33), (17, 17), (17, 17))
    assert Layout("rgb", 16, has_alpha=True).plane_shapes(4, 2) == ((2, 4),) * 4
    assert Layout("gray", 12).plane_shapes(4, 2) == ((2, 4),)


def test_layout_dtype_and_codes() -> None:
    assert Layout("yuv", 8).dtype == np.uint8
    assert Layout("yuv", 10).dtype == np.uint16 and Layout("yuv", 10).max_code == 1023
    assert Layout("gray", 16).max_code == 65535


@pytest.mark.parametrize("bad", [dict(family="xyz", bit_depth=8), dict(family="yuv", bit_depth=7),
                                 dict(family="rgb", bit_depth=8, subsampling=(1, 1))])
def test_layout_rejects_nonsense(bad: dict) -> None:
    with pytest.raises(ValueError):
        Layout(**bad)


def test_frame_validates_planes() -> None:
    planes = (np.zeros((4, 6), np.uint16), np.zeros((2, 3), np.uint16), np.zeros((2, 3), np.uint16))
    frame = Frame(index=3, pts=120, time_base=Fraction(1, 1000), planes=planes)
    assert (frame.width, frame.height, frame.time) == (6, 4, Fraction(3, 25))
    with pytest.raises(ValueError):
        Frame(0, 0, Fraction(1, 25), (np.zeros((4, 6), np.uint16), np.zeros((2, 3), np.uint8)))
    with pytest.raises(ValueError):
        Frame(0, 0, Fraction(1, 25), (np.zeros((4, 6), np.float32),))


def test_video_info_validates() -> None:
    layout = Layout("yuv", 8, (1, 1), pix_fmt="yuv420p")
    kwargs = dict(width=8, height=8, layout=layout, matrix="bt601", range="tv", primaries=None, transfer=None,
                  fps=Fraction(25), time_base=Fraction(1, 25), frame_count=None)
    assert VideoInfo(**kwargs).rotation == 0
    with pytest.raises(ValueError):
        VideoInfo(**{**kwargs, "range": "full"})
    with pytest.raises(ValueError):
        VideoInfo(**{**kwargs, "width": 0})
