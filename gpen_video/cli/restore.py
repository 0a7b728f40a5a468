"""Restore the faces in a video or image sequence with GPEN; everything else in the file is kept.

examples:
  gpen-video in.mp4 out.mp4                          restore with GPEN-BFR-512 (fetched on first use)
  gpen-video scan.mov out.mov --lossless             archive master: lossless, same bit depth
  gpen-video "scan/%06d.tif" out/ --fps 24           an image sequence in, a folder of TIFFs out
  gpen-video in.mp4 out.mp4 --strength 0.7 --temporal 0.8 --faces largest

other commands:
  gpen-video weights list|fetch|verify               manage checkpoints
  gpen-video track IN --json OUT [--overlay OUT.mp4] inspect detections and smoothed tracks
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import MISSING, fields
from fractions import Fraction

from gpen_video.errors import UsageError
from gpen_video.options import (
    CHOICES,
    DetectOptions,
    EncodeOptions,
    ModelOptions,
    Options,
    RestoreOptions,
    TrackOptions,
)
from gpen_video.scale.options import ScaleOptions

# (dataclass, field, extra argparse keywords, help); the flag is the field name with dashes
FLAGS: list[tuple[type, str, dict, str]] = [
    (ModelOptions, "model", {"metavar": "NAME|PATH"}, "checkpoint: a registry name or a .pth/.pt file"),
    (ModelOptions, "weights_dir", {"metavar": "DIR"}, "folder for downloaded checkpoints"),
    (ModelOptions, "device", {}, "torch device: cuda, cuda:1, cpu (default: cuda when there is one)"),
    (ModelOptions, "dtype", {"choices": CHOICES["dtype"]}, "GPEN precision"),
    (ModelOptions, "batch_size", {"type": int, "metavar": "N"}, "faces per GPEN batch; 0 = from free memory"),
    (ModelOptions, "compile", {"action": "store_true"}, "torch.compile the network (slow start)"),
    (DetectOptions, "detector", {"choices": CHOICES["detector"]}, "face detector"),
    (DetectOptions, "score_threshold", {"type": float, "metavar": "S"}, "detector confidence"),
    (DetectOptions, "min_face", {"type": int, "metavar": "PX"}, "ignore faces smaller than this"),
    (TrackOptions, "faces", {"choices": CHOICES["faces"]}, "which faces to restore"),
    (TrackOptions, "track_radius", {"type": int, "metavar": "N"}, "frames each side for landmark smoothing"),
    (RestoreOptions, "strength", {"type": float, "metavar": "0..1"}, "blend of restored over original"),
    (RestoreOptions, "temporal", {"type": float, "metavar": "0..1"},
     "temporal blend of restored faces; 0 = per frame"),
    (RestoreOptions, "blend_radius", {"type": int, "metavar": "N"}, "frames each side the temporal blend uses"),
    (RestoreOptions, "template", {"choices": CHOICES["template"]}, "alignment template"),
    (RestoreOptions, "mask", {"choices": CHOICES["mask"]},
     "paste-back mask: the reference's feathered square, or the face's outline (needs the parsenet weights)"),
    (RestoreOptions, "save_faces", {"metavar": "DIR"}, "also save each aligned restored face as PNG"),
    (RestoreOptions, "grain", {"metavar": "auto|off|N"},
     "put the source's grain back on restored faces: auto, off, or a multiple of the measured grain"),
    (RestoreOptions, "mono", {"choices": CHOICES["mono"]},
     "restore luma only, chroma untouched (auto: frames whose chroma is flat)"),
    (RestoreOptions, "detail", {"action": "store_true"},
     "detail only: keep the source's low frequencies, take only fine detail from GPEN"),
    (RestoreOptions, "colour_match", {"action": argparse.BooleanOptionalAction},
     "keep the source's white balance and exposure on faces"),
    (EncodeOptions, "codec", {}, "video codec, e.g. libx264, libx265, ffv1, prores_ks"),
    (EncodeOptions, "crf", {"type": int}, "quality for x264/x265 (lower is better)"),
    (EncodeOptions, "preset", {}, "encoder preset, e.g. slow, medium, veryfast"),
    (EncodeOptions, "pix_fmt", {"metavar": "FMT"}, "output pixel format (default: the input's)"),
    (EncodeOptions, "lossless", {"action": "store_true"}, "lossless output for archives"),
    (EncodeOptions, "fps", {"type": Fraction, "metavar": "RATE"}, "frame rate of image sequences, e.g. 24000/1001"),
    (EncodeOptions, "overwrite", {"action": "store_true"}, "replace an existing output (-y)"),
]
GROUPS = {ModelOptions: "model", DetectOptions: "detection", TrackOptions: "tracking",
          RestoreOptions: "restoration", EncodeOptions: "output"}


def build_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", help="video file, image-sequence pattern (frames/%%06d.png) or folder")
    parser.add_argument("output", help="video file, image-sequence pattern or folder")
    groups = {cls: parser.add_argument_group(title) for cls, title in GROUPS.items()}
    for cls, name, extra, help_text in FLAGS:
        flags = [f"--{name.replace('_', '-')}"] + (["-y"] if name == "overwrite" else [])
        default = _default(cls, name)
        if extra.get("action") not in ("store_true", argparse.BooleanOptionalAction) and default is not None:
            help_text += f" (default: {default})"
        groups[cls].add_argument(*flags, dest=name, default=None, help=help_text, **extra)
    groups[ModelOptions].add_argument("--batch", dest="batch_size", type=int, help=argparse.SUPPRESS)
    run_group = parser.add_argument_group("run")
    run_group.add_argument("--start", type=float, metavar="SECONDS", help="restore faces from this time on")
    run_group.add_argument("--end", type=float, metavar="SECONDS", help="restore faces before this time only")
    run_group.add_argument("--stats", action="store_true", help="print time per stage and fps at the end")
    run_group.add_argument("--quiet", action="store_true", help="no progress bar")
    scale_group = parser.add_argument_group(
        "scale-out", "split the video at keyframes and restore the segments in parallel on Ray, resumably "
        "(the same frames as a single run; needs pip install 'gpen-video[scale]')")
    scale_group.add_argument("--workers", type=int, metavar="N",
                             help="segments at once on this machine (one per GPU, else CPU processes)")
    scale_group.add_argument("--ray-address", metavar="ADDR",
                             help="run the segments on a Ray cluster: 'auto' on a node of it, or HOST:PORT")
    scale_group.add_argument("--resume", action="store_true",
                             help="continue the run recorded beside the output (rerunning its command does too)")
    scale_group.add_argument("--segment-frames", type=int, metavar="N",
                             help=f"frames per segment, cut at keyframes (default: {ScaleOptions.segment_frames})")


def options_from_args(args: argparse.Namespace) -> Options:
    """The Options the flags ask for; flags left out keep the dataclass defaults."""
    parts = {}
    for cls in GROUPS:
        given = {f.name: getattr(args, f.name) for f in fields(cls) if getattr(args, f.name, None) is not None}
        parts[cls] = cls(**given)
    options = Options(model=parts[ModelOptions], detect=parts[DetectOptions], track=parts[TrackOptions],
                      restore=parts[RestoreOptions], encode=parts[EncodeOptions])
    return options.validate(spell=lambda name: f"--{name.replace('_', '-')}")


def run(args: argparse.Namespace) -> int:
    from gpen_video.pipeline import restore_video

    options = options_from_args(args)
    scale = scale_options_from_args(args)
    span = _span(args)
    show_progress = _force_progress() or (not args.quiet and sys.stderr.isatty())
    if scale.segmented:
        from gpen_video.scale import restore_segmented

        report = restore_segmented(args.input, args.output, options, scale, span=span, progress=show_progress)
    else:
        report = restore_video(args.input, args.output, options, span=span, progress=show_progress)
    if args.stats:
        print(report.format(), file=sys.stderr)
    return 0


def scale_options_from_args(args: argparse.Namespace) -> ScaleOptions:
    """The scale-out flags; a split run is asked for by --workers > 1, --ray-address or --resume."""
    given = {name: getattr(args, name) for name in ("workers", "ray_address", "resume", "segment_frames")
             if getattr(args, name, None) is not None and getattr(args, name) is not False}  # 0 is a value
    for name in ("workers", "segment_frames"):
        if given.get(name, 1) < 1:
            raise UsageError(f"--{name.replace('_', '-')} must be at least 1, not {given[name]}")
    return ScaleOptions(**given)


def _default(cls: type, name: str):
    for f in fields(cls):
        if f.name == name:
            return None if f.default is MISSING else f.default
    raise KeyError(name)


def _span(args: argparse.Namespace):
    from gpen_video.pipeline import Span

    if args.start is not None and args.end is not None and args.end <= args.start:
        raise UsageError(f"--end ({args.end}) must come after --start ({args.start})")
    return Span(args.start, args.end)


def _force_progress() -> bool:
    import os

    return os.environ.get("GPEN_VIDEO_PROGRESS") == "1"

