"""Film-scan fidelity: keep the source's grain, colour and monochrome on restored faces.

Face restorers fail film restorers three known ways: a clean "plastic" face pasted into a grainy frame,
a colour cast on faces in black-and-white footage, and no honest control of how far to go. These are
the remedies, all pure tensor functions that are deterministic per frame (grain is seeded by the frame
index), so the window rule and VapourSynth random access still hold:

- ``match_colour``: the restored face keeps the source's white balance and exposure (crop space);
- ``detail_only``: low frequencies from the source, fine detail from GPEN (crop space);
- ``is_monochrome``: a frame whose chroma is flat; the engine then writes the luma plane only;
- ``add_grain``: grain measured on the source around and under the face, synthesised to match and
  added to the restored face layer at the frame's own pixel scale (frame space, inside the mask).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from gpen_video.errors import UsageError
from gpen_video.restore.mask import gaussian_blur, gaussian_kernel

_YCC = torch.tensor([[0.299, 0.587, 0.114], [-0.168736, -0.331264, 0.5], [0.5, -0.418688, -0.081312]])
MONO_TOLERANCE = 1.5 / 255  # largest chroma deviation (98th percentile, in [0,1]) a monochrome frame shows
DETAIL_SIGMA = 1.0 / 64  # detail-only split, as a fraction of the crop side (8 px at 512)
COLOUR_SIGMA = 1.0 / 16  # colour match works on this low pass of the crop
GRAIN_SIGMA = 1.5  # px: the high-pass that separates grain from picture, in frame pixels
GRAIN_BLOCK = 16  # px: grain is measured per block, the flattest blocks deciding
GRAIN_PERCENTILE = 0.1
_PERCENTILE_BIAS = 0.943  # the 10th percentile of 256-sample std estimates of pure noise, in stds


def parse_grain(value: str | float | None) -> float:
    """``--grain``: "auto" = 1.0 x the measured grain, "off" = 0, or a number (a multiplier)."""
    if value is None or value == "off":
        return 0.0
    if value == "auto":
        return 1.0
    try:
        amount = float(value)
    except (TypeError, ValueError):
        raise UsageError(f"grain must be auto, off or a number, not {value!r}") from None
    if not 0.0 <= amount <= 4.0 or math.isnan(amount):
        raise UsageError(f"grain must be between 0 and 4, not {amount}")
    return amount


def to_ycc(rgb: torch.Tensor) -> torch.Tensor:
    """RGB (..., 3, H, W) -> Y, Cb, Cr (BT.601 weights, chroma centred on 0); only for statistics."""
    return torch.einsum("ij,...jhw->...ihw", _YCC.to(rgb.device, rgb.dtype), rgb)


def from_ycc(ycc: torch.Tensor) -> torch.Tensor:
    return torch.einsum("ij,...jhw->...ihw", torch.linalg.inv(_YCC).to(ycc.device, ycc.dtype), ycc)


def _blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Gaussian blur of (N, C, H, W) per channel, edges reflected."""
    kernel = gaussian_kernel(2 * math.ceil(3 * sigma) + 1, sigma, x.device)
    n, c, h, w = x.shape
    return gaussian_blur(x.reshape(n * c, 1, h, w), kernel).reshape(n, c, h, w)


def match_colour(restored: torch.Tensor, source: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Give restored crops (N, 3, S, S) the source's low-frequency colour and exposure inside ``mask``.

    The mask-weighted means of Y, Cb and Cr of the blurred crops are matched (a shift, so no detail
    changes); chroma spread is matched too, so a pale or oversaturated face is brought back.
    """
    sigma = max(1.0, COLOUR_SIGMA * restored.shape[-1])
    r, s = to_ycc(_blur(restored.float(), sigma)), to_ycc(_blur(source.float(), sigma))
    weight = mask.float().expand(restored.shape[0], 1, *restored.shape[-2:])
    total = weight.sum(dim=(2, 3), keepdim=True).clamp_min(1e-6)
    mean_r, mean_s = (r * weight).sum((2, 3), keepdim=True) / total, (s * weight).sum((2, 3), keepdim=True) / total
    std_r = (((r - mean_r) ** 2 * weight).sum((2, 3), keepdim=True) / total).sqrt()
    std_s = (((s - mean_s) ** 2 * weight).sum((2, 3), keepdim=True) / total).sqrt()
    gain = torch.ones_like(std_r)
    gain[:, 1:] = (std_s[:, 1:] / std_r[:, 1:].clamp_min(1e-4)).clamp(0.5, 2.0)  # chroma only
    ycc = to_ycc(restored.float())
    matched = (ycc - mean_r) * gain + mean_s
    return from_ycc(matched).clamp(0.0, 1.0)


def detail_only(restored: torch.Tensor, source: torch.Tensor, sigma: float = DETAIL_SIGMA) -> torch.Tensor:
    """Low frequencies from the source, fine detail from GPEN: "restore, don't replace"."""
    px = max(0.5, sigma * restored.shape[-1])
    return (_blur(source.float(), px) + restored.float() - _blur(restored.float(), px)).clamp(0.0, 1.0)


def is_monochrome(planes: Sequence[torch.Tensor], family: str, bit_depth: int) -> bool:
    """Whether a frame carries no colour: a gray format, or chroma (U,V / R-G,B-G) flat everywhere."""
    if family == "gray":
        return True
    scale = float((1 << bit_depth) - 1)
    if family == "yuv":
        deviations = [(p.float() / scale - 0.5 * (1 << bit_depth) / scale).abs() for p in planes[1:3]]
    else:
        r, g, b = (p.float() / scale for p in planes[:3])
        deviations = [(r - g).abs(), (b - g).abs()]
    flat = torch.cat([d.flatten() for d in deviations])
    sample = flat[:: max(1, flat.numel() // 200_000)]  # quantile needs a bounded input
    return bool(torch.quantile(sample, 0.98) <= MONO_TOLERANCE)


def luma_only(restored: torch.Tensor, source: torch.Tensor) -> torch.Tensor:
    """The restored luma with the source's chroma, in RGB (for monochrome frames in RGB families)."""
    ycc = to_ycc(source.float())
    ycc[..., :1, :, :] = to_ycc(restored.float())[..., :1, :, :]
    return from_ycc(ycc).clamp(0.0, 1.0)


def grain_std(image: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Noise std (3,) in Y/Cb/Cr of image (3, H, W), measured where ``weight`` (1, H, W) > 0.5.

    The high-pass residual's std is taken per GRAIN_BLOCK square block and the flattest blocks decide
    (a low percentile): picture texture raises a block's std, grain is everywhere.
    """
    ycc = to_ycc(image.float())[None]
    residual = (ycc - _blur(ycc, GRAIN_SIGMA))[0] / _HIGHPASS_KEEP
    b = GRAIN_BLOCK
    h, w = (residual.shape[1] // b) * b, (residual.shape[2] // b) * b
    if h == 0 or w == 0:
        return torch.zeros(3, device=image.device)
    blocks = residual[:, :h, :w].reshape(3, h // b, b, w // b, b).permute(0, 1, 3, 2, 4).reshape(3, -1, b * b)
    inside = (weight[0, :h, :w] > 0.5).reshape(h // b, b, w // b, b).permute(0, 2, 1, 3).reshape(-1, b * b)
    full = inside.all(dim=1)
    if int(full.sum()) < 4:
        return torch.zeros(3, device=image.device)
    stds = blocks[:, full].std(dim=2)
    return torch.quantile(stds, GRAIN_PERCENTILE, dim=1) / _PERCENTILE_BIAS


def add_grain(layer: torch.Tensor, background: torch.Tensor, mask: torch.Tensor, seed: int,
              amount: float = 1.0) -> torch.Tensor:
    """Grain like the source's on the restored face ``layer`` (3, H, W), over a frame region.

    ``background`` is the source over the same region and ``mask`` (1, H, W) the face mask there. The
    grain is measured on the source under and around the faces, the restored layer's own residual
    noise is subtracted in quadrature, and white Gaussian noise per Y/Cb/Cr channel (seeded by
    ``seed``, so the same frame always gets the same grain) is added inside the mask.
    """
    if amount <= 0.0:
        return layer
    wanted = grain_std(background, torch.ones_like(mask)) * amount
    present = grain_std(layer, mask)
    missing = (wanted**2 - present**2).clamp_min(0.0).sqrt()
    if float(missing.max()) <= 0.0:
        return layer
    generator = torch.Generator().manual_seed(int(seed))
    noise = torch.randn((3, *layer.shape[-2:]), generator=generator).to(layer.device)
    grain = from_ycc(noise * missing.view(3, 1, 1)) - from_ycc(torch.zeros_like(noise))
    return (layer + grain * (mask > 0)).clamp(0.0, 1.0)


def _highpass_keep() -> float:
    """Share of white noise's std that the ``GRAIN_SIGMA`` high-pass (delta - K, K = k outer k) keeps."""
    k = gaussian_kernel(2 * math.ceil(3 * GRAIN_SIGMA) + 1, GRAIN_SIGMA, "cpu").double()
    centre = float(k[len(k) // 2]) ** 2
    return math.sqrt(1.0 - 2.0 * centre + float((k**2).sum()) ** 2)


_HIGHPASS_KEEP = _highpass_keep()


def seed_for(frame: int, salt: int = 0x5EED) -> int:
    """The grain seed of a frame: a fixed function of its number, so random access repeats it."""
    return (frame * 0x9E3779B1 + salt) & 0x7FFFFFFF


__all__ = ["add_grain", "detail_only", "is_monochrome", "luma_only", "match_colour", "parse_grain", "seed_for"]
