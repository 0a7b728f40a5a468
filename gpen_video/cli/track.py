"""Write the detected faces and their smoothed tracks, frame by frame, for inspection.

The JSON holds, per frame, the raw detections (box, 5 points, score) and the smoothed tracks (id,
5 points, box, weight) that restoration would use; --overlay draws both onto a copy of the video
(raw points red, smoothed points and boxes green).

examples:
  gpen-video track in.mp4 --json tracks.json
  gpen-video track in.mp4 --json tracks.json --overlay tracks.mp4 --detector retinaface_mobile0.25
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from dataclasses import replace
from pathlib import Path

from gpen_video.errors import UsageError
from gpen_video.options import DetectOptions, EncodeOptions, ModelOptions, Options, TrackOptions


def build_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", help="video file, image-sequence pattern or folder")
    parser.add_argument("--json", metavar="OUT", help="write detections and tracks here")
    parser.add_argument("--overlay", metavar="OUT", help="write a copy of the video with the tracks drawn")
    parser.add_argument("--detector", choices=["retinaface_resnet50", "retinaface_mobile0.25"],
                        default=DetectOptions.detector, help="face detector (default: %(default)s)")
    parser.add_argument("--weights-dir", metavar="DIR", help="folder holding the detector weights")
    parser.add_argument("--device", help="torch device (default: cuda when there is one)")
    parser.add_argument("--faces", choices=["all", "largest", "center"], default=TrackOptions.faces)
    parser.add_argument("--track-radius", type=int, default=TrackOptions.track_radius, metavar="N",
                        help="frames each side for landmark smoothing (default: %(default)s)")
    parser.add_argument("--fps", help="frame rate of image-sequence input")
    parser.add_argument("-y", "--overwrite", action="store_true", help="replace existing outputs")


def run(args: argparse.Namespace) -> int:
    from fractions import Fraction

    from gpen_video.cli.overlay import Overlay
    from gpen_video.io import open_video
    from gpen_video.pipeline import windowed_chunks
    from gpen_video.window import WindowEngine

    if not args.json and not args.overlay:
        raise UsageError("nothing to write: give --json OUT and/or --overlay OUT")
    if args.json and Path(args.json).exists() and not args.overwrite:
        raise UsageError(f"{args.json} exists (pass -y to replace it)")
    fps = Fraction(args.fps) if args.fps else None
    options = Options(model=ModelOptions(weights_dir=args.weights_dir, device=args.device),
                      detect=DetectOptions(detector=args.detector),
                      track=TrackOptions(faces=args.faces, track_radius=args.track_radius),
                      encode=EncodeOptions(overwrite=args.overwrite, fps=fps))
    records = []
    ids = _StableIds()
    with open_video(args.input, fps=fps) as reader:
        info = reader.info
        engine = WindowEngine(options, info)
        drawer = Overlay(args.overlay, args.input, info, options) if args.overlay else None
        try:
            for chunk, buffer in windowed_chunks(engine, reader):
                for t, (found, tracked) in zip(chunk, engine.analyse(list(chunk), buffer), strict=True):
                    tracked = ids.assign(tracked)
                    records.append(_frame_record(buffer[t], found, tracked))
                    if drawer:
                        drawer.write(buffer[t], found, tracked)
        except BaseException:
            if drawer:
                drawer.abort()
            raise
        if drawer:
            drawer.close()
    if args.json:
        _write_json(Path(args.json), {"input": str(args.input), "width": info.width, "height": info.height,
                                      "frames": records})
    return 0


class _StableIds:
    """Track ids that last across frames, for reports: the tracker's ids are local to each window.

    A face keeps the id of the previous frame's face whose detection its chain links to; a face
    with no such link gets a new id. Ids never change pixels.
    """

    def __init__(self):
        self.previous: dict[int, int] = {}  # previous frame's det index -> id
        self.next_id = 0

    def assign(self, tracked):
        import numpy as np

        radius = tracked.chain.shape[1] // 2
        ids = []
        for i in range(len(tracked.det_index)):
            linked = int(tracked.chain[i, radius - 1]) if radius else -1
            if linked >= 0 and linked in self.previous and self.previous[linked] not in ids:
                ids.append(self.previous[linked])
            else:
                ids.append(self.next_id)
                self.next_id += 1
        self.previous = {int(d): t for d, t in zip(tracked.det_index, ids, strict=True) if d >= 0}
        return replace(tracked, track_id=np.asarray(ids, dtype=np.int64))


def _frame_record(frame, found, tracked) -> dict:
    seconds = float(frame.pts * frame.time_base) if frame.pts is not None else None
    return {
        "index": frame.index, "pts": frame.pts, "time": seconds,
        "detections": [{"box": _round(b), "points": _round(p), "score": round(float(s), 4)}
                       for b, p, s in zip(found.boxes_xyxy, found.points, found.scores, strict=True)],
        "tracks": [{"id": int(i), "points": _round(p), "box": _round(b), "weight": round(float(w), 4),
                    "detection": int(d)}
                   for i, p, b, w, d in zip(tracked.track_id, tracked.points, tracked.boxes_xyxy,
                                            tracked.weights, tracked.det_index, strict=True)],
    }


def _round(array) -> list:
    return [_round(a) for a in array] if getattr(array, "ndim", 0) > 1 else [round(float(v), 2) for v in array]


def _write_json(path: Path, data: dict) -> None:
    """Write beside the target and rename, so a half-written file never carries the name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as stream:
            stream.write(_one_frame_per_line(data))
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _one_frame_per_line(data: dict) -> str:
    """JSON that reads well and diffs well: the header, then one line per frame."""
    head = {key: value for key, value in data.items() if key != "frames"}
    frames = ",\n  ".join(json.dumps(frame, separators=(",", ":")) for frame in data["frames"])
    return json.dumps(head, indent=1)[:-2] + ',\n "frames": [\n  ' + frames + "\n ]\n}\n"
