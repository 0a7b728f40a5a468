"""Find faces and their 5 landmarks on a batch of frames with facexlib's RetinaFace, on the device.

This is the only module that imports facexlib. We build its network and call it ourselves instead of
``init_detection_model`` / ``batched_detect_faces``: the former would download when a file is missing
and loads without ``weights_only``; the latter resizes an NHWC tensor along the wrong axes and moves
every frame to the CPU for NMS. Here frames stay on the device from scaling to NMS, and only the few
kept faces come back.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
import torchvision
from facexlib.detection.retinaface import RetinaFace
from facexlib.detection.retinaface_utils import PriorBox, batched_decode, batched_decode_landm

from gpen_video.errors import UsageError, WeightsError, WeightsNotFoundError
from gpen_video.faces.records import Detections
from gpen_video.options import DetectOptions

# name -> (facexlib network name, checkpoint file as facexlib's release names it)
DETECTORS: dict[str, tuple[str, str]] = {
    "retinaface_resnet50": ("resnet50", "detection_Resnet50_Final.pth"),
    "retinaface_mobile0.25": ("mobile0.25", "detection_mobilenet0.25_Final.pth"),
}
NMS_IOU = 0.4  # the reference demo's value
_BGR_MEAN = (104.0, 117.0, 123.0)  # RetinaFace was trained on BGR 0..255 minus this mean


def weights_path(name: str, weights_dir: str | Path) -> Path:
    """Where the checkpoint of detector ``name`` lives in ``weights_dir``; raises if it is not there."""
    if name not in DETECTORS:
        raise UsageError(f"unknown face detector: {name!r} (choose one of {', '.join(DETECTORS)})")
    path = Path(weights_dir) / DETECTORS[name][1]
    if not path.is_file():
        raise WeightsNotFoundError(
            f"weights file not found: {path} (run 'gpen-video weights fetch {name}' or pass --weights-dir)"
        )
    return path


def _load_network(name: str, path: Path, device: torch.device) -> RetinaFace:
    net = RetinaFace(network_name=DETECTORS[name][0], half=False, device=device)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        # The released files were saved from DataParallel; drop its "module." prefix.
        state = {k.removeprefix("module."): v for k, v in state.items()}
        net.load_state_dict(state, strict=True)
    except Exception as exc:  # torch raises many kinds; all mean "this file is not that detector"
        raise WeightsError(f"cannot load face detector weights {path}: {exc}") from exc
    return net.to(device).eval()


class Detector:
    """A RetinaFace detector bound to a device; ``detect`` is batched over frames.

    Frames are scaled down (never up) so their long side is at most ``options.detect_size``; results
    are mapped back to full-frame pixels. Faces need ``score > score_threshold`` and a box whose
    shorter side is at least ``min_face`` full-frame pixels.
    """

    def __init__(self, name: str, weights_dir: str | Path, device: str | torch.device, options: DetectOptions) -> None:
        if options.detect_size < 32:
            raise UsageError(f"detect_size must be at least 32, got {options.detect_size}")
        self.name = name
        self.device = torch.device(device)
        self.options = options
        self._net = _load_network(name, weights_path(name, weights_dir), self.device)
        self._priors: dict[tuple[int, int], torch.Tensor] = {}

    def _prior_boxes(self, h: int, w: int) -> torch.Tensor:
        """Anchors for an (h, w) input, cached: facexlib builds them in a Python loop."""
        if (h, w) not in self._priors:
            boxes = PriorBox(self._net.cfg, image_size=(h, w)).forward()
            self._priors[(h, w)] = boxes.to(self.device).unsqueeze(0)
        return self._priors[(h, w)]

    def _network_input(self, rgb: torch.Tensor) -> torch.Tensor:
        """Scale to the detector size and convert RGB [0,1] to the BGR, mean-subtracted 0..255 it expects."""
        h, w = rgb.shape[-2:]
        scale = min(1.0, self.options.detect_size / max(h, w))
        if scale < 1.0:
            size = (max(1, round(h * scale)), max(1, round(w * scale)))
            rgb = F.interpolate(rgb, size=size, mode="bilinear", align_corners=False, antialias=True)
        mean = torch.tensor(_BGR_MEAN, device=rgb.device, dtype=rgb.dtype).view(1, 3, 1, 1)
        return rgb.flip(1) * 255.0 - mean

    @torch.inference_mode()
    def detect(self, rgb: torch.Tensor) -> list[Detections]:
        """Detections for each frame of ``rgb`` (N,3,H,W) float32 in [0,1] on this detector's device."""
        if rgb.ndim != 4 or rgb.shape[1] != 3:
            raise ValueError(f"expected frames as (N,3,H,W), got {tuple(rgb.shape)}")
        n, _, h, w = rgb.shape
        if n == 0:
            return []
        x = self._network_input(rgb.to(self.device, torch.float32))
        hs, ws = x.shape[-2:]
        loc, conf, landm = self._net(x)
        priors = self._prior_boxes(hs, ws)
        variance = self._net.cfg["variance"]
        # Decoded coordinates are fractions of the scaled frame, i.e. of the full frame too.
        boxes = batched_decode(loc, priors, variance) * torch.tensor([w, h, w, h], device=self.device)
        points = batched_decode_landm(landm, priors, variance).view(n, -1, 5, 2)
        points = points * torch.tensor([w, h], device=self.device)
        return self._select(boxes, points, conf[..., 1])

    def _select(self, boxes: torch.Tensor, points: torch.Tensor, scores: torch.Tensor) -> list[Detections]:
        """Threshold, NMS per frame (one batched call), minimum size; then split by frame on the CPU."""
        frame, anchor = torch.nonzero(scores > self.options.score_threshold, as_tuple=True)
        b, p, s = boxes[frame, anchor], points[frame, anchor], scores[frame, anchor]
        keep = torchvision.ops.batched_nms(b, s, frame, NMS_IOU)
        side = torch.minimum(b[keep, 2] - b[keep, 0], b[keep, 3] - b[keep, 1])
        keep = keep[side >= self.options.min_face]
        # batched_nms orders by score; make the order frame-major, then by descending score.
        order = np.lexsort((-s[keep].cpu().numpy(), frame[keep].cpu().numpy()))
        keep = keep[torch.from_numpy(order).to(keep.device)]
        frame_np = frame[keep].cpu().numpy()
        b_np, p_np, s_np = b[keep].cpu().numpy(), p[keep].cpu().numpy(), s[keep].cpu().numpy()
        out = []
        for i in range(scores.shape[0]):
            sel = frame_np == i
            out.append(Detections(b_np[sel], p_np[sel], s_np[sel]))
        return out
