"""VapourSynth clips and frames as the window engine sees them: a format record and planar numpy planes.

Integer clips go to the engine as they are (raw codes at their own bit depth, chroma subsampled), so
the engine converts colour with the clip's own matrix and range and composites in the clip's own
planes: pixels outside the face masks come back bit for bit. Float RGB (RGBH, RGBS) is quantised to
16-bit codes for the engine, and only the engine's change is added back in float (see ``write_planes``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import vapoursynth as vs

from gpen_video import colour

ENGINE_BITS = (8, 10, 12, 16)  # the bit depths the engine's planes may have
_FLOAT_CODE_MAX = 65535  # float RGB travels as 16-bit codes

# VapourSynth _Matrix codes (ITU-T H.273) -> the names gpen_video.colour takes (FFmpeg's spelling)
_MATRICES = {1: "bt709", 4: "fcc", 5: "bt470bg", 6: "smpte170m", 7: "smpte240m", 9: "bt2020nc", 10: "bt2020c"}
_MATRIX_UNSPECIFIED = 2
_CHROMA_NAMES = {(0, 0): "444", (1, 0): "422", (1, 1): "420", (0, 1): "440", (2, 0): "411", (2, 2): "410"}


@dataclass(frozen=True)
class ClipFormat:
    """The engine's ``VideoFormat`` for a clip, plus how to carry its samples across."""

    width: int
    height: int
    layout: Any  # gpen_video's Layout
    matrix: str
    range: str
    frame_count: int
    float_rgb: bool  # RGBH/RGBS: samples travel as 16-bit codes


def check_clip(clip: object) -> vs.VideoNode:
    """The clip itself if the engine can take it, else a vs.Error that says what to convert to."""
    if not isinstance(clip, vs.VideoNode):
        raise vs.Error(f"gpen: clip must be a VideoNode, not {type(clip).__name__}")
    fmt = clip.format
    if fmt is None or fmt.id == vs.NONE:
        raise vs.Error("gpen: clips with a variable format are not supported; "
                       "convert every frame to one format first (e.g. core.resize.Bicubic(clip, format=...))")
    if clip.width == 0 or clip.height == 0:
        raise vs.Error("gpen: clips with a variable frame size are not supported; resize to one size first")
    if fmt.color_family not in (vs.YUV, vs.RGB, vs.GRAY):
        raise vs.Error(f"gpen: unsupported colour family {fmt.color_family.name}")
    if fmt.sample_type == vs.FLOAT:
        if fmt.color_family != vs.RGB:
            raise vs.Error(f"gpen: float {fmt.color_family.name} clips are not supported ({fmt.name}); "
                           "use RGBH/RGBS or an integer YUV/GRAY format")
    elif fmt.bits_per_sample not in ENGINE_BITS:
        raise vs.Error(f"gpen: {fmt.bits_per_sample}-bit clips are not supported ({fmt.name}); "
                       "use 8, 10, 12 or 16 bits (e.g. core.resize.Point(clip, format=vs.YUV420P10))")
    if fmt.color_family == vs.YUV and (fmt.subsampling_w, fmt.subsampling_h) not in _CHROMA_NAMES:
        raise vs.Error(f"gpen: unsupported chroma subsampling of {fmt.name}")
    return clip


def clip_format(clip: vs.VideoNode, props: Mapping[str, Any], layout_type: type) -> ClipFormat:
    """The format record for a checked clip; ``props`` are those of a frame (matrix and range)."""
    fmt = clip.format
    float_rgb = fmt.sample_type == vs.FLOAT
    family = {vs.YUV: "yuv", vs.RGB: "rgb", vs.GRAY: "gray"}[fmt.color_family]
    bits = 16 if float_rgb else fmt.bits_per_sample
    subsampling = (fmt.subsampling_w, fmt.subsampling_h)
    layout = layout_type(family=family, bit_depth=bits, subsampling=subsampling, has_alpha=False,
                         pix_fmt=_pix_fmt(family, bits, subsampling))
    return ClipFormat(width=clip.width, height=clip.height, layout=layout,
                      matrix=matrix_name(props, clip.width, clip.height, family),
                      range=range_name(props, family), frame_count=clip.num_frames, float_rgb=float_rgb)


def _pix_fmt(family: str, bits: int, subsampling: tuple[int, int]) -> str:
    """The FFmpeg name of the equivalent planar format (the planes themselves are always R,G,B order)."""
    depth = "" if bits == 8 else f"{bits}le"
    if family == "gray":
        return f"gray{depth}"
    if family == "rgb":
        return f"gbrp{depth}"
    return f"yuv{_CHROMA_NAMES[subsampling]}p{depth}"


def matrix_name(props: Mapping[str, Any], width: int, height: int, family: str = "yuv") -> str:
    """The YUV matrix from ``_Matrix``; unspecified or absent is resolved from the size as the CLI does.

    RGB and GRAY frames need no matrix (gray is luma only), so any tag is accepted there.
    """
    code = int(props.get("_Matrix", _MATRIX_UNSPECIFIED))
    if code in _MATRICES:
        return _MATRICES[code]
    if code == _MATRIX_UNSPECIFIED or family != "yuv":
        return colour.resolve_matrix(None, height)
    try:
        name = vs.MatrixCoefficients(code).name
    except ValueError:
        name = str(code)
    raise vs.Error(f"gpen: unsupported _Matrix {name}; tag or convert the clip to bt709, bt601 (470bg/170m), "
                   "bt2020nc, fcc or 240m (e.g. core.resize.Bicubic(clip, matrix_s='709', matrix_in_s=...))")


def range_name(props: Mapping[str, Any], family: str) -> str:
    """``"pc"`` (full) or ``"tv"`` (limited) from the range prop; absent: limited YUV/GRAY, full RGB.

    R81 replaced ``_ColorRange`` (0 = full, 1 = limited) with ``_Range``, which counts the other way
    round (H.273's full-range flag: 1 = full); R81 stores an old-style tag as ``_Range`` and answers
    reads of ``_ColorRange`` with the ``_Range`` value, so ``_Range`` is read first and never mixed up.
    """
    if "_Range" in props:
        full = _flag(props["_Range"], "_Range", full_is=1)
    elif "_ColorRange" in props:  # cores before R81
        full = _flag(props["_ColorRange"], "_ColorRange", full_is=0)
    else:
        full = family == "rgb"
    return "pc" if full else "tv"


def _flag(value: Any, prop: str, full_is: int) -> bool:
    if int(value) not in (0, 1):
        raise vs.Error(f"gpen: unsupported {prop} {int(value)}; expected {full_is} (full) or "
                       f"{1 - full_is} (limited)")
    return int(value) == full_is


def check_props(props: Mapping[str, Any], fmt: ClipFormat, index: int) -> None:
    """Every frame must carry the matrix and range the engine was set up with (those of frame 0)."""
    family = fmt.layout.family
    found = (matrix_name(props, fmt.width, fmt.height, family), range_name(props, family))
    if found != (fmt.matrix, fmt.range):
        raise vs.Error(f"gpen: frame {index} is tagged {found[0]}/{found[1]} but frame 0 {fmt.matrix}/"
                       f"{fmt.range}; the matrix and range must not change within a clip "
                       "(set _Matrix and _Range with core.std.SetFrameProps)")


class ClipFrame:
    """One source frame as the engine reads it: ``index`` and planar ``planes``, made on first use.

    The planes are copied out of the VapourSynth frame lazily because the engine caches its per-frame
    work and, in a sequential run, reads the planes of only one or two of the 2K+1 frames it is given.
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
    # NaN would poison the engine's arithmetic; it becomes 0, and stays NaN outside faces on the way back.
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
