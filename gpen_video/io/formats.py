"""Pixel formats: which Layout a pix_fmt is, and lossless moves between PyAV frames and planar arrays.

Planar formats are read straight from the plane buffers (row padding cut off, byte order fixed);
packed RGB/gray-alpha formats are split channel by channel; anything else (nv12, p010, yuyv422,
pal8, monob, ...) is first converted by swscale to the planar format of the same depth and
subsampling, which for those formats is a reordering, not a resampling.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import av
import numpy as np

from gpen_video.io.frames import Layout

# Packed formats: the channel letters in memory order. "X" is padding.
_PACKED = {
    "rgb24": "RGB", "bgr24": "BGR", "rgba": "RGBA", "bgra": "BGRA", "argb": "ARGB", "abgr": "ABGR",
    "rgb0": "RGBX", "bgr0": "BGRX", "0rgb": "XRGB", "0bgr": "XBGR",
    "rgb48le": "RGB", "rgb48be": "RGB", "bgr48le": "BGR", "bgr48be": "BGR",
    "rgba64le": "RGBA", "rgba64be": "RGBA", "bgra64le": "BGRA", "bgra64be": "BGRA",
    "ya8": "YA", "ya16le": "YA", "ya16be": "YA",
}
_FLOAT = re.compile(r"f(16|32|64)(le|be)?$")
_SUBSAMPLING = {(1, 1): "420", (1, 0): "422", (0, 0): "444", (0, 1): "440", (2, 0): "411", (2, 2): "410"}


class UnsupportedFormat(ValueError):
    """A pix_fmt with no integer planar equivalent (float, Bayer, hardware, bitstream)."""


def layout_of(pix_fmt: str) -> Layout:
    """The Layout a frame of ``pix_fmt`` decodes to; raises UnsupportedFormat for float/Bayer/hw formats."""
    fmt = av.VideoFormat(pix_fmt)
    if _FLOAT.search(pix_fmt) or fmt.is_bayer or fmt.is_bit_stream and pix_fmt not in ("monob", "monow"):
        raise UnsupportedFormat(pix_fmt)
    comps = fmt.components
    if not comps:
        raise UnsupportedFormat(pix_fmt)
    alpha = any(c.is_alpha for c in comps)
    colour = [c for c in comps if not c.is_alpha]
    if fmt.has_palette:
        family, depth = "rgb", 8
    else:
        family = "gray" if len(colour) == 1 else "rgb" if fmt.is_rgb else "yuv"
        depth = max(8, max(c.bits for c in colour))
    if depth > 16:
        raise UnsupportedFormat(pix_fmt)
    sub = (0, 0)
    if family == "yuv":
        sub = (_log2_ratio(fmt.chroma_width(4096)), _log2_ratio(fmt.chroma_height(4096)))
    return Layout(family, depth, sub, alpha and not fmt.has_palette, pix_fmt)


def _log2_ratio(chroma: int) -> int:
    return {4096: 0, 2048: 1, 1024: 2}[chroma]


def planar_format(layout: Layout) -> str:
    """The planar pix_fmt with the layout's family, depth, subsampling and alpha (e.g. gbrap12le)."""
    depth = "" if layout.bit_depth == 8 else f"{layout.bit_depth}le"
    if layout.family == "gray":
        if layout.has_alpha:
            return "ya8" if layout.bit_depth == 8 else "ya16le"
        return "gray" + depth
    if layout.family == "rgb":
        return ("gbrap" if layout.has_alpha else "gbrp") + depth
    alpha = "a" if layout.has_alpha else ""
    return f"yuv{alpha}{_SUBSAMPLING[layout.subsampling]}p{depth}"


def is_addressable(pix_fmt: str) -> bool:
    """Whether planes can be copied straight in and out of frames of ``pix_fmt`` (no swscale)."""
    if pix_fmt in _PACKED:
        return True
    fmt = av.VideoFormat(pix_fmt)
    comps = fmt.components
    if fmt.has_palette or fmt.is_bit_stream or _FLOAT.search(pix_fmt):
        return False
    planes = [c.plane for c in comps]
    # One component per plane, and samples that fill whole bytes (no p010-style MSB packing).
    if len(set(planes)) != len(planes) or any(c.bits not in (8, 9, 10, 12, 14, 16) for c in comps):
        return False
    bytes_per_sample = 1 if comps[0].bits <= 8 else 2
    return fmt.bits_per_pixel <= 8 * bytes_per_sample * len(comps)


def storage_format(layout: Layout) -> str:
    """The pix_fmt the planes are copied from/into: the source's own if addressable, else planar."""
    return layout.pix_fmt if layout.pix_fmt and is_addressable(layout.pix_fmt) else planar_format(layout)


def _rows(plane: av.video.plane.VideoPlane, width_bytes: int) -> np.ndarray:
    """The plane's rows as a (height, width_bytes) uint8 view, padding cut, bottom-up rows flipped."""
    line = plane.line_size
    raw = np.frombuffer(plane, dtype=np.uint8)
    rows = raw[: abs(line) * plane.height].reshape(plane.height, abs(line))[:, :width_bytes]
    return rows[::-1] if line < 0 else rows


def _sample_dtype(fmt: av.VideoFormat, bits: int) -> np.dtype:
    if bits <= 8:
        return np.dtype(np.uint8)
    return np.dtype(">u2" if fmt.is_big_endian else "<u2")


def _packed_order(pix_fmt: str, layout: Layout) -> list[int]:
    """Memory channel index of each Frame plane (R,G,B[,A] or Y[,A])."""
    letters = _PACKED[pix_fmt]
    wanted = ("Y" if layout.family == "gray" else "RGB") + ("A" if layout.has_alpha else "")
    return [letters.index(ch) for ch in wanted]


def planes_from_frame(frame: av.VideoFrame, layout: Layout) -> tuple[np.ndarray, ...]:
    """Copy a decoded frame's samples out as planar arrays (owning their memory) in Frame order."""
    fmt_name = storage_format(layout)
    if frame.format.name != fmt_name:
        frame = frame.reformat(format=fmt_name, threads=SWSCALE_THREADS)
    fmt = frame.format
    out_dtype = layout.dtype
    comps = fmt.components
    if fmt_name in _PACKED:
        bits = comps[0].bits
        dtype = _sample_dtype(fmt, bits)
        channels = len(_PACKED[fmt_name])
        rows = _rows(frame.planes[0], frame.width * channels * dtype.itemsize)
        pixels = rows.view(dtype).reshape(frame.height, frame.width, channels)
        return tuple(pixels[:, :, i].astype(out_dtype) for i in _packed_order(fmt_name, layout))
    planes = []
    for comp in comps:  # components are in Y,U,V / R,G,B / Y order, alpha last
        plane = frame.planes[comp.plane]
        dtype = _sample_dtype(fmt, comp.bits)
        rows = _rows(plane, plane.width * dtype.itemsize)
        planes.append(rows.view(dtype).astype(out_dtype))
    return tuple(planes)


# swscale's sliced threads were seen to leave a band of rows unconverted under load (a packed <-> planar
# conversion, intermittently); one thread is exact every time, and these conversions are cheap.
SWSCALE_THREADS = 1


def frame_from_planes(planes: Sequence[np.ndarray], layout: Layout, width: int, height: int) -> av.VideoFrame:
    """A new VideoFrame in ``storage_format(layout)`` holding the planes (values copied, not scaled)."""
    fmt_name = storage_format(layout)
    frame = av.VideoFrame(width, height, fmt_name)
    fmt = frame.format
    comps = fmt.components
    if fmt_name in _PACKED:
        dtype = _sample_dtype(fmt, comps[0].bits)
        channels = len(_PACKED[fmt_name])
        rows = _rows(frame.planes[0], width * channels * dtype.itemsize)
        pixels = rows.view(dtype).reshape(height, width, channels)
        if "X" in _PACKED[fmt_name]:
            pixels[:, :, _PACKED[fmt_name].index("X")] = 0xFF
        for plane, channel in zip(planes, _packed_order(fmt_name, layout), strict=True):
            pixels[:, :, channel] = plane
        return frame
    for comp, array in zip(comps, planes, strict=True):
        plane = frame.planes[comp.plane]
        dtype = _sample_dtype(fmt, comp.bits)
        _rows(plane, plane.width * dtype.itemsize).view(dtype)[:] = array
    return frame
