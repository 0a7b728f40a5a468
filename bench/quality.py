"""Quality benchmarks: each section measures one thing, prints a table, and returns its rows.

    .venv/bin/python bench/quality.py                     # every section
    .venv/bin/python bench/quality.py --section landmarks

Sections register in ``SECTIONS`` (name -> function taking the parsed arguments and returning rows as
dicts); add a section by writing its function and one line there. Numbers are ratios or normalised
errors measured in one run, so they hold on any machine (DESIGN.md, "How we measure").

landmarks: on a clip with known true landmarks (``samples/make_moving_face.py``: the astronaut photo
moved along a smooth path with one fast turn, degraded per frame), the real RetinaFace mobile0.25
detector's raw points against the tracked and smoothed ones. Error: RMS point distance to the truth
over the inter-ocular distance. Jitter: RMS of the second temporal difference of (points - truth),
i.e. wobble that the true motion does not explain. Fast: the error over the fast turn (+-4 frames).
Lag: the time shift of the truth that best fits the points over the fast turn, in frames. The
interview rows use real footage (no truth): jitter is then of the points themselves.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
sys.path.insert(0, str(ROOT))

from gpen_video.faces import smooth  # noqa: E402
from gpen_video.faces.detect import Detector  # noqa: E402
from gpen_video.faces.link import face_size  # noqa: E402
from gpen_video.faces.records import Detections  # noqa: E402
from gpen_video.faces.scenecut import frame_signatures, is_cut  # noqa: E402
from gpen_video.faces.track import track_clip  # noqa: E402
from gpen_video.options import DetectOptions, TrackOptions  # noqa: E402
from samples.make_moving_face import fast_segment, make_moving_face  # noqa: E402

Row = dict[str, object]


# ---------------------------------------------------------------- shared helpers


def print_table(title: str, rows: list[Row]) -> None:
    """A plain fixed-width table: the columns of the first row, floats to 4 significant digits."""
    if not rows:
        return
    cols = list(rows[0])
    cells = [[f"{r[c]:.4g}" if isinstance(r[c], float) else str(r[c]) for c in cols] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(cols)]
    print(f"\n{title}")
    print("  ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True)))
    for row in cells:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)))


def detect_frames(detector: Detector, frames: np.ndarray, batch: int = 16) -> list[Detections]:
    """Detections of RGB uint8 frames (T,H,W,3), in batches."""
    out: list[Detections] = []
    for i in range(0, len(frames), batch):
        x = torch.from_numpy(frames[i : i + batch]).permute(0, 3, 1, 2).float().div(255)
        out += detector.detect(x)
    return out


def scene_cuts(frames: np.ndarray) -> list[bool]:
    """Cut flags from the frames' signatures (frame 0 starts the video, so no cut there)."""
    sigs = frame_signatures(torch.from_numpy(frames).permute(0, 3, 1, 2).float().div(255))
    return [False] + [is_cut(a, b) for a, b in zip(sigs[:-1], sigs[1:], strict=True)]


# ---------------------------------------------------------------- landmarks


def _first_face(faces: list) -> np.ndarray:
    """(T,5,2) points of each frame's first face, NaN where there is none."""
    return np.stack([f.points[0] if len(f) else np.full((5, 2), np.nan) for f in faces]).astype(np.float64)


def _lag(points: np.ndarray, truth: np.ndarray, frames: slice) -> float:
    """Shift (frames) of the truth that best fits ``points`` on ``frames``; + means points lag."""
    t = np.arange(len(truth), dtype=np.float64)
    best = (np.inf, 0.0)
    for shift in np.arange(-3.0, 3.0001, 0.05):
        moved = np.stack([np.interp(t - shift, t, truth[:, k, c]) for k in range(5) for c in range(2)], -1)
        rms = float(np.sqrt(np.nanmean((points[frames].reshape(-1, 10) - moved[frames]) ** 2)))
        best = min(best, (rms, float(shift)))
    return best[1]


def landmark_scores(points: np.ndarray, truth: np.ndarray, fast: range) -> Row:
    """Error, jitter, fast-segment error (all / inter-ocular distance) and lag of a (T,5,2) track."""
    iod = np.linalg.norm(truth[:, 1] - truth[:, 0], axis=-1)[:, None]
    dev = points - truth
    d2 = dev[2:] - 2 * dev[1:-1] + dev[:-2]
    near = slice(max(0, fast.start - 4), fast.stop + 4)
    return {
        "error": float(np.sqrt(np.nanmean((np.linalg.norm(dev, axis=-1) / iod) ** 2))),
        "jitter": float(np.sqrt(np.nanmean((np.linalg.norm(d2, axis=-1) / iod[1:-1]) ** 2))),
        "fast_error": float(np.sqrt(np.nanmean((np.linalg.norm(dev[near], axis=-1) / iod[near]) ** 2))),
        "lag": round(_lag(points, truth, near), 2) + 0.0,
        "missing": int(np.isnan(points[:, 0, 0]).sum()),
    }


def _variants(base: TrackOptions) -> list[tuple[str, TrackOptions, int]]:
    """(label, options, adaptive passes): the default and what it was chosen against."""
    points = dataclasses.replace(base, smooth_space="points")
    return [
        ("smoothed (default)", base, smooth.ADAPT_PASSES),
        ("points space", points, smooth.ADAPT_PASSES),
        ("no adaptation", base, 0),
        ("points, no adaptation", points, 0),
    ]


def _tracked(
    dets: list[Detections], cuts: list[bool], options: TrackOptions, size: tuple[int, int], passes: int
) -> tuple[np.ndarray, float]:
    """First-face points of every frame with ``passes`` adaptive passes, and the ms per frame."""
    kept = smooth.ADAPT_PASSES
    smooth.ADAPT_PASSES = passes  # a bench-only switch: the library has one fixed rule
    try:
        start = time.perf_counter()
        faces = track_clip(dets, cuts, options, size)
        ms = 1000 * (time.perf_counter() - start) / len(dets)
    finally:
        smooth.ADAPT_PASSES = kept
    return _first_face(faces), ms


def _interview_rows(detector: Detector, options: TrackOptions) -> list[Row]:
    """Jitter of raw and smoothed points on real footage (no truth: jitter of the points themselves).

    Without a truth this cannot tell wobble from motion; it shows the smoother is not a no-op on real
    detections and that it finds one continuous track (no missing frames).
    """
    import cv2  # decoding for the bench only; the product decodes with PyAV in gpen_video.io

    cap = cv2.VideoCapture(str(SHARED / "media" / "face_interview_390x512.mp4"))
    frames = []
    while (ok_frame := cap.read())[0]:
        frames.append(cv2.cvtColor(ok_frame[1], cv2.COLOR_BGR2RGB))
    cap.release()
    frames = np.stack(frames)
    dets = detect_frames(detector, frames)
    # The clip has a blurred second face in the background: follow the subject, the largest face.
    raw = np.stack([d.points[np.argmax(face_size(d.points))] for d in dets]).astype(np.float64)
    size = (frames.shape[2], frames.shape[1])
    largest = dataclasses.replace(options, faces="largest")
    smoothed, _ = _tracked(dets, scene_cuts(frames), largest, size, smooth.ADAPT_PASSES)
    iod = np.nanmedian(np.linalg.norm(raw[:, 1] - raw[:, 0], axis=-1))
    rows = []
    for label, pts in (("interview raw", raw), ("interview smoothed", smoothed)):
        d2 = pts[2:] - 2 * pts[1:-1] + pts[:-2]
        dev = np.linalg.norm(pts - raw, axis=-1) / iod  # how far smoothing moved the points
        rows.append(
            {
                "track": label,
                "jitter": float(np.sqrt(np.nanmean((np.linalg.norm(d2, axis=-1) / iod) ** 2))),
                "rms_from_raw": float(np.sqrt(np.nanmean(dev**2))),
                "max_from_raw": float(np.nanmax(dev)),
                "missing": int(np.isnan(pts[:, 0, 0]).sum()),
            }
        )
    return rows


def landmarks(args: argparse.Namespace) -> list[Row]:
    """Raw vs smoothed landmarks on the moving-face sample (and jitter on the interview clip)."""
    detector = Detector("retinaface_mobile0.25", args.weights_dir, "cpu", DetectOptions())
    frames, truth = make_moving_face(args.frames, seed=args.seed)
    fast = fast_segment(args.frames)
    dets = detect_frames(detector, frames)
    cuts = scene_cuts(frames)
    size = (frames.shape[2], frames.shape[1])
    rows: list[Row] = [{"track": "raw detections", **landmark_scores(_first_face(dets), truth, fast)}]
    base = TrackOptions()
    for label, options, passes in _variants(base):
        pts, ms = _tracked(dets, cuts, options, size, passes)
        rows.append({"track": label, **landmark_scores(pts, truth, fast), "ms/frame": ms})
    raw_jitter = float(rows[0]["jitter"])
    for row in rows:
        row["jitter/raw"] = float(row["jitter"]) / raw_jitter
        row.setdefault("ms/frame", 0.0)
    print_table(f"landmarks: {args.frames} frames, seed {args.seed}, {sum(cuts)} cuts found", rows)
    if (SHARED / "media").is_dir():
        print_table("landmarks: real footage (face_interview_390x512.mp4)", _interview_rows(detector, base))
    return rows


# ---------------------------------------------------------------- driver

SECTIONS: dict[str, Callable[[argparse.Namespace], list[Row]]] = {
    "landmarks": landmarks,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--section", choices=sorted(SECTIONS), action="append", help="default: all")
    parser.add_argument("--frames", type=int, default=160, help="landmarks: length of the sample clip")
    parser.add_argument("--seed", type=int, default=0, help="landmarks: degradation seed")
    parser.add_argument("--weights-dir", type=Path, default=SHARED / "weights", help="detector weights")
    args = parser.parse_args()
    for name in args.section or list(SECTIONS):
        SECTIONS[name](args)


if __name__ == "__main__":
    main()
