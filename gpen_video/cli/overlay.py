"""Draw detections and smoothed tracks onto frames for ``gpen-video track --overlay``.

Frames are drawn in RGB and written back in the input's own pixel format, through the same writer as
a restoration, so the overlay keeps the source's timestamps and other streams.
"""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np
import torch

from gpen_video import colour
from gpen_video.faces import Detections, TrackedFaces
from gpen_video.io import Frame, VideoInfo, open_writer
from gpen_video.options import Options

RAW = (255, 0, 0)  # raw detector points: red
SMOOTHED = (0, 255, 0)  # smoothed points, boxes and ids: green


class Overlay:
    """A writer of drawn frames; ``close`` commits the file, ``abort`` leaves nothing behind."""

    def __init__(self, target: str, source: str, info: VideoInfo, options: Options):
        self.info = info
        self.writer = open_writer(target, info, options.encode, source=source)
        self.writer.__enter__()

    def write(self, frame: Frame, found: Detections, tracked: TrackedFaces) -> None:
        image = self._rgb(frame)
        for points in found.points:
            for x, y in points:
                cv2.circle(image, (round(x), round(y)), 2, RAW, -1)
        for track_id, points, box in zip(tracked.track_id, tracked.points, tracked.boxes_xyxy, strict=True):
            x0, y0, x1, y1 = (round(float(v)) for v in box)
            cv2.rectangle(image, (x0, y0), (x1, y1), SMOOTHED, 1)
            cv2.putText(image, str(int(track_id)), (x0, max(10, y0 - 3)), cv2.FONT_HERSHEY_SIMPLEX, 0.4,
                        SMOOTHED, 1)
            for x, y in points:
                cv2.circle(image, (round(x), round(y)), 2, SMOOTHED, 1)
        self.writer.write(replace(frame, planes=self._planes(image, frame)))

    def close(self) -> None:
        self.writer.__exit__(None, None, None)

    def abort(self) -> None:
        self.writer.abort()

    def _rgb(self, frame: Frame) -> np.ndarray:
        planes = [torch.from_numpy(np.ascontiguousarray(p)) for p in frame.planes]
        rgb = colour.planes_to_rgb(planes, self.info.layout, self.info.matrix, self.info.range)
        return np.ascontiguousarray((rgb.clamp(0, 1) * 255).round().byte().permute(1, 2, 0).numpy())

    def _planes(self, image: np.ndarray, frame: Frame) -> tuple[np.ndarray, ...]:
        drawn = torch.from_numpy(image).permute(2, 0, 1).float() / 255
        codes = colour.rgb_to_planes(drawn, self.info.layout, self.info.matrix, self.info.range)
        out = tuple(colour.quantise(c, self.info.layout.bit_depth).numpy().astype(p.dtype)
                    for c, p in zip(codes, frame.planes, strict=False))
        return out + tuple(frame.planes[len(out):])  # alpha passes through
