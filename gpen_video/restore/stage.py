"""The restoration stage as the window engine uses it: align -> GPEN -> temporal blend -> composite.

It holds what is loaded once (the network, the template, the mask) and turns the engine's crop
recipes into batched tensor calls; the per-pixel work stays on the device (rule 4).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import torch

from gpen_video.options import Options
from gpen_video.restore import film
from gpen_video.restore.align import similarity_transforms, template, warp_crops
from gpen_video.restore.blend import temporal_blend
from gpen_video.restore.composite import composite
from gpen_video.restore.mask import face_mask, feather
from gpen_video.restore.runner import FaceRestorer


@dataclass(frozen=True)
class CropRecipe:
    """One face on one frame: where its aligned crop comes from, and once made, the crops themselves.

    ``points`` (5, 2) px are the smoothed landmarks of frame ``frame``'s own window, so a recipe (and
    the crop made from it) depends only on that window, whichever frame asks for it.
    """

    frame: int
    det: int  # index into the frame's detections; -1 for a face bridged by prediction
    points: np.ndarray
    face: int  # index into the frame's TrackedFaces
    affine: torch.Tensor | None = None  # (2, 3) frame px -> crop px
    source: torch.Tensor | None = None  # (3, S, S) aligned input crop in [0, 1]
    restored: torch.Tensor | None = None  # (3, S, S) GPEN output in [0, 1]
    mask: torch.Tensor | None = None  # (1, S, S) the face's own soft mask, with --mask parsing

    @property
    def key(self) -> tuple[int, int]:
        return (self.frame, self.det) if self.det >= 0 else (self.frame, -1 - self.face)


class FaceStage:
    """Align, restore, blend and paste faces for the window engine."""

    def __init__(self, options: Options, *, model: torch.nn.Module | None = None,
                 device: torch.device | str = "cpu"):
        self.options = options
        self.device = torch.device(device)
        self._model = model
        self._restorer: FaceRestorer | None = None

    @property
    def restorer(self) -> FaceRestorer:
        """The GPEN runner; the checkpoint is loaded on first use, so tracking alone never loads it."""
        if self._restorer is None:
            model = self._model if self._model is not None else self._load_model()
            self._restorer = FaceRestorer(model, self.options.model.batch_size)
            self._crop_size = int(model.size)
            self.template = template(self.options.restore.template, self.device)
            self.mask = face_mask(self._crop_size, self.device)
            self.parser = self._load_parser() if self.options.restore.mask == "parsing" else None
        return self._restorer

    @property
    def crop_size(self) -> int:
        """Side of the aligned crops: the network's input size."""
        self.restorer  # noqa: B018 - loads the network, which fixes the size
        return self._crop_size

    def _load_model(self) -> torch.nn.Module:
        from gpen_video.model import load_gpen

        model = self.options.model
        network = load_gpen(model.model, device=self.device, dtype=model.dtype, weights_dir=model.weights_dir)
        return torch.compile(network) if model.compile else network

    def _load_parser(self):
        from gpen_video.faces.parse import FaceParser
        from gpen_video.model import resolve_weights

        path = resolve_weights("parsenet", self.options.model.weights_dir)
        return FaceParser(path.parent, self.device)

    def align(self, rgb: torch.Tensor, recipes: Sequence[CropRecipe]) -> list[CropRecipe]:
        """Aligned crops of one frame's faces, batched in one warp; returns recipes with source set."""
        size = self.crop_size
        points = torch.as_tensor(np.stack([r.points for r in recipes]), dtype=torch.float32, device=self.device)
        affines = similarity_transforms(points, self.template, size)
        index = torch.zeros(len(recipes), dtype=torch.long, device=self.device)
        crops = warp_crops(rgb[None], index, affines, size)
        return [replace(r, affine=a, source=c) for r, a, c in zip(recipes, affines, crops, strict=True)]

    def restore(self, sources: torch.Tensor) -> torch.Tensor:
        """GPEN on aligned source crops (N, 3, S, S) in [0, 1], then the film-fidelity corrections."""
        restored = self.restorer.restore(sources)
        options = self.options.restore
        if options.colour_match:
            restored = film.match_colour(restored, sources, self.mask)
        if options.detail:
            restored = film.detail_only(restored, sources)
        return restored

    def masks(self, restored: torch.Tensor) -> torch.Tensor | None:
        """Per-face soft masks (N, 1, S, S) from the parsing net, or None for the shared square."""
        if self.parser is None:
            return None
        size = self.restorer.batch_size  # padded to a fixed size, as GPEN's batches, for rule 1
        maps = []
        for start in range(0, len(restored), size):
            chunk = restored[start : start + size]
            padded = torch.cat([chunk, chunk.new_zeros((size - len(chunk), *chunk.shape[1:]))])
            maps.append(self.parser.face_maps(padded)[: len(chunk)])
        return feather(torch.cat(maps))

    def blend(self, rows: Sequence[Sequence[CropRecipe | None]]) -> tuple[torch.Tensor, torch.Tensor]:
        """One blended crop and mask per face from its row of neighbours (t in the middle, None = missing).

        Parsing masks are averaged over the same neighbours, so a face's outline does not flicker; the
        square mask is the same on every frame.
        """
        size = self.crop_size
        empty = torch.zeros((3, size, size), device=self.device)
        restored = torch.stack([torch.stack([r.restored if r else empty for r in row]) for row in rows])
        source = torch.stack([torch.stack([r.source if r else empty for r in row]) for row in rows])
        valid = torch.tensor([[r is not None for r in row] for row in rows], device=self.device)
        crops = temporal_blend(restored, source, valid, self.options.restore.temporal)
        if self.parser is None:
            return crops, self.mask
        masks = torch.stack([torch.stack([r.mask for r in row if r is not None]).mean(dim=0) for row in rows])
        return crops, masks

    def composite(self, t: int, planes: Sequence[np.ndarray], video: Any, current: Sequence[CropRecipe],
                  crops: torch.Tensor, masks: torch.Tensor, weights: np.ndarray) -> tuple[np.ndarray, ...]:
        """Paste frame t's faces into its planes; pixels outside every mask keep their codes.

        A monochrome frame gets its luma restored and its chroma left exactly as it was.
        """
        tensors = [torch.from_numpy(np.ascontiguousarray(p)).to(self.device) for p in planes]
        affines = torch.stack([r.affine for r in current])
        strength = torch.tensor(np.asarray(weights, dtype=np.float32)) * self.options.restore.strength
        layout, written = video.layout, tensors
        if self._monochrome(tensors, layout):
            if layout.family == "yuv":  # write Y only: the chroma planes stay bit for bit
                layout, written = SimpleNamespace(family="gray", bit_depth=layout.bit_depth, subsampling=(0, 0),
                                                  has_alpha=False), tensors[:1]
            else:
                crops = film.luma_only(crops, torch.stack([r.source for r in current]))
        grain = film.parse_grain(self.options.restore.grain)
        finish = (lambda layer, bg, m: film.add_grain(layer, bg, m, film.seed_for(t), grain)) if grain else None
        out = composite(written, layout, video.matrix, video.range, crops, affines, strength, masks,
                        finish=finish)
        out += tensors[len(out):]
        return tuple(new.cpu().numpy().astype(array.dtype, copy=False) if new is not old else array
                     for new, old, array in zip(out, tensors, planes, strict=True))

    def _monochrome(self, planes: Sequence[torch.Tensor], layout: Any) -> bool:
        mono = self.options.restore.mono
        return mono == "on" or (mono == "auto" and film.is_monochrome(planes, layout.family, layout.bit_depth))


def face_saver(folder: str) -> Callable[[int, torch.Tensor], None]:
    """A callback writing each frame's blended aligned faces as PNGs (``save_faces``), for inspection."""
    import torchvision

    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)

    def save(t: int, crops: torch.Tensor) -> None:
        for i, crop in enumerate(crops):
            image = (crop.clamp(0, 1) * 255).round().to("cpu", dtype=torch.uint8)
            torchvision.io.write_png(image, str(target / f"frame{t:06d}_face{i}.png"))

    return save

