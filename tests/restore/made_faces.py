"""Makers for the restore tests: faces placed by a known similarity, smooth frames, layouts."""

from __future__ import annotations

import math
from types import SimpleNamespace

import torch

from gpen_video.restore.align import invert_affine, template


def known_affine(cx: float, cy: float, face_px: float, crop: int, angle_deg: float = 0.0) -> torch.Tensor:
    """(2, 3) frame px -> crop px for a face of side ``face_px`` centred on (cx, cy), turned by angle."""
    s = crop / face_px
    a = math.radians(angle_deg)
    lin = torch.tensor([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]], dtype=torch.float64) * s
    shift = torch.tensor([crop / 2, crop / 2], dtype=torch.float64) - lin @ torch.tensor([cx, cy],
                                                                                          dtype=torch.float64)
    return torch.cat([lin, shift[:, None]], dim=1)


def points_for(affine: torch.Tensor, crop: int, name: str = "gpen") -> torch.Tensor:
    """The five frame points that ``affine`` sends exactly onto the template at ``crop``."""
    inv = invert_affine(affine[None].to(torch.float64))[0]
    tpl = template(name).to(torch.float64) * crop
    return (tpl @ inv[:, :2].T + inv[:, 2]).to(torch.float32)


def smooth_rgb(h: int, w: int, seed: int = 0) -> torch.Tensor:
    """A smooth colourful (3, H, W) image in [0.1, 0.9]."""
    g = torch.Generator().manual_seed(seed)
    yy, xx = torch.meshgrid(torch.linspace(0, 1, h), torch.linspace(0, 1, w), indexing="ij")
    freq = torch.rand(3, 3, generator=g) * 3 + 1
    chans = [torch.sin(f[0] * xx * 3 + f[1]) * torch.cos(f[2] * yy * 3) for f in freq]
    img = torch.stack(chans)
    return 0.1 + 0.8 * (img - img.min()) / (img.max() - img.min())


def layout(family: str = "yuv", bit_depth: int = 8, subsampling: tuple[int, int] = (1, 1),
           has_alpha: bool = False) -> SimpleNamespace:
    """A duck-typed ``io.Layout``."""
    return SimpleNamespace(family=family, bit_depth=bit_depth, subsampling=subsampling, has_alpha=has_alpha)
