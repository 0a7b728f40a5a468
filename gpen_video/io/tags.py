"""Colour tags and the display matrix: FFmpeg's enum values, their names, and the values to convert with.

Sources often leave tags unspecified; the writer copies them as they are (unspecified stays
unspecified), while ``effective_matrix``/``effective_range`` give the conversion a definite answer
with the guesses players make (BT.709 from 720 lines up, BT.601 below; tv range for YUV, pc for
RGB/gray and the JPEG ``yuvj`` formats).
"""

from __future__ import annotations

import math
import struct

from gpen_video.io.frames import ColourTags, Layout

# FFmpeg's names (av_color_*_name), by enum value. Values are ABI-stable.
PRIMARIES = {
    1: "bt709", 4: "bt470m", 5: "bt470bg", 6: "smpte170m", 7: "smpte240m", 8: "film", 9: "bt2020",
    10: "smpte428", 11: "smpte431", 12: "smpte432", 22: "ebu3213",
}
TRANSFERS = {
    1: "bt709", 4: "gamma22", 5: "gamma28", 6: "smpte170m", 7: "smpte240m", 8: "linear", 9: "log100",
    10: "log316", 11: "iec61966-2-4", 12: "bt1361e", 13: "iec61966-2-1", 14: "bt2020-10",
    15: "bt2020-12", 16: "smpte2084", 17: "smpte428", 18: "arib-std-b67",
}
COLORSPACES = {
    0: "gbr", 1: "bt709", 4: "fcc", 5: "bt470bg", 6: "smpte170m", 7: "smpte240m", 8: "ycgco",
    9: "bt2020nc", 10: "bt2020c", 11: "smpte2085", 12: "chroma-derived-nc", 13: "chroma-derived-c",
    14: "ictcp", 15: "ipt-c2", 16: "ycgco-re", 17: "ycgco-ro",
}
# The matrix names the colour module converts with; BT.470BG and SMPTE 170M are the same matrix.
_MATRIX = {0: "rgb", 1: "bt709", 4: "fcc", 5: "bt601", 6: "bt601", 7: "smpte240m", 8: "ycgco",
           9: "bt2020nc", 10: "bt2020c"}
# swscale's names for the same matrices (VideoFrame.reformat's src/dst_colorspace).
SWS_COLORSPACE = {"bt709": "itu709", "bt601": "itu601", "fcc": "fcc", "smpte240m": "smpte240m",
                  "bt2020nc": "bt2020", "bt2020c": "bt2020"}
RANGE_TV, RANGE_PC = 1, 2
COLORSPACE_BT709, COLORSPACE_RGB = 1, 0


def effective_matrix(tags: ColourTags, layout: Layout, height: int) -> str:
    """The matrix to convert with: the tagged one, else "rgb" for RGB, else BT.709 / BT.601 by height."""
    if layout.family == "rgb":
        return "rgb"
    if tags.colorspace in _MATRIX and tags.colorspace != 0:
        return _MATRIX[tags.colorspace]
    if tags.colorspace not in (0, 2, 3):
        return COLORSPACES.get(tags.colorspace, f"colorspace-{tags.colorspace}")
    return "bt709" if height >= 720 else "bt601"


def effective_range(tags: ColourTags, layout: Layout) -> str:
    """'tv' or 'pc': the tag when there is one, else pc for RGB, gray and ``yuvj`` formats, tv for YUV."""
    if tags.color_range in (RANGE_TV, RANGE_PC):
        return "tv" if tags.color_range == RANGE_TV else "pc"
    if layout.family != "yuv" or layout.pix_fmt.startswith("yuvj"):
        return "pc"
    return "tv"


def display_rotation(matrix: tuple[int, ...] | None) -> int:
    """Counter-clockwise degrees the display matrix turns the picture by (av_display_rotation_get)."""
    if matrix is None:
        return 0
    m = [float(v) for v in matrix]
    scale0, scale1 = math.hypot(m[0], m[3]), math.hypot(m[1], m[4])
    if scale0 == 0 or scale1 == 0:
        return 0
    degrees = -math.degrees(math.atan2(m[1] / scale1, m[0] / scale0))
    degrees = round(degrees) % 360
    return degrees - 360 if degrees > 180 else degrees


def unpack_display_matrix(raw: bytes | None) -> tuple[int, ...] | None:
    """The 9 int32 of a stream's display-matrix side data, None when absent or malformed."""
    if raw is None or len(raw) != 36:
        return None
    return struct.unpack("=9i", raw)
