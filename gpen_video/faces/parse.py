"""Face parsing masks (facexlib's ParseNet): the face's own outline instead of the feathered square.

The square mask of the reference pastes back hair, ears and background of the crop too; a parsing mask
keeps restoration to skin, eyes, brows, nose, mouth and lips. ParseNet labels a 512 px aligned face
with the 19 CelebAMask-HQ classes; the face classes become a map that ``restore.mask.feather``
softens. Loaded with ``torch.load(weights_only=True)``; facexlib's own loader would download and
unpickle freely.
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F

from gpen_video.errors import WeightsError, WeightsNotFoundError

PARSE_SIZE = 512
WEIGHTS_FILE = "parsing_parsenet.pth"
# CelebAMask-HQ classes: 0 background, 1 skin, 2-3 brows, 4-5 eyes, 6 glasses, 7-8 ears, 9 earring,
# 10 nose, 11 mouth, 12-13 lips, 14 neck, 15 necklace, 16 cloth, 17 hair, 18 hat
FACE_CLASSES = (1, 2, 3, 4, 5, 6, 10, 11, 12, 13)


class FaceParser:
    """``face_maps(crops (N,3,S,S) [0,1]) -> (N,1,S,S)``: the share of each pixel that is face, in [0,1]."""

    def __init__(self, weights_dir: str | Path, device: torch.device | str):
        from facexlib.parsing.parsenet import ParseNet

        path = Path(weights_dir) / WEIGHTS_FILE
        if not path.is_file():
            raise WeightsNotFoundError(f"weights file not found: {path} (run 'gpen-video weights fetch parsenet' "
                                       "or use --mask square)")
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
            self.net = ParseNet(in_size=PARSE_SIZE, out_size=PARSE_SIZE, parsing_ch=19)
            self.net.load_state_dict(state, strict=True)
        except Exception as error:
            raise WeightsError(f"cannot load the face parsing net from {path}: {error}") from None
        self.net = self.net.eval().requires_grad_(False).to(device)
        self.device = torch.device(device)

    @torch.inference_mode()
    def face_maps(self, crops: torch.Tensor) -> torch.Tensor:
        size = crops.shape[-1]
        x = F.interpolate(crops.float().to(self.device), size=(PARSE_SIZE, PARSE_SIZE), mode="bilinear",
                          antialias=True, align_corners=False)
        logits, _ = self.net((x - 0.5) / 0.5)
        face = torch.zeros_like(logits[:, :1])
        labels = logits.argmax(dim=1, keepdim=True)
        for cls in FACE_CLASSES:
            face += (labels == cls).float()
        return F.interpolate(face, size=(size, size), mode="area")
