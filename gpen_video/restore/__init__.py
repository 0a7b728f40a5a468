"""Alignment, GPEN batches, temporal blend and paste-back: everything between tracked faces and planes.

Data flows align -> runner -> blend -> composite, all in torch on the frames' device (rule 4).
"""

from __future__ import annotations

from gpen_video.restore.align import (
    FFHQ_TEMPLATE,
    GPEN_TEMPLATE,
    invert_affine,
    similarity_transforms,
    template,
    warp_crops,
)
from gpen_video.restore.blend import temporal_blend
from gpen_video.restore.composite import composite
from gpen_video.restore.mask import face_mask
from gpen_video.restore.runner import FaceRestorer

__all__ = [
    "FFHQ_TEMPLATE",
    "GPEN_TEMPLATE",
    "FaceRestorer",
    "composite",
    "face_mask",
    "invert_affine",
    "similarity_transforms",
    "template",
    "temporal_blend",
    "warp_crops",
]
