"""Paste restored faces back into a frame's own planes, at its own bit depth, touching nothing else.

Each restored crop and the soft mask are inverse-warped to the frame (bilinear, only over the face's
bounding box); where faces overlap, the larger weighted mask dominates smoothly, giving one face layer F
and one mask M. F is converted to the frame's planes *unrounded* and blended at each plane's own
resolution, new = orig * (1 - m) + F_plane * m, with m the mask averaged down to chroma size with the
chroma's own siting. The background is therefore never round-tripped through RGB (a 4:2:0 chroma
upsample + downsample is not the identity), the luma follows out = bg * (1 - M) + face * M exactly,
and rounding happens once. Where m == 0 the original codes are kept bit for bit (rule 3); alpha is
passed through untouched.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import torch
import torch.nn.functional as F

from gpen_video import colour
from gpen_video.restore.align import invert_affine, sampling_grid
from gpen_video.restore.mask import face_mask

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 in frame pixels, end-exclusive
OVERLAP_SHARPNESS = 8.0  # how strongly the larger of two overlapping masks dominates


def face_boxes(affines: torch.Tensor, crop_size: int, frame_hw: tuple[int, int]) -> list[Box | None]:
    """The frame rectangle each crop lands on (one pixel of slack), clipped; None if off the frame."""
    s = float(crop_size)
    corners = torch.tensor([[0.0, 0.0, 1.0], [s, 0.0, 1.0], [0.0, s, 1.0], [s, s, 1.0]],
                           dtype=torch.float64, device=affines.device)
    pts = corners @ invert_affine(affines.to(torch.float64)).transpose(1, 2)  # (N, 4, 2)
    lo, hi = pts.amin(dim=1).tolist(), pts.amax(dim=1).tolist()
    h, w = frame_hw
    boxes: list[Box | None] = []
    for (xa, ya), (xb, yb) in zip(lo, hi, strict=True):
        box = (max(0, math.floor(xa) - 1), max(0, math.floor(ya) - 1),
               min(w, math.ceil(xb) + 1), min(h, math.ceil(yb) + 1))
        boxes.append(box if box[0] < box[2] and box[1] < box[3] else None)
    return boxes


def _region(boxes: Sequence[Box], subsampling: Sequence[int], frame_hw: tuple[int, int]) -> Box:
    """Union of the boxes, widened to whole chroma samples plus two for the chroma filters' reach."""
    fx, fy = 2 ** subsampling[0], 2 ** subsampling[1]
    x0 = max(0, (min(b[0] for b in boxes) // fx - 2) * fx)
    y0 = max(0, (min(b[1] for b in boxes) // fy - 2) * fy)
    x1 = min(frame_hw[1], (-(-max(b[2] for b in boxes) // fx) + 2) * fx)
    y1 = min(frame_hw[0], (-(-max(b[3] for b in boxes) // fy) + 2) * fy)
    return x0, y0, x1, y1


def _face_layer(crops: torch.Tensor, affines: torch.Tensor, weights: Sequence[float], mask: torch.Tensor,
                boxes: Sequence[Box | None], region: Box) -> tuple[torch.Tensor, torch.Tensor]:
    """Warp each face and its weighted mask into ``region``; where faces overlap the larger mask dominates.

    Faces are mixed with weights m_i ** OVERLAP_SHARPNESS rather than by a hard per-pixel winner: two
    near-equal masks would otherwise pick their winner pixel by pixel and speckle the overlap.
    """
    rx0, ry0, rx1, ry1 = region
    acc = crops.new_zeros((3, ry1 - ry0, rx1 - rx0), dtype=torch.float32)
    acc_w = crops.new_zeros((1, ry1 - ry0, rx1 - rx0), dtype=torch.float32)
    m_all = crops.new_zeros((1, ry1 - ry0, rx1 - rx0), dtype=torch.float32)
    winner = acc.clone()  # the hard per-pixel winner, where m ** sharpness underflows to 0
    s = crops.shape[-1]
    for i, box in enumerate(boxes):
        if box is None or weights[i] <= 0.0:
            continue
        x0, y0, x1, y1 = box
        grid = sampling_grid(affines[i : i + 1], (y1 - y0, x1 - x0), (s, s), origin=(x0, y0))
        face_mask_i = mask[i : i + 1] if mask.shape[0] > 1 else mask
        src = torch.cat([crops[i : i + 1].float(), face_mask_i.float().expand(1, 1, s, s)], dim=1)
        warped = F.grid_sample(src, grid, mode="bilinear", padding_mode="zeros", align_corners=False)[0]
        m_face = warped[3:] * weights[i]
        w_face = m_face**OVERLAP_SHARPNESS
        view = (slice(None), slice(y0 - ry0, y1 - ry0), slice(x0 - rx0, x1 - rx0))
        acc[view] += warped[:3] * w_face
        acc_w[view] += w_face
        winner[view] = torch.where(m_face > m_all[view], warped[:3], winner[view])
        m_all[view] = torch.maximum(m_all[view], m_face)
    layer = torch.where(acc_w > 0, acc / acc_w.clamp_min(torch.finfo(torch.float32).tiny), winner)
    return layer, m_all


def composite(planes: Sequence[torch.Tensor], layout: Any, matrix: str | None, range: str,
              crops: torch.Tensor, affines: torch.Tensor, weights: torch.Tensor | Sequence[float],
              mask: torch.Tensor | None = None, chroma_loc: str = "left",
              finish: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
              ) -> list[torch.Tensor]:
    """Paste restored ``crops`` (N, 3, S, S) in [0, 1] into one frame's ``planes``; new planes returned.

    ``planes``: the frame's integer planes (Y,U,V / R,G,B / Y, then alpha), any integer dtype
    (uint8, uint16, int32), on the device. ``affines`` (N, 2, 3) map frame px to crop px (as from
    ``align.similarity_transforms``); ``weights`` (N,) in [0, 1] (ramp * strength) scale each face's
    mask; ``mask`` (1, 1, S, S), or one per face (N, 1, S, S), defaults to ``face_mask(S)``.
    ``finish(layer, background, m)`` may change the face layer (3, h, w) over the region before it is
    blended (film grain is added there).
    Returns new planes of the input dtype; pixels where the mask is 0 keep their codes exactly, alpha
    planes are the input objects.
    """
    n_colour = 1 if layout.family == "gray" else 3
    out = list(planes)
    h, w = planes[0].shape[-2:]
    weight_list = [float(v) for v in (weights.tolist() if torch.is_tensor(weights) else weights)]
    boxes = face_boxes(affines, crops.shape[-1], (h, w)) if len(crops) else []
    live = [b for b, wt in zip(boxes, weight_list, strict=True) if b is not None and wt > 0.0]
    if not live:
        return out
    sub = tuple(layout.subsampling) if layout.family == "yuv" else (0, 0)
    matrix = colour.resolve_matrix(matrix, h)  # by the frame's height: the region below may be shorter
    device = planes[0].device
    mask = face_mask(crops.shape[-1], device) if mask is None else mask.to(device)
    region = _region(live, sub, (h, w))
    cut = [_plane_slice(p, i, sub, region) for i, p in enumerate(planes[:n_colour])]
    bg = colour.planes_to_rgb([planes[i][sl] for i, sl in enumerate(cut)], layout, matrix, range, chroma_loc)
    layer, m = _face_layer(crops.to(device), affines.to(device), weight_list, mask, boxes, region)
    if finish is not None:
        layer = finish(layer, bg, m)
    layer = torch.where(m > 0, layer, bg)
    face_planes = colour.rgb_to_planes(layer, layout, matrix, range, chroma_loc)
    m_chroma = colour.subsample(m, sub, chroma_loc)[0] if sub != (0, 0) else m[0]
    for i, sl in enumerate(cut):
        m_p = m[0] if i == 0 or layout.family != "yuv" else m_chroma
        out[i] = _blend_plane(planes[i], sl, face_planes[i], m_p, layout.bit_depth)
    return out


def _plane_slice(plane: torch.Tensor, index: int, sub: Sequence[int], region: Box) -> tuple[slice, slice]:
    """The region in plane ``index``'s own coordinates (chroma planes are subsampled)."""
    x0, y0, x1, y1 = region
    if index == 0:
        return slice(y0, y1), slice(x0, x1)
    fx, fy = 2 ** sub[0], 2 ** sub[1]
    return slice(y0 // fy, -(-y1 // fy)), slice(x0 // fx, -(-x1 // fx))


def _blend_plane(plane: torch.Tensor, sl: tuple[slice, slice], face: torch.Tensor, m: torch.Tensor,
                 bit_depth: int) -> torch.Tensor:
    """orig * (1 - m) + face * m over the region, rounded once; codes where m == 0 kept exactly."""
    orig = plane[sl].to(torch.int32)
    mixed = torch.lerp(orig.to(torch.float32), face, m)
    codes = torch.where(m > 0, colour.quantise(mixed, bit_depth), orig)
    result = plane.clone()
    result[sl] = codes.to(plane.dtype)
    return result
