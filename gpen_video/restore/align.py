"""Alignment: five landmarks -> similarity transform to a face template -> batched crops on the device.

Coordinates are continuous pixels with pixel *edges* at integers (pixel i spans [i, i+1], its centre is
i + 0.5), for the frame as in ``faces.Detections`` and for the crop alike. This is the convention of
``grid_sample(align_corners=False)``, so a crop of size S covers [0, S] and the normalised template
times S lands where the template means. cv2.warpAffine puts pixel centres at integers instead; the
same warp in its convention is ``M_cv = A`` with the translation replaced by ``t + L @ (0.5, 0.5) - 0.5``
(L the 2x2 part), and the two agree to cv2's 1/32-pixel interpolation grid (tests check this).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from gpen_video.errors import UsageError

# Left eye, right eye, nose, left mouth corner, right mouth corner (image-left first), in crop units.
GPEN_TEMPLATE: tuple[tuple[float, float], ...] = (
    (0.394611, 0.474383),
    (0.604356, 0.473223),
    (0.500150, 0.593670),
    (0.413984, 0.716461),
    (0.587678, 0.715501),
)
# The FFHQ template of GFPGAN/CodeFormer, given at 512 px; ~17% tighter than GPEN's.
FFHQ_TEMPLATE: tuple[tuple[float, float], ...] = tuple(
    (x / 512.0, y / 512.0)
    for x, y in ((192.98, 239.95), (318.90, 240.19), (256.63, 314.02), (201.26, 371.41), (313.09, 371.15))
)
TEMPLATES = {"gpen": GPEN_TEMPLATE, "ffhq": FFHQ_TEMPLATE}


def template(name: str, device: torch.device | str | None = None) -> torch.Tensor:
    """The named template as a ``(5, 2)`` float32 tensor in crop units ([0, 1] across the crop)."""
    if name not in TEMPLATES:
        raise UsageError(f"unknown alignment template: {name!r} (expected one of {', '.join(TEMPLATES)})")
    return torch.tensor(TEMPLATES[name], dtype=torch.float32, device=device)


def similarity_transforms(points: torch.Tensor, template: torch.Tensor, crop_size: int) -> torch.Tensor:
    """Least-squares similarity (rotation, uniform scale, translation; no reflection) per face.

    ``points`` (N, 5, 2) frame px -> affines (N, 2, 3) float32 mapping frame px to crop px, where the
    template (5, 2) in crop units is scaled by ``crop_size``. In 2-D the Umeyama solution with scale
    has a closed form, u = a x - b y + tx, v = b x + a y + ty with (a, b) from the centred
    dot and cross sums, which batches without an SVD and is computed in float64 for stability.
    """
    if points.dim() != 3 or points.shape[-2:] != template.shape:
        raise ValueError(f"points must be (N,{template.shape[0]},2), got {tuple(points.shape)}")
    src = points.to(torch.float64)
    dst = (template.to(device=points.device, dtype=torch.float64) * crop_size).expand_as(src)
    src_mean, dst_mean = src.mean(dim=1, keepdim=True), dst.mean(dim=1, keepdim=True)
    xs, xd = src - src_mean, dst - dst_mean
    var = (xs**2).sum(dim=(1, 2)).clamp_min(1e-12)
    a = (xs * xd).sum(dim=(1, 2)) / var
    b = (xs[..., 0] * xd[..., 1] - xs[..., 1] * xd[..., 0]).sum(dim=1) / var
    linear = torch.stack([torch.stack([a, -b], dim=-1), torch.stack([b, a], dim=-1)], dim=-2)
    shift = dst_mean[:, 0] - (linear @ src_mean[:, 0, :, None])[..., 0]
    return torch.cat([linear, shift[..., None]], dim=-1).to(torch.float32)


def invert_affine(affines: torch.Tensor) -> torch.Tensor:
    """Inverse of each (N, 2, 3) affine, in float64 internally; returns the input's dtype."""
    linear = affines[..., :2].to(torch.float64)
    shift = affines[..., 2:].to(torch.float64)
    inv = torch.linalg.inv(linear)
    return torch.cat([inv, -inv @ shift], dim=-1).to(affines.dtype)


def sampling_grid(affines: torch.Tensor, out_hw: tuple[int, int], in_hw: tuple[int, int],
                  origin: tuple[int, int] = (0, 0)) -> torch.Tensor:
    """``grid_sample`` grids (N, h, w, 2) for output pixels whose input position is ``affines`` of them.

    ``affines`` (N, 2, 3) map output px to input px; ``origin`` (x0, y0) offsets the output window so
    that a sub-rectangle of a larger output can be sampled. Pixel centres sit at +0.5 (module note),
    normalised for align_corners=False.
    """
    h, w = out_hw
    xs = torch.arange(w, device=affines.device, dtype=torch.float32) + (origin[0] + 0.5)
    ys = torch.arange(h, device=affines.device, dtype=torch.float32) + (origin[1] + 0.5)
    m = affines.to(torch.float32)[:, :, :, None, None]  # (N, 2, 3, 1, 1)
    pos = m[:, :, 0] * xs.view(1, 1, 1, w) + m[:, :, 1] * ys.view(1, 1, h, 1) + m[:, :, 2]  # (N, 2, h, w)
    scale = torch.tensor([2.0 / in_hw[1], 2.0 / in_hw[0]], device=affines.device).view(1, 2, 1, 1)
    return (pos * scale - 1.0).permute(0, 2, 3, 1)


def warp_crops(frames_rgb: torch.Tensor, frame_index: torch.Tensor, affines: torch.Tensor,
               crop_size: int, padding_mode: str = "reflection") -> torch.Tensor:
    """Aligned crops (N, 3, S, S) from frames (F, 3, H, W), crop n from frame ``frame_index[n]``.

    Bilinear, on the frames' device. Parts of the crop outside the frame are filled by reflection (or
    "border") rather than black: a black wedge at the frame edge would reach the network and be
    "restored" into the face. Crops of one frame are sampled in one call with their grids stacked,
    so no frame is copied per face.
    """
    if padding_mode not in ("reflection", "border", "zeros"):
        raise UsageError(f"unknown padding mode: {padding_mode!r}")
    n = affines.shape[0]
    s = crop_size
    frames = frames_rgb if frames_rgb.is_floating_point() else frames_rgb.float()
    out = frames.new_empty((n, frames.shape[1], s, s))
    if n == 0:
        return out
    grids = sampling_grid(invert_affine(affines.to(frames.device)), (s, s), tuple(frames.shape[-2:]))
    grids = grids.to(frames.dtype)
    index = frame_index.to(device=frames.device, dtype=torch.long)
    for f in torch.unique(index).tolist():
        rows = (index == f).nonzero()[:, 0]
        grid = grids[rows].reshape(1, len(rows) * s, s, 2)
        crops = F.grid_sample(frames[f : f + 1], grid, mode="bilinear", padding_mode=padding_mode,
                              align_corners=False)
        out[rows] = crops.view(frames.shape[1], len(rows), s, s).transpose(0, 1)
    return out
