"""Alignment: the similarity fit, its inverse, and crops that agree with cv2.warpAffine."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch
from made_faces import known_affine, points_for, smooth_rgb

from gpen_video.errors import UsageError
from gpen_video.restore.align import (
    FFHQ_TEMPLATE,
    invert_affine,
    similarity_transforms,
    template,
    warp_crops,
)


def to_cv2(affine: torch.Tensor) -> np.ndarray:
    """Our edges-at-integers affine in cv2's centres-at-integers convention."""
    a = affine.to(torch.float64)
    shift = a[:, 2] + a[:, :2] @ torch.tensor([0.5, 0.5], dtype=torch.float64) - 0.5
    return torch.cat([a[:, :2], shift[:, None]], dim=1).numpy()


@pytest.mark.parametrize("name", ["gpen", "ffhq"])
def test_similarity_recovers_a_known_transform(name: str) -> None:
    truth = torch.stack([known_affine(200, 150, 90, 512, 17), known_affine(40.5, 300, 31, 512, -40),
                         known_affine(1000, 20, 400, 256, 180)])
    crops = [512, 512, 256]
    for affine, crop in zip(truth, crops, strict=True):
        fitted = similarity_transforms(points_for(affine, crop, name)[None], template(name), crop)[0]
        assert torch.allclose(fitted.double(), affine, atol=2e-3, rtol=1e-5)


def test_similarity_is_batched_and_matches_umeyama_on_noisy_points() -> None:
    skimage = pytest.importorskip("skimage.transform")
    g = torch.Generator().manual_seed(0)
    affines = torch.stack([known_affine(100 + 30 * i, 80, 60 + 10 * i, 512, 10 * i - 20) for i in range(6)])
    points = torch.stack([points_for(a, 512) for a in affines]) + torch.randn(6, 5, 2, generator=g) * 2
    fitted = similarity_transforms(points, template("gpen"), 512)
    assert fitted.shape == (6, 2, 3) and fitted.dtype == torch.float32
    for p, f in zip(points, fitted, strict=True):
        ref = skimage.SimilarityTransform.from_estimate(p.double().numpy(), template("gpen").double().numpy() * 512)
        assert np.allclose(f.numpy(), ref.params[:2], atol=1e-3)


def test_ffhq_template_is_the_512_values_normalised() -> None:
    assert FFHQ_TEMPLATE[0] == (192.98 / 512, 239.95 / 512)
    with pytest.raises(UsageError):
        template("arcface")


def test_invert_affine_composes_to_identity() -> None:
    a = torch.stack([known_affine(10, 20, 30, 64, 33), known_affine(-5, 400, 300, 512, -120)]).float()
    inv = invert_affine(a)
    homog = torch.tensor([[0.0, 0.0, 1.0]]).expand(2, 1, 3)
    full = torch.cat([a, homog], 1) @ torch.cat([inv, homog], 1)
    assert torch.allclose(full, torch.eye(3).expand(2, 3, 3), atol=1e-4)


def test_warp_agrees_with_cv2_for_an_interior_face() -> None:
    img = smooth_rgb(180, 240, seed=1)
    affine = known_affine(121.3, 88.7, 70, 96, 23)
    ours = warp_crops(img[None], torch.tensor([0]), affine[None].float(), 96)[0]
    ref = cv2.warpAffine(img.permute(1, 2, 0).numpy(), to_cv2(affine), (96, 96), flags=cv2.INTER_LINEAR)
    # cv2 quantises sample positions to 1/32 pixel; on this smooth image that is well under 1e-2
    assert np.abs(ours.permute(1, 2, 0).numpy() - ref).max() < 5e-3


def test_edge_faces_get_no_black_wedge() -> None:
    img = torch.full((3, 64, 80), 0.5)
    affine = known_affine(5, 60, 40, 32, 30)[None].float()  # mostly outside the frame
    for mode in ("reflection", "border"):
        crop = warp_crops(img[None], torch.tensor([0]), affine, 32, padding_mode=mode)
        assert torch.allclose(crop, torch.full_like(crop, 0.5), atol=1e-6)
    zeros = warp_crops(img[None], torch.tensor([0]), affine, 32, padding_mode="zeros")
    assert zeros.min() == 0.0  # the wedge the default avoids


def test_crops_from_several_frames_in_any_order() -> None:
    frames = torch.stack([smooth_rgb(60, 70, seed=s) for s in range(3)])
    affines = torch.stack([known_affine(30 + i, 30, 40, 24, 5 * i) for i in range(4)]).float()
    index = torch.tensor([2, 0, 2, 1])
    together = warp_crops(frames, index, affines, 24)
    for n in range(4):
        alone = warp_crops(frames[index[n] : index[n] + 1], torch.tensor([0]), affines[n : n + 1], 24)
        assert torch.equal(together[n], alone[0])
