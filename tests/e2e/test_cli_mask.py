"""``--mask parsing``: the face's outline from facexlib's ParseNet instead of the feathered square.

The released parsing weights are not available offline, so a randomly initialised ParseNet is saved
under the real file name: its outlines are arbitrary, but every line of the real code path runs.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from e2e_media import decoded

from tests.reference import GPEN_MID, MOBILE_WEIGHTS, gpen_video


@pytest.fixture(scope="module")
def weights_dir(tmp_path_factory, shared_present):
    from facexlib.parsing.parsenet import ParseNet

    folder = tmp_path_factory.mktemp("weights")
    (folder / MOBILE_WEIGHTS.name).symlink_to(MOBILE_WEIGHTS)
    torch.manual_seed(0)
    torch.save(ParseNet(in_size=512, out_size=512, parsing_ch=19).state_dict(), folder / "parsing_parsenet.pth")
    return folder


def _args(weights_dir, *more):
    return ["--model", GPEN_MID, "--detector", "retinaface_mobile0.25", "--weights-dir", weights_dir,
            "--codec", "ffv1", *more]


def test_parsing_mask_pastes_a_different_outline(face_clip, weights_dir, tmp_path):
    square, parsed = tmp_path / "square.mkv", tmp_path / "parsed.mkv"
    quick = ("--end", "0.15", "--faces", "largest", "--blend-radius", "0")  # 3 faces through ParseNet
    gpen_video(face_clip, square, *_args(weights_dir, *quick))
    gpen_video(face_clip, parsed, *_args(weights_dir, *quick, "--mask", "parsing"))
    source = decoded(face_clip)
    for i, ((_, s), (_, a), (_, b)) in enumerate(zip(source, decoded(square), decoded(parsed), strict=True)):
        changed_square, changed_parsed = (a[0] != s[0]), (b[0] != s[0])
        if i < 3:  # restored span
            assert changed_parsed.any()
            assert not np.array_equal(changed_parsed, changed_square)
        else:
            assert not changed_parsed.any() and not changed_square.any()


def test_missing_parsing_weights_fail_before_any_output(face_clip, tmp_path, shared_present):
    folder = tmp_path / "weights"
    folder.mkdir()
    (folder / MOBILE_WEIGHTS.name).symlink_to(MOBILE_WEIGHTS)
    result = gpen_video(face_clip, tmp_path / "out.mkv", *_args(folder, "--mask", "parsing"), check=False)
    assert result.returncode == 1 and "parsing_parsenet.pth" in result.stderr
    assert not (tmp_path / "out.mkv").exists()
