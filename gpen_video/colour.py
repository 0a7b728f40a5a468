"""Colour conversion between a frame's own planes and RGB, in torch on whatever device the planes are on.

The network sees RGB in [0,1]; the file keeps its own planes (Y'CbCr at 8..16 bits, planar RGB or gray).
Converting only here, batched and on the device, keeps rule 4 (no per-pixel numpy on the hot path), and
``rgb_to_planes`` returns *unrounded* codes so that the compositor can blend at plane resolution and
round once (rule 3: pixels outside the face masks keep their original codes).

Conventions (as ffmpeg and ITU-T H.273 write them):

- Matrix coefficients (Kr, Kb): bt601 = smpte170m = bt470bg, bt709, bt2020nc, fcc, smpte240m.
  "unknown"/"unspecified"/None, or a name we do not know, resolve as players do: bt709 for frames of
  height >= 720, bt601 below. bt2020c (constant luminance) is treated as bt2020nc (an approximation
  that only affects face colours, never untouched pixels).
- Range "tv" (limited): Y' = (219 E'y + 16) 2^(n-8), C = (224 E'p + 128) 2^(n-8). Range "pc" (full):
  Y' = (2^n - 1) E'y, C = (2^n - 1) E'p + 2^(n-1). Planar RGB in "tv" range scales all three planes like
  luma; gray uses the luma formula and gives R = G = B.
- Chroma siting: MPEG-2 "left" by default (ffmpeg's default for 4:2:0 and 4:2:2): chroma samples are
  co-sited with the even luma columns and, for 4:2:0, centred between two luma rows. "center"
  (JPEG/MPEG-1) and "topleft" (co-sited both ways) are also accepted. Upsampling is linear between
  chroma samples; downsampling is the matching average: a [1,2,1]/4 triangle over co-sited columns,
  a box over centred ones (edges replicated).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F

from gpen_video.errors import UsageError

# (Kr, Kb) per matrix name, ffmpeg spelling plus common aliases.
_MATRICES: dict[str, tuple[float, float]] = {
    "bt709": (0.2126, 0.0722),
    "bt601": (0.299, 0.114),
    "smpte170m": (0.299, 0.114),
    "bt470bg": (0.299, 0.114),
    "bt2020nc": (0.2627, 0.0593),
    "bt2020_ncl": (0.2627, 0.0593),
    "bt2020c": (0.2627, 0.0593),
    "bt2020_cl": (0.2627, 0.0593),
    "fcc": (0.30, 0.11),
    "smpte240m": (0.212, 0.087),
}
_CHROMA_LOCS = ("left", "center", "topleft")


def resolve_matrix(matrix: str | None, height: int) -> str:
    """The matrix name actually used: ``matrix`` if known, else what players assume for this height."""
    name = (matrix or "").lower()
    if name in _MATRICES:
        return name
    return "bt709" if height >= 720 else "bt601"


def _coefficients(matrix: str | None, height: int) -> tuple[float, float, float]:
    kr, kb = _MATRICES[resolve_matrix(matrix, height)]
    return kr, 1.0 - kr - kb, kb


def _scales(range_: str, bit_depth: int) -> tuple[float, float, float, float]:
    """(luma offset, luma scale, chroma offset, chroma scale) in codes, from normalised values."""
    if range_ == "tv":
        s = float(2 ** (bit_depth - 8))
        return 16.0 * s, 219.0 * s, 128.0 * s, 224.0 * s
    if range_ == "pc":
        full = float(2**bit_depth - 1)
        return 0.0, full, float(2 ** (bit_depth - 1)), full
    raise UsageError(f"unknown colour range: {range_!r} (expected 'tv' or 'pc')")


def _check_layout(layout: Any) -> tuple[str, int, int, int]:
    family, depth = layout.family, int(layout.bit_depth)
    log2w, log2h = (int(v) for v in layout.subsampling)
    if family not in ("yuv", "rgb", "gray"):
        raise UsageError(f"unknown pixel layout family: {family!r} (expected yuv, rgb or gray)")
    return family, depth, log2w, log2h


def _check_loc(chroma_loc: str) -> None:
    if chroma_loc not in _CHROMA_LOCS:
        raise UsageError(f"unknown chroma location: {chroma_loc!r} (expected one of {', '.join(_CHROMA_LOCS)})")


# -- chroma resampling ------------------------------------------------------------------------------


def _upsample_axis(x: torch.Tensor, log2: int, dim: int, size: int, cosited: bool) -> torch.Tensor:
    """Linear interpolation of ``x`` along ``dim`` to ``size`` samples, 2**log2 per input sample."""
    if log2 == 0:
        return x.narrow(dim, 0, size)
    f = 2**log2
    pos = torch.arange(size, device=x.device, dtype=torch.float32)
    pos = pos / f if cosited else (pos + 0.5) / f - 0.5
    n = x.shape[dim]
    i0 = pos.floor().clamp(0, n - 1)
    frac = (pos - pos.floor()).where(pos >= 0, torch.zeros_like(pos))
    i1 = (i0 + 1).clamp(max=n - 1)
    shape = [1] * x.dim()
    shape[dim] = size
    a = x.index_select(dim, i0.long())
    b = x.index_select(dim, i1.long())
    return torch.lerp(a, b, frac.view(shape))


def _downsample_axis(x: torch.Tensor, log2: int, dim: int, size: int, cosited: bool) -> torch.Tensor:
    """Average ``x`` along ``dim`` down to ``size`` samples with the filter matching the siting."""
    if log2 == 0:
        return x
    f = 2**log2
    if cosited:  # triangle of width 2f centred on sample f*i
        taps = torch.arange(-(f - 1), f, device=x.device, dtype=torch.float32)
        weights = (f - taps.abs()) / (f * f)
        left = f - 1
    else:  # box over samples f*i .. f*i+f-1
        weights = torch.full((f,), 1.0 / f, device=x.device)
        left = 0
    moved = x.movedim(dim, -1)
    lead = moved.shape[:-1]
    flat = moved.reshape(-1, 1, moved.shape[-1])
    right = size * f + len(weights) - 1 - left - flat.shape[-1]
    flat = F.pad(flat, (left, max(right, 0)), mode="replicate")
    out = F.conv1d(flat, weights.to(flat.dtype).view(1, 1, -1), stride=f)[..., :size]
    return out.reshape(*lead, size).movedim(-1, dim)


def upsample_chroma(c: torch.Tensor, subsampling: Sequence[int], size: tuple[int, int],
                    chroma_loc: str = "left") -> torch.Tensor:
    """Chroma plane(s) ``(..., h, w)`` to luma size ``(H, W)``, honouring the chroma siting."""
    _check_loc(chroma_loc)
    log2w, log2h = subsampling
    c = _upsample_axis(c, log2h, c.dim() - 2, size[0], cosited=chroma_loc == "topleft")
    return _upsample_axis(c, log2w, c.dim() - 1, size[1], cosited=chroma_loc != "center")


def subsample(x: torch.Tensor, subsampling: Sequence[int], chroma_loc: str = "left") -> torch.Tensor:
    """A full-size ``(..., H, W)`` float tensor averaged down to chroma size (ceil(H/2^v), ceil(W/2^h)).

    Used for chroma itself and for the compositing mask at chroma resolution, so both see the same
    footprint.
    """
    _check_loc(chroma_loc)
    log2w, log2h = subsampling
    h, w = x.shape[-2:]
    x = _downsample_axis(x, log2h, x.dim() - 2, -(-h // 2**log2h), cosited=chroma_loc == "topleft")
    return _downsample_axis(x, log2w, x.dim() - 1, -(-w // 2**log2w), cosited=chroma_loc != "center")


# -- planes <-> RGB ---------------------------------------------------------------------------------


def planes_to_rgb_batch(planes: Sequence[torch.Tensor], layout: Any, matrix: str | None, range: str,
                        chroma_loc: str = "left") -> torch.Tensor:
    """Planes ``(B, h_p, w_p)`` (integer codes or floats) -> RGB ``(B, 3, H, W)`` float32 in [0, 1].

    Extra planes (alpha) are ignored. Chroma is upsampled to the luma size first.
    """
    family, depth, log2w, log2h = _check_layout(layout)
    y_off, y_scale, c_off, c_scale = _scales(range, depth)
    first = planes[0].to(torch.float32)
    if family == "gray":
        y = (first - y_off) / y_scale
        return y.unsqueeze(1).expand(-1, 3, -1, -1).clamp(0.0, 1.0)
    if family == "rgb":
        rgb = torch.stack([p.to(torch.float32) for p in planes[:3]], dim=1)
        return ((rgb - y_off) / y_scale).clamp(0.0, 1.0)
    size = (first.shape[-2], first.shape[-1])
    chroma = torch.stack([p.to(torch.float32) for p in planes[1:3]], dim=1)
    chroma = upsample_chroma(chroma, (log2w, log2h), size, chroma_loc)
    kr, kg, kb = _coefficients(matrix, size[0])
    y = (first - y_off) / y_scale
    pb = (chroma[:, 0] - c_off) / c_scale
    pr = (chroma[:, 1] - c_off) / c_scale
    r = y + (2.0 * (1.0 - kr)) * pr
    b = y + (2.0 * (1.0 - kb)) * pb
    g = (y - kr * r - kb * b) / kg
    return torch.stack([r, g, b], dim=1).clamp(0.0, 1.0)


def planes_to_rgb(planes: Sequence[torch.Tensor], layout: Any, matrix: str | None, range: str,
                  chroma_loc: str = "left") -> torch.Tensor:
    """One frame's planes ``(h_p, w_p)`` -> RGB ``(3, H, W)`` float32 in [0, 1] (see the batched form)."""
    return planes_to_rgb_batch([p.unsqueeze(0) for p in planes], layout, matrix, range, chroma_loc)[0]


def rgb_to_planes(rgb: torch.Tensor, layout: Any, matrix: str | None, range: str,
                  chroma_loc: str = "left") -> list[torch.Tensor]:
    """RGB ``(..., 3, H, W)`` in [0, 1] -> colour planes ``(..., h_p, w_p)`` float32, unrounded codes.

    No alpha plane is produced; the compositor passes the original one through. Round with
    ``quantise`` once, after any blending.
    """
    family, depth, log2w, log2h = _check_layout(layout)
    y_off, y_scale, c_off, c_scale = _scales(range, depth)
    rgb = rgb.to(torch.float32)
    r, g, b = rgb.unbind(-3)
    if family == "rgb":
        return [v * y_scale + y_off for v in (r, g, b)]
    kr, kg, kb = _coefficients(matrix, rgb.shape[-2])
    y = kr * r + kg * g + kb * b
    if family == "gray":
        return [y * y_scale + y_off]
    pb = (b - y) / (2.0 * (1.0 - kb))
    pr = (r - y) / (2.0 * (1.0 - kr))
    chroma = subsample(torch.stack([pb, pr], dim=-3), (log2w, log2h), chroma_loc)
    return [y * y_scale + y_off, chroma.select(-3, 0) * c_scale + c_off, chroma.select(-3, 1) * c_scale + c_off]


def quantise(plane: torch.Tensor, bit_depth: int, dtype: torch.dtype = torch.int32) -> torch.Tensor:
    """Unrounded codes -> integer codes: round to nearest (ties to even), clamp to [0, 2^n - 1].

    int32 by default because torch's uint16 supports too few operations; callers convert to the
    file's uint16 with numpy.
    """
    top = float(2**bit_depth - 1)
    return torch.round(plane).clamp_(0.0, top).to(dtype)
