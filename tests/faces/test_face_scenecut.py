"""Scene cuts are found between different shots and not inside one (motion, noise, brightness)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from face_data import to_tensor

from gpen_video.faces.scenecut import frame_signature, frame_signatures, is_cut


def test_no_cut_inside_a_real_shot(interview_frames):
    sigs = frame_signatures(to_tensor(interview_frames))
    assert not any(is_cut(a, b) for a, b in zip(sigs[:-1], sigs[1:], strict=True))


def test_cut_between_different_images(astronaut):
    skimage_data = pytest.importorskip("skimage.data")
    coffee = np.ascontiguousarray(skimage_data.coffee()[:400, :400].repeat(2, 0).repeat(2, 1)[:512, :512])
    sigs = frame_signatures(to_tensor(np.stack([astronaut, coffee])))
    assert is_cut(sigs[0], sigs[1]) and is_cut(sigs[1], sigs[0])


def test_cut_to_a_recoloured_mirror_shot(astronaut):
    other = astronaut[:, ::-1, ::-1]  # another "camera": mirrored, colours swapped
    sigs = frame_signatures(to_tensor(np.stack([astronaut, np.ascontiguousarray(other)])))
    assert is_cut(sigs[0], sigs[1])


def test_no_cut_for_camera_motion_noise_or_brightness(astronaut):
    rng = np.random.default_rng(0)
    moved = np.roll(astronaut, 25, axis=1)
    noisy = np.clip(astronaut + rng.normal(0, 8, astronaut.shape), 0, 255).astype(np.uint8)
    brighter = np.clip(astronaut * 1.25, 0, 255).astype(np.uint8)
    sigs = frame_signatures(to_tensor(np.stack([astronaut, moved, noisy, brighter])))
    assert not any(is_cut(sigs[0], s) for s in sigs[1:])


def test_flat_frames_do_not_crash_and_black_to_picture_is_a_cut(astronaut):
    black = np.zeros_like(astronaut)
    sigs = frame_signatures(to_tensor(np.stack([black, black, astronaut])))
    assert not is_cut(sigs[0], sigs[1])
    assert is_cut(sigs[1], sigs[2])


def test_single_and_batched_signatures_agree(astronaut):
    x = to_tensor(astronaut)
    one = frame_signature(x[0])
    assert one.dtype == np.float32 and one.ndim == 1
    np.testing.assert_allclose(one, frame_signatures(torch.cat([x, x.flip(-1)]))[0], atol=1e-6)
