"""The bounded-window engine: output frame t from input frames t-K .. t+K only (DESIGN rule 1).

Both the CLI pipeline and the VapourSynth filter call ``WindowEngine.render``; neither re-implements
tracking or restoration. Work is cached per frame (detections, scene-cut signatures, tracked faces,
aligned and restored crops), so a sequential run costs one detector pass per frame and one GPEN pass
per face, while random access still gives the same pixels: every cached value is a pure function of
the frames in its own window, and batches are padded to a fixed size so a result never depends on its
batch-mates.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from itertools import pairwise
from typing import Any, Protocol

import numpy as np
import torch

from gpen_video import colour
from gpen_video.errors import UsageError
from gpen_video.faces import Detections, Detector, TrackedFaces, frame_signatures, is_cut, track_window
from gpen_video.options import Options
from gpen_video.restore.stage import CropRecipe, FaceStage, face_saver

# Frames per detector batch. Batches are padded to this size: a convolution's result for one frame can
# differ in the last bit with the batch size, and rule 1 wants the same pixels in any request order.
DETECT_BATCH = 4
# Output frames rendered together by the CLI and the VapourSynth filter: faces of several frames then
# fill one GPEN batch.
RENDER_CHUNK = 8


class VideoFormat(Protocol):
    """What the engine needs to know about a video (``io.VideoInfo`` has it all)."""

    width: int
    height: int
    layout: Any
    matrix: str
    range: str
    frame_count: int | None


class FrameLike(Protocol):
    index: int
    planes: tuple[np.ndarray, ...]


class _LRU(OrderedDict):
    """A small bounded cache keyed by frame number (or (frame, face) pairs)."""

    def __init__(self, capacity: int):
        super().__init__()
        self.capacity = capacity

    def put(self, key, value) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.capacity:
            self.popitem(last=False)


@dataclass
class StageTimes:
    """Seconds spent per stage, for ``--stats``."""

    seconds: dict[str, float]

    def add(self, stage: str, seconds: float) -> None:
        self.seconds[stage] = self.seconds.get(stage, 0.0) + seconds


class WindowEngine:
    """Renders output frames from the windows of input frames around them; thread-safe."""

    def __init__(self, options: Options, video: VideoFormat, *, model: torch.nn.Module | None = None,
                 detector: Detector | None = None, device: torch.device | str | None = None):
        self.options = options
        self.video = video
        self.device = resolve_device(device or options.model.device)
        self.frame_count = video.frame_count
        self.track_radius = options.track.track_radius
        self.blend_radius = options.restore.blend_radius
        self.radius = options.window_radius
        self._detector = detector
        self.faces = FaceStage(options, model=model, device=self.device)
        self.times = StageTimes({})
        self.on_faces: Callable[[int, torch.Tensor], None] | None = None
        if options.restore.save_faces:
            self.on_faces = face_saver(options.restore.save_faces)
        capacity = 4 * self.radius + 64
        self._seen = _LRU(capacity)  # frame -> (Detections, scene-cut signature), evicted together
        self._tracked = _LRU(capacity)
        # per frame: {recipe key: CropRecipe with source and restored crops}; only the blend's reach is kept
        self._crops = _LRU(2 * self.blend_radius + 48)
        self._lock = threading.Lock()

    @property
    def detector(self) -> Detector:
        """The face detector, loaded on first use."""
        if self._detector is None:
            self._detector = _load_detector(self.options, self.device)
        return self._detector

    def prepare(self) -> None:
        """Load GPEN, then the detector, now rather than at the first frame, so bad weights fail early."""
        self.faces.restorer  # noqa: B018
        self.detector  # noqa: B018

    def window(self, t: int) -> range:
        """Frames that output frame t depends on, clipped to the video."""
        return self._around(t, self.radius)

    def _around(self, t: int, radius: int) -> range:
        """Frames t-radius .. t+radius that exist (the end is open while the length is unknown)."""
        end = t + radius + 1 if self.frame_count is None else min(t + radius + 1, self.frame_count)
        return range(max(0, t - radius), end)

    def render(self, ts: Sequence[int], frames: Mapping[int, FrameLike]) -> list[FrameLike]:
        """Output frames for ``ts``; ``frames`` must hold every frame of each ``window(t)``."""
        with self._lock:
            rgb = _RGBCache(self, frames)
            needed = sorted({s for t in ts for s in self.window(t)})
            self._detect(needed, rgb)
            near = sorted({s for t in ts for s in self._near(t)})
            for s in near:
                self._track(s)
            self._restore_crops(ts, rgb)
            return [self._composite(t, frames[t]) for t in ts]

    def analyse(self, ts: Sequence[int], frames: Mapping[int, FrameLike]
                ) -> list[tuple[Detections, TrackedFaces]]:
        """Raw detections and smoothed tracks for ``ts``, without restoring anything."""
        with self._lock:
            rgb = _RGBCache(self, frames)
            self._detect(sorted({s for t in ts for s in self._track_window(t)}), rgb)
            return [(self._seen[t][0], self._track(t)) for t in ts]

    # -- per-frame analysis -------------------------------------------------------------------------

    def _track_window(self, t: int) -> range:
        """Frames whose detections the smoothed landmarks of frame t come from."""
        return self._around(t, self.track_radius)

    def _near(self, t: int) -> range:
        """Frames whose restored crops the temporal blend at t may use."""
        return self._around(t, self.blend_radius)

    def _detect(self, indices: Sequence[int], rgb: _RGBCache) -> None:
        """Detections and scene-cut signatures for frames that lack them, in padded fixed-size batches."""
        missing = [s for s in indices if s not in self._seen]
        start = time.perf_counter()
        for chunk in _chunks(missing, DETECT_BATCH):
            batch = torch.stack([rgb[s] for s in chunk])
            signatures = frame_signatures(batch)
            padded = torch.cat([batch, batch.new_zeros((DETECT_BATCH - len(chunk), *batch.shape[1:]))])
            found = self.detector.detect(padded)
            for i, s in enumerate(chunk):
                self._seen.put(s, (found[i], signatures[i]))
        self.times.add("detect", time.perf_counter() - start)

    def _track(self, s: int) -> TrackedFaces:
        if s in self._tracked:
            return self._tracked[s]
        start = time.perf_counter()
        frames = self._track_window(s)
        lo = frames.start
        seen = [self._seen[i] for i in frames]
        # a cut flag needs the frame before; the window's first flag is never read, so it needs none
        cuts = [False] + [is_cut(before[1], after[1]) for before, after in pairwise(seen)]
        detections = [found for found, _ in seen]
        tracked = track_window(detections, cuts, s - lo, self.options.track,
                               (self.video.width, self.video.height))
        self._tracked.put(s, tracked)
        self.times.add("track", time.perf_counter() - start)
        return tracked

    # -- restoration --------------------------------------------------------------------------------

    def _recipes(self, t: int) -> list[list[CropRecipe | None]]:
        """For each face at t, the crops the blend uses at t-B .. t+B (None where there is none)."""
        tracked = self._track(t)
        k, b = self.track_radius, self.blend_radius
        recipes = []
        for i in range(len(tracked.weights)):
            row: list[CropRecipe | None] = []
            for offset in range(-b, b + 1):
                s = t + offset
                if offset == 0:
                    row.append(CropRecipe(t, int(tracked.det_index[i]), tracked.points[i], face=i))
                    continue
                d = int(tracked.chain[i, k + offset]) if 0 <= k + offset < tracked.chain.shape[1] else -1
                row.append(self._recipe_at(s, d) if d >= 0 and s in self._tracked else None)
            recipes.append(row)
        return recipes

    def _recipe_at(self, s: int, det: int) -> CropRecipe | None:
        tracked = self._tracked[s]
        where = np.flatnonzero(tracked.det_index == det)
        if len(where) == 0:
            return None
        return CropRecipe(s, det, tracked.points[where[0]], face=int(where[0]))

    def _restore_crops(self, ts: Sequence[int], rgb: _RGBCache) -> None:
        wanted: dict[tuple, CropRecipe] = {}
        for t in ts:
            for row in self._recipes(t):
                for recipe in row:
                    if recipe is not None and self._crop(recipe) is None:
                        wanted[recipe.key] = recipe
        if not wanted:
            return
        start = time.perf_counter()
        by_frame = defaultdict(list)
        for recipe in wanted.values():
            by_frame[recipe.frame].append(recipe)
        aligned = [r for frame, group in sorted(by_frame.items()) for r in self.faces.align(rgb[frame], group)]
        self.times.add("align", time.perf_counter() - start)
        start = time.perf_counter()
        restored = self.faces.restore(torch.stack([r.source for r in aligned]))
        masks = self.faces.masks(restored)
        self.times.add("restore", time.perf_counter() - start)
        for i, (recipe, crop) in enumerate(zip(aligned, restored, strict=True)):
            if recipe.frame not in self._crops:
                self._crops.put(recipe.frame, {})
            mask = None if masks is None else masks[i]
            self._crops[recipe.frame][recipe.key] = replace(recipe, restored=crop, mask=mask)

    def _crop(self, recipe: CropRecipe) -> CropRecipe | None:
        return self._crops.get(recipe.frame, {}).get(recipe.key)

    def _composite(self, t: int, frame: FrameLike) -> FrameLike:
        start = time.perf_counter()
        tracked = self._tracked[t]
        rows = self._recipes(t)
        if not rows:
            self.times.add("composite", time.perf_counter() - start)
            return frame
        blended, masks = self.faces.blend([[self._crop(r) if r else None for r in row] for row in rows])
        if self.on_faces is not None:
            self.on_faces(t, blended)
        current = [self._crop(row[self.blend_radius]) for row in rows]
        planes = self.faces.composite(t, frame.planes, self.video, current, blended, masks, tracked.weights)
        self.times.add("composite", time.perf_counter() - start)
        return _with_planes(frame, planes)


class _RGBCache:
    """Frames converted to RGB on the device, once per render call."""

    def __init__(self, engine: WindowEngine, frames: Mapping[int, FrameLike]):
        self.engine, self.frames, self.cache = engine, frames, {}

    def __getitem__(self, index: int) -> torch.Tensor:
        if index not in self.cache:
            video, device = self.engine.video, self.engine.device
            planes = [torch.from_numpy(np.ascontiguousarray(p)).to(device) for p in self.frames[index].planes]
            self.cache[index] = colour.planes_to_rgb(planes, video.layout, video.matrix, video.range)
        return self.cache[index]


def _with_planes(frame: FrameLike, planes: tuple[np.ndarray, ...]) -> FrameLike:
    try:
        return replace(frame, planes=planes)
    except TypeError:  # not a dataclass: a plain object from the VapourSynth side
        out = type(frame).__new__(type(frame))
        out.__dict__.update(frame.__dict__, planes=planes)
        return out


def _chunks(items: Sequence, size: int):
    for i in range(0, len(items), size):
        yield items[i:i + size]


def resolve_device(name: str | torch.device | None) -> torch.device:
    """The torch device asked for (None: CUDA when there is one, else the CPU), checked to exist."""
    if name is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise UsageError(f"unknown device {str(name)!r} (use cpu, cuda or cuda:N)") from None
    if device.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0:
            raise UsageError(f"device {name}: no CUDA device is available here (use cpu)")
        if (device.index or 0) >= count:
            raise UsageError(f"device {name}: there are only {count} CUDA device(s)")
    return device


def _load_detector(options: Options, device: torch.device) -> Detector:
    from gpen_video.model import resolve_weights

    path = resolve_weights(options.detect.detector, options.model.weights_dir)
    return Detector(options.detect.detector, path.parent, device, options.detect)
