"""VapourSynth clips and frames as the window engine sees them: a format record and planar numpy planes.

Integer clips go to the engine as they are (raw codes at their own bit depth, chroma subsampled), so
the engine converts colour with the clip's own matrix and range and composites in the clip's own
planes: pixels outside the face masks come back bit for bit. Float RGB (RGBH, RGBS) is quantised to
16-bit codes for the engine, and only the engine's change is added back in float (see ``write_planes``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

import numpy as np
import vapoursynth as vs

from gpen_video import colour
from gpen_video.io.formats import planar_format
from gpen_video.io.frames import ColourTags, Layout
from gpen_video.io.tags import RANGE_PC, RANGE_TV, effective_matrix, effective_range

_FLOAT_CODE_MAX = 65535  # float RGB travels as 16-bit codes
_FAMILIES = {vs.YUV: "yuv", vs.RGB: "rgb", vs.GRAY: "gray"}
_MATRIX_UNSPECIFIED = 2  # _Matrix codes are H.273's, as FFmpeg's colorspace values are


@dataclass(frozen=True)
class ClipFormat:
    """The engine's ``VideoFormat`` for a clip, plus how to carry its samples across."""

    width: int
    height: int
    layout: Layout
    matrix: str
    range: str
    frame_count: int
    float_rgb: bool  # RGBH/RGBS: samples travel as 16-bit codes


def check_clip(clip: object) -> vs.VideoNode:
    """The clip itself if the engine can take it, else a vs.Error that says what to convert to."""
    if not isinstance(clip, vs.VideoNode):
        raise vs.Error(f"gpen: clip must be a VideoNode, not {type(clip).__name__}")
    if clip.format is None or clip.format.id == vs.NONE:
        raise vs.Error("gpen: clips with a variable format are not supported; "
                       "convert every frame to one format first (e.g. core.resize.Bicubic(clip, format=...))")
    if clip.width == 0 or clip.height == 0:
        raise vs.Error("gpen: clips with a variable frame size are not supported; resize to one size first")
    clip_layout(clip.format)
    return clip


def clip_layout(fmt: vs.VideoFormat) -> Layout:
    """The engine's Layout for a VapourSynth format (float RGB as 16-bit codes), else a vs.Error."""
    if fmt.color_family not in _FAMILIES:
        raise vs.Error(f"gpen: unsupported colour family {fmt.color_family.name}")
    if fmt.sample_type == vs.FLOAT and fmt.color_family != vs.RGB:
        raise vs.Error(f"gpen: float {fmt.color_family.name} clips are not supported ({fmt.name}); "
                       "use RGBH/RGBS or an integer YUV/GRAY format")
    if fmt.sample_type == vs.INTEGER and not 8 <= fmt.bits_per_sample <= 16:
        raise vs.Error(f"gpen: {fmt.bits_per_sample}-bit clips are not supported ({fmt.name}); use 8 to 16 bits")
    bits = 16 if fmt.sample_type == vs.FLOAT else fmt.bits_per_sample
    try:
        layout = Layout(_FAMILIES[fmt.color_family], bits, (fmt.subsampling_w, fmt.subsampling_h))
        return replace(layout, pix_fmt=planar_format(layout))
    except (ValueError, KeyError):
        raise vs.Error(f"gpen: unsupported chroma subsampling of {fmt.name}; "
                       "use 4:2:0, 4:2:2, 4:4:4, 4:4:0, 4:1:1 or 4:1:0") from None


def clip_format(clip: vs.VideoNode, props: Mapping[str, Any]) -> ClipFormat:
    """The format record for a checked clip; ``props`` (a frame's) give the matrix and range."""
    layout = clip_layout(clip.format)
    matrix, range_ = colour_of(props, layout, clip.height)
    return ClipFormat(width=clip.width, height=clip.height, layout=layout, matrix=matrix, range=range_,
                      frame_count=clip.num_frames, float_rgb=clip.format.sample_type == vs.FLOAT)


def colour_of(props: Mapping[str, Any], layout: Layout, height: int) -> tuple[str, str]:
    """(matrix, range) to convert with, decided from the props exactly as the CLI decides from tags.

    ``_Matrix`` codes are FFmpeg's colorspace values, so ``io.tags`` gives the same answer for the
    same source (untagged: bt709 from 720 lines up, else bt601; limited YUV, full RGB and GRAY). A
    YUV matrix the colour conversion does not know is an error here rather than a silent guess.
    """
    tags = ColourTags(colorspace=int(props.get("_Matrix", _MATRIX_UNSPECIFIED)), color_range=_range_tag(props))
    matrix = effective_matrix(tags, layout, height)
    if layout.family == "yuv" and colour.resolve_matrix(matrix, height) != matrix:
        raise vs.Error(f"gpen: unsupported _Matrix {tags.colorspace} ({matrix}); tag or convert the clip to "
                       "bt709, bt601 (470bg/170m), bt2020nc, fcc or 240m "
                       "(e.g. core.resize.Bicubic(clip, matrix_s='709'))")
    return matrix, effective_range(tags, layout)


def _range_tag(props: Mapping[str, Any]) -> int:
    """FFmpeg's color_range (1 tv, 2 pc, 0 unspecified) from the frame's range prop.

    R81 replaced ``_ColorRange`` (0 = full, 1 = limited) with ``_Range``, which counts the other way
    round (H.273's full-range flag: 1 = full); R81 stores an old-style tag as ``_Range`` and answers
    reads of ``_ColorRange`` with the ``_Range`` value, so ``_Range`` is read first and never mixed up.
    """
    if "_Range" in props:
        prop, full_is = "_Range", 1
    elif "_ColorRange" in props:  # cores before R81
        prop, full_is = "_ColorRange", 0
    else:
        return 0
    value = int(props[prop])
    if value not in (0, 1):
        raise vs.Error(f"gpen: unsupported {prop} {value}; expected {full_is} (full) or {1 - full_is} (limited)")
    return RANGE_PC if value == full_is else RANGE_TV


def check_props(props: Mapping[str, Any], fmt: ClipFormat, index: int) -> None:
    """Every frame must carry the matrix and range the engine was set up with (those of frame 0)."""
    found = colour_of(props, fmt.layout, fmt.height)
    if found != (fmt.matrix, fmt.range):
        raise vs.Error(f"gpen: frame {index} is tagged {found[0]}/{found[1]} but frame 0 {fmt.matrix}/"
                       f"{fmt.range}; the matrix and range must not change within a clip "
                       "(set _Matrix and _Range with core.std.SetFrameProps)")


class ClipFrame:
    """One source frame as the engine reads it: ``index`` and planar ``planes``, made on first use.

    The planes are copied out of the VapourSynth frame lazily because the engine caches its per-frame
    work: in a sequential run it reads only the frames new to its caches and those it composites.
    ``cached_property`` (not ``property``) so the engine may replace ``planes`` on a copy of the object.
    """

    def __init__(self, index: int, frame: vs.VideoFrame, float_rgb: bool):
        self.index = index
        self._frame = frame
        self._float_rgb = float_rgb

    @cached_property
    def planes(self) -> tuple[np.ndarray, ...]:
        return read_planes(self._frame, self._float_rgb)


def read_planes(frame: vs.VideoFrame, float_rgb: bool) -> tuple[np.ndarray, ...]:
    """Planar copies of the frame's samples: raw integer codes, or float RGB as 16-bit codes."""
    planes = tuple(np.array(frame[p], copy=True) for p in range(frame.format.num_planes))
    if float_rgb:
        return tuple(_float_to_codes(p) for p in planes)
    return planes


def _float_to_codes(plane: np.ndarray) -> np.ndarray:
    # NaN would poison the engine's arithmetic: it reaches the engine as 0 and the output as NaN again.
    values = np.nan_to_num(plane.astype(np.float32), nan=0.0)
    return np.rint(np.clip(values, 0.0, 1.0) * _FLOAT_CODE_MAX).astype(np.uint16)


def write_planes(source: vs.VideoFrame, planes: tuple[np.ndarray, ...], float_rgb: bool) -> vs.VideoFrame:
    """A copy of ``source`` (props kept) carrying the engine's output planes.

    Float RGB gets the engine's change in 16-bit codes added to its own float samples, so wherever the
    engine left a pixel alone (everything outside the face masks) the output is the input's exact
    float value, out-of-range and sub-code detail included.
    """
    out = source.copy()
    for p, plane in enumerate(planes):
        target = np.asarray(out[p])
        if float_rgb:
            original = np.asarray(source[p])
            change = (plane.astype(np.float32) - _float_to_codes(original)) / _FLOAT_CODE_MAX
            target[...] = np.where(change != 0, original.astype(np.float32) + change, original)
        else:
            target[...] = plane
    return out
