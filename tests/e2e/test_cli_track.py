"""``gpen-video track``: the JSON a user inspects, the overlay video, and image sequences end to end."""

from __future__ import annotations

import json

import av
import cv2
import numpy as np
from e2e_media import decoded

from tests.reference import DETECTOR_ARGS, MODEL_ARGS, gpen_video


def test_track_writes_json_and_overlay(face_clip, tmp_path):
    out_json, overlay = tmp_path / "tracks.json", tmp_path / "overlay.mkv"
    gpen_video("track", face_clip, "--json", out_json, "--overlay", overlay, *DETECTOR_ARGS)
    frames = json.loads(out_json.read_text())["frames"]
    source = decoded(face_clip)
    assert [f["pts"] for f in frames] == [pts for pts, _ in source]
    assert all(len(f["detections"]) == 2 and len(f["tracks"]) == 2 for f in frames)  # speaker + background
    # ids last across frames: the two people keep theirs on every frame
    assert {tuple(sorted(t["id"] for t in f["tracks"])) for f in frames} == {(0, 1)}
    for f in frames:
        for track in f["tracks"]:
            assert len(track["points"]) == 5 and 0 < track["weight"] <= 1
    drawn = decoded(overlay)
    assert len(drawn) == len(source)
    assert not np.array_equal(drawn[0][1][0], source[0][1][0])  # something was drawn


def test_track_needs_an_output(face_clip):
    result = gpen_video("track", face_clip, *DETECTOR_ARGS, check=False)
    assert result.returncode == 2 and "--json" in result.stderr


def test_image_sequence_in_and_out(face_clip, tmp_path):
    """A 16-bit PNG sequence restores to a 16-bit PNG sequence, frame for frame."""
    folder = tmp_path / "scan"
    folder.mkdir()
    with av.open(str(face_clip)) as container:
        for i, frame in zip(range(6), container.decode(video=0), strict=False):
            rgb = frame.to_ndarray(format="rgb48le")
            cv2.imwrite(str(folder / f"{i:06d}.png"), np.ascontiguousarray(rgb[:, :, ::-1]))
    out = tmp_path / "restored"
    gpen_video(folder / "%06d.png", f"{out}/", *MODEL_ARGS, "--fps", "24")
    written = sorted(out.iterdir())
    assert [p.name for p in written] == [f"{i:06d}.png" for i in range(6)]
    first = cv2.imread(str(written[0]), cv2.IMREAD_UNCHANGED)
    source = cv2.imread(str(folder / "000000.png"), cv2.IMREAD_UNCHANGED)
    assert first.dtype == np.uint16 and first.shape == source.shape
    assert not np.array_equal(first, source)  # the face was restored
    assert np.array_equal(first[480:], source[480:])  # below the faces nothing changed
