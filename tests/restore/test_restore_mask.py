"""The soft square paste-back mask: the reference values at 512, scaled sizes, caching."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from gpen_video.restore.mask import face_mask


def test_mask_matches_the_reference_recipe_at_512() -> None:
    ref = np.zeros((512, 512), np.float32)
    cv2.rectangle(ref, (26, 26), (486, 486), (1, 1, 1), -1, cv2.LINE_AA)
    ref = cv2.GaussianBlur(cv2.GaussianBlur(ref, (101, 101), 4), (101, 101), 4)
    ours = face_mask(512)
    assert ours.shape == (1, 1, 512, 512) and ours.dtype == torch.float32
    assert np.abs(ours[0, 0].numpy() - ref).max() < 1e-6


@pytest.mark.parametrize("size", [32, 64, 256, 1024])
def test_mask_scales_with_the_crop(size: int) -> None:
    m = face_mask(size)[0, 0]
    assert m.shape == (size, size)
    assert 0.0 <= m.min() < 1e-3 and 0.999 < m.max() <= 1.0 + 1e-6
    assert torch.allclose(m, m.T, atol=1e-6)
    # the ramps are half-way at the same relative place on both sides, at every size
    above = (m[size // 2] > 0.5).nonzero()[:, 0]
    assert abs(int(above[0]) / size - 26 / 512) < 2 / size
    assert abs((size - 1 - int(above[-1])) / size - 26 / 512) < 2 / size

def test_mask_is_cached_per_size_and_device() -> None:
    assert face_mask(128) is face_mask(128, "cpu")
    assert face_mask(128) is not face_mask(64)
    assert face_mask(128, dtype=torch.float16).dtype == torch.float16
