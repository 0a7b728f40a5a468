"""The RetinaFace detector on real pictures: landmarks where the reference puts them, batched, scaled."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from face_data import ASTRONAUT_POINTS, WEIGHTS, to_tensor

from gpen_video.errors import UsageError, WeightsNotFoundError
from gpen_video.faces.records import Detections
from gpen_video.options import DetectOptions


def _paste(canvas_hw: tuple[int, int], patches: list[tuple[np.ndarray, int, int]]) -> np.ndarray:
    """A grey canvas with each patch pasted at (x, y); patches may hang over the edges."""
    canvas = np.full((*canvas_hw, 3), 128, dtype=np.uint8)
    for patch, x, y in patches:
        h, w = patch.shape[:2]
        x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + w, canvas_hw[1]), min(y + h, canvas_hw[0])
        if x1 > x0 and y1 > y0:
            canvas[y0:y1, x0:x1] = patch[y0 - y : y1 - y, x0 - x : x1 - x]
    return canvas


def test_astronaut_matches_the_reference(detector, astronaut):
    (dets,) = detector.detect(to_tensor(astronaut))
    assert isinstance(dets, Detections) and len(dets) == 1
    assert dets.scores[0] > 0.999
    np.testing.assert_allclose(dets.points[0], ASTRONAUT_POINTS, atol=2.0)
    x0, y0, x1, y1 = dets.boxes_xyxy[0]
    assert x0 < ASTRONAUT_POINTS[:, 0].min() and x1 > ASTRONAUT_POINTS[:, 0].max()
    assert y0 < ASTRONAUT_POINTS[:, 1].min() and y1 > ASTRONAUT_POINTS[:, 1].max()


def test_batch_gives_each_frame_its_own_faces(detector, astronaut):
    blank = np.full_like(astronaut, 90)
    flipped = np.ascontiguousarray(astronaut[:, ::-1])
    batch = detector.detect(to_tensor(np.stack([astronaut, blank, flipped])))
    assert [len(d) for d in batch] == [1, 0, 1]
    (alone,) = detector.detect(to_tensor(flipped))
    np.testing.assert_allclose(batch[2].points, alone.points, atol=1e-3)
    # Mirrored face: the image-left eye comes first, where the right eye was.
    np.testing.assert_allclose(batch[2].points[0, 0, 0], 512 - ASTRONAUT_POINTS[1, 0], atol=3.0)


def test_frames_are_scaled_down_and_mapped_back(detector, astronaut):
    from gpen_video.faces.detect import Detector

    small = dataclasses.replace(detector.options, detect_size=300)
    scaled = Detector(detector.name, WEIGHTS, "cpu", small)
    (dets,) = scaled.detect(to_tensor(astronaut))
    assert len(dets) == 1
    np.testing.assert_allclose(dets.points[0], ASTRONAUT_POINTS, atol=6.0)


def test_two_faces_side_by_side(detector, astronaut):
    crop = astronaut[30:230, 130:320]
    canvas = _paste((260, 440), [(crop, 10, 30), (crop, 230, 30)])
    (dets,) = detector.detect(to_tensor(canvas))
    assert len(dets) == 2
    assert np.all(np.diff(dets.scores) <= 0)  # best first
    xs = sorted(dets.points[:, 2, 0])  # noses
    np.testing.assert_allclose(xs, [224 - 130 + 10, 224 - 130 + 230], atol=3.0)


def test_min_face_and_threshold_filter(detector, astronaut):
    from gpen_video.faces.detect import Detector

    strict = dataclasses.replace(detector.options, min_face=200)
    big_only = Detector(detector.name, WEIGHTS, "cpu", strict)
    assert len(big_only.detect(to_tensor(astronaut))[0]) == 0


def test_real_footage_main_and_background_face(detector, interview_frames):
    # The interview has its subject and, top right, a blurred person behind him: both are faces.
    frames = interview_frames[::3]
    batch = detector.detect(to_tensor(frames))
    assert [len(d) for d in batch] == [2] * len(frames)
    main = np.stack([d.points[np.argmax(np.ptp(d.points[:, :, 0], axis=1))] for d in batch])
    h, w = frames.shape[1:3]
    assert np.all((main[..., 0] > 0) & (main[..., 0] < w) & (main[..., 1] > 0) & (main[..., 1] < h))
    assert np.all(main[:, 0, 0] < main[:, 1, 0])  # left eye left of right eye
    assert np.all(main[:, 3:, 1].mean(axis=1) > main[:, :2, 1].mean(axis=1))  # mouth below eyes
    # A nearly static shot: landmarks move little from frame to frame.
    iod = np.linalg.norm(main[:, 1] - main[:, 0], axis=-1).mean()
    assert iod > 60 and np.abs(np.diff(main, axis=0)).max() < 0.5 * iod


def test_no_frames_and_bad_shapes(detector):
    assert detector.detect(torch.zeros(0, 3, 64, 64)) == []
    with pytest.raises(ValueError):
        detector.detect(torch.zeros(3, 64, 64))


def test_missing_weights_name_the_file_and_the_fetch_command(tmp_path):
    from gpen_video.faces.detect import Detector

    with pytest.raises(WeightsNotFoundError) as info:
        Detector("retinaface_resnet50", tmp_path, "cpu", DetectOptions())
    msg = str(info.value)
    assert "detection_Resnet50_Final.pth" in msg and "gpen-video weights fetch retinaface_resnet50" in msg
    assert isinstance(info.value, FileNotFoundError)


def test_unknown_detector_name(tmp_path):
    from gpen_video.faces.detect import Detector

    with pytest.raises(UsageError, match="unknown face detector"):
        Detector("yolo", tmp_path, "cpu", DetectOptions())


def test_corrupt_weights_are_a_weights_error(tmp_path):
    from gpen_video.errors import WeightsError
    from gpen_video.faces.detect import Detector

    (tmp_path / "detection_mobilenet0.25_Final.pth").write_bytes(b"not a checkpoint")
    with pytest.raises(WeightsError, match="cannot load"):
        Detector("retinaface_mobile0.25", tmp_path, "cpu", DetectOptions())
