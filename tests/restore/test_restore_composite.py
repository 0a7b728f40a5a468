"""Paste-back: untouched outside the masks bit for bit, changed inside, overlaps, bit depths, alpha."""

from __future__ import annotations

import pytest
import torch
from made_faces import known_affine, layout, smooth_rgb

from gpen_video import colour
from gpen_video.restore.composite import composite, face_boxes
from gpen_video.restore.mask import face_mask

H, W, S = 90, 124, 64


def frame_planes(lay, seed: int = 0, alpha: bool = False) -> list[torch.Tensor]:
    """Integer planes of a made frame, as io would hand them over (uint8, or uint16 above 8 bits)."""
    rgb = smooth_rgb(H, W, seed)
    planes = [colour.quantise(p, lay.bit_depth) for p in colour.rgb_to_planes(rgb, lay, "bt709", "tv")]
    if alpha:
        planes.append(torch.full((H, W), 2**lay.bit_depth - 1, dtype=torch.int32))
    dtype = torch.uint8 if lay.bit_depth == 8 else torch.uint16
    return [p.to(dtype) for p in planes]


def solid(colour_rgb: tuple[float, float, float], n: int = 1) -> torch.Tensor:
    return torch.tensor(colour_rgb).view(1, 3, 1, 1).expand(n, 3, S, S).clone()


def changed(before: list[torch.Tensor], after: list[torch.Tensor]) -> list[torch.Tensor]:
    return [a.to(torch.int32) != b.to(torch.int32) for a, b in zip(before, after, strict=True)]


@pytest.mark.parametrize("depth", [8, 10])
def test_outside_the_mask_is_bit_identical_and_inside_changes(depth: int) -> None:
    lay = layout("yuv", depth, (1, 1))
    planes = frame_planes(lay)
    affine = known_affine(60.3, 47.1, 40, S, 12)[None].float()
    out = composite(planes, lay, "bt709", "tv", solid((0.9, 0.2, 0.3)), affine, torch.tensor([1.0]))
    assert all(o.dtype == p.dtype and o.shape == p.shape for o, p in zip(out, planes, strict=True))
    (x0, y0, x1, y1), = face_boxes(affine, S, (H, W))
    diff = changed(planes, out)
    outside = torch.ones(H, W, dtype=torch.bool)
    outside[y0:y1, x0:x1] = False
    assert not diff[0][outside].any()
    outside_c = torch.ones_like(diff[1])
    outside_c[y0 // 2 : -(-y1 // 2), x0 // 2 : -(-x1 // 2)] = False
    assert not diff[1][outside_c].any() and not diff[2][outside_c].any()
    # the face's centre takes the face's colour, in the frame's own codes
    expected = [colour.quantise(p, depth) for p in colour.rgb_to_planes(solid((0.9, 0.2, 0.3))[0], lay,
                                                                        "bt709", "tv")]
    assert int(out[0][47, 60]) == int(expected[0][0, 0]) and int(out[1][23, 30]) == int(expected[1][0, 0])
    assert diff[0].sum() > 500


def test_zero_weight_or_no_face_changes_nothing() -> None:
    lay = layout("yuv", 8, (1, 1))
    planes = frame_planes(lay)
    affine = known_affine(60, 45, 40, S)[None].float()
    for out in (composite(planes, lay, "bt709", "tv", solid((1, 0, 0)), affine, torch.tensor([0.0])),
                composite(planes, lay, "bt709", "tv", torch.zeros(0, 3, S, S), torch.zeros(0, 2, 3), [])):
        assert all(torch.equal(o, p) for o, p in zip(out, planes, strict=True))


def test_pixels_where_the_mask_is_zero_keep_their_codes() -> None:
    """Everything the warped mask misses (exactly 0) is untouched, not merely 'close'."""
    lay = layout("yuv", 10, (1, 1))
    planes = frame_planes(lay, seed=3)
    affine = known_affine(62, 44, 30, S, -20)[None].float()
    out = composite(planes, lay, "bt709", "tv", solid((0.0, 1.0, 0.0)), affine, torch.tensor([1.0]))
    from gpen_video.restore.align import sampling_grid

    grid = sampling_grid(affine, (H, W), (S, S))
    m = torch.nn.functional.grid_sample(face_mask(S), grid, align_corners=False)[0, 0]
    assert not changed(planes, out)[0][m == 0].any()
    assert changed(planes, out)[0][m > 0.5].all()


def test_overlapping_faces_larger_mask_wins() -> None:
    lay = layout("yuv", 8, (0, 0))
    planes = frame_planes(lay, seed=1)
    affines = torch.stack([known_affine(50, 45, 40, S), known_affine(72, 45, 40, S)]).float()
    crops = torch.cat([solid((1.0, 0.0, 0.0)), solid((0.0, 0.0, 1.0))])
    out = composite(planes, lay, "bt709", "tv", crops, affines, torch.tensor([1.0, 1.0]))
    rgb = colour.planes_to_rgb(out, lay, "bt709", "tv")
    assert rgb[0, 45, 44] > 0.95 and rgb[2, 45, 44] < 0.05  # left face's centre: red
    assert rgb[2, 45, 78] > 0.95 and rgb[0, 45, 78] < 0.05  # right face's centre: blue
    # a weaker face loses where both are full, so it shows only outside the stronger one
    weak = composite(planes, lay, "bt709", "tv", crops, affines, torch.tensor([1.0, 0.5]))
    assert torch.equal(weak[0][45, 50], out[0][45, 50])


def test_alpha_gray_and_rgb_planes() -> None:
    lay = layout("yuv", 8, (1, 1), has_alpha=True)
    planes = frame_planes(lay, alpha=True)
    affine = known_affine(60, 45, 40, S)[None].float()
    out = composite(planes, lay, "bt709", "tv", solid((0.5, 0.5, 0.5)), affine, torch.tensor([1.0]))
    assert out[3] is planes[3]
    for family in ("gray", "rgb"):
        lay = layout(family, 12, (0, 0))
        planes = [colour.quantise(p, 12).to(torch.uint16)
                  for p in colour.rgb_to_planes(smooth_rgb(H, W), lay, None, "pc")]
        out = composite(planes, lay, None, "pc", solid((0.2, 0.4, 0.6)), affine, torch.tensor([0.7]))
        assert len(out) == len(planes) and changed(planes, out)[0].any()


def test_a_face_partly_off_the_frame() -> None:
    lay = layout("yuv", 8, (1, 1))
    planes = frame_planes(lay)
    affine = known_affine(3, 88, 50, S, 30)[None].float()
    out = composite(planes, lay, "bt709", "tv", solid((1.0, 1.0, 1.0)), affine, torch.tensor([1.0]))
    assert changed(planes, out)[0][70:, :20].any() and not changed(planes, out)[0][:30].any()


def test_an_unspecified_matrix_is_resolved_by_the_frame_height() -> None:
    """A small face on an HD frame still uses bt709, although the region pasted is under 720 rows."""
    lay = layout("yuv", 8, (1, 1))
    planes = [torch.full((720, 48), 120, dtype=torch.uint8), torch.full((360, 24), 90, dtype=torch.uint8),
              torch.full((360, 24), 170, dtype=torch.uint8)]
    affine = known_affine(24, 300, 30, S)[None].float()
    crops = solid((0.9, 0.3, 0.2))
    unspecified = composite(planes, lay, "unknown", "tv", crops, affine, torch.tensor([1.0]))
    assert all(torch.equal(a, b) for a, b in zip(
        unspecified, composite(planes, lay, "bt709", "tv", crops, affine, torch.tensor([1.0])), strict=True))
    assert not torch.equal(unspecified[1], composite(planes, lay, "bt601", "tv", crops, affine,
                                                     torch.tensor([1.0]))[1])
