"""Make a face clip whose true landmarks are known on every frame, for measuring landmark jitter.

scikit-image's astronaut photo is moved along a known smooth path (shift, zoom, rotation) with one fast
segment (a quick turn and jump, as a head turn would be), then every frame is degraded on its own (blur,
noise, JPEG) so a detector's landmarks wobble as they do on real footage. The true 5 points are the
photo's reference landmarks moved by the same affine map.

    python samples/make_moving_face.py out.mp4 --frames 120    # also writes out.points.npy (T,5,2)
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

# The astronaut's landmarks as RetinaFace mobile0.25 finds them (../shared/weights/README.md), in the
# detector's convention: pixel edges at integers, so a pixel's centre is at +0.5.
ASTRONAUT_POINTS = np.array([[204, 103], [245, 104], [224, 129], [203, 139], [245, 140]], dtype=np.float64)
FAST_FRAMES = 6  # length of the fast segment
FAST_TURN_DEG = 30.0
FAST_SHIFT = (45.0, -15.0)  # px at scale 1


def fast_segment(n_frames: int) -> range:
    """The frames of the fast turn: where a smoother's lag shows."""
    start = n_frames // 2
    return range(start, start + FAST_FRAMES)


def _smoothstep(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3 - 2 * x)


def _path(n_frames: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-frame face offset (T,2) px, scale (T,) and angle (T,) radians: slow waves plus one fast step."""
    t = np.arange(n_frames, dtype=np.float64)
    offset = np.stack([30 * np.sin(2 * np.pi * t / 90), 18 * np.sin(2 * np.pi * t / 70 + 1.0)], axis=1)
    scale = np.exp(0.15 * np.sin(2 * np.pi * t / 110 + 0.5))
    angle = np.deg2rad(8 * np.sin(2 * np.pi * t / 80))
    seg = fast_segment(n_frames)
    step = _smoothstep((t - seg.start + 1) / (FAST_FRAMES + 1))
    offset = offset + step[:, None] * np.array(FAST_SHIFT) - 0.5 * np.array(FAST_SHIFT)
    angle = angle + step * np.deg2rad(FAST_TURN_DEG) - 0.5 * np.deg2rad(FAST_TURN_DEG)
    return offset, scale, angle


def _affine(offset: np.ndarray, scale: float, angle: float, size: tuple[int, int]) -> np.ndarray:
    """2x3 map photo -> frame in pixel-centre coordinates (as cv2 uses), face at frame centre + offset."""
    c, s = scale * np.cos(angle), scale * np.sin(angle)
    lin = np.array([[c, -s], [s, c]])
    face = ASTRONAUT_POINTS.mean(axis=0) - 0.5
    target = np.array(size, dtype=np.float64) / 2 - 0.5 + offset
    return np.hstack([lin, (target - lin @ face)[:, None]])


def _degrade(frame: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Blur, sensor noise and JPEG, each drawn fresh per frame."""
    sigma = rng.uniform(0.4, 1.4)
    out = cv2.GaussianBlur(frame, (0, 0), sigma).astype(np.float64)
    out += rng.normal(0.0, rng.uniform(2.0, 7.0), out.shape)
    out = np.clip(np.round(out), 0, 255).astype(np.uint8)
    quality = int(rng.integers(25, 75))
    ok, buf = cv2.imencode(".jpg", out[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError("jpeg encoding failed")
    return cv2.imdecode(buf, cv2.IMREAD_COLOR)[..., ::-1].copy()


def make_moving_face(
    n_frames: int = 120, size: tuple[int, int] = (384, 320), seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Frames (T,H,W,3) uint8 RGB of the moving, degraded astronaut and its true points (T,5,2) px.

    ``size`` is (width, height). Points use the detector's convention (pixel edges at integers).
    """
    from skimage import data  # test/bench dependency only

    photo = data.astronaut()
    rng = np.random.default_rng(seed)
    offset, scale, angle = _path(n_frames)
    frames = np.empty((n_frames, size[1], size[0], 3), dtype=np.uint8)
    points = np.empty((n_frames, 5, 2))
    for i in range(n_frames):
        m = _affine(offset[i], float(scale[i]), float(angle[i]), size)
        clean = cv2.warpAffine(photo, m, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        frames[i] = _degrade(clean, rng)
        points[i] = (ASTRONAUT_POINTS - 0.5) @ m[:, :2].T + m[:, 2] + 0.5
    return frames, points


def write_clip(frames: np.ndarray, path: str | Path, fps: float = 25.0) -> None:
    """Write RGB frames to an mp4 (cv2's mp4v; good enough for looking at the sample)."""
    h, w = frames.shape[1:3]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    if not writer.isOpened():
        raise OSError(f"cannot write video: {path}")
    try:
        for frame in frames:
            writer.write(np.ascontiguousarray(frame[..., ::-1]))
    finally:
        writer.release()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("output", type=Path, help="mp4 to write; true points go to <output>.points.npy")
    parser.add_argument("--frames", type=int, default=120)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    frames, points = make_moving_face(args.frames, seed=args.seed)
    write_clip(frames, args.output)
    np.save(args.output.with_suffix(".points.npy"), points)


if __name__ == "__main__":
    main()
