"""Every option of gpen-video, with its default, in one place.

One frozen dataclass per stage, composed into ``Options``. A CLI flag, the dataclass field and the
VapourSynth keyword share one spelling (``batch_size`` / ``--batch-size``). Defaults live here only.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from fractions import Fraction
from typing import Any

from gpen_video.errors import UsageError

# Allowed values beyond what a field's type says; the CLI's flags and the VapourSynth keywords use these.
CHOICES: dict[str, tuple[str, ...]] = {
    "dtype": ("auto", "fp32", "fp16", "bf16"),
    "detector": ("retinaface_resnet50", "retinaface_mobile0.25"),
    "faces": ("all", "largest", "center"),
    "smooth_space": ("similarity", "points"),
    "template": ("gpen", "ffhq"),
    "mono": ("auto", "on", "off"),
    "mask": ("square", "parsing"),
}
_UNIT = (0.0, 1.0)
RANGES: dict[str, tuple[float, float | None]] = {  # (low, high), inclusive; None = unbounded
    "strength": _UNIT, "temporal": _UNIT, "score_threshold": _UNIT,
    "batch_size": (0, None), "min_face": (0, None), "detect_size": (32, None), "track_radius": (0, None),
    "blend_radius": (0, None), "min_hits": (1, None), "max_misses": (0, None), "ramp": (0, None),
    "point_noise": (0.0, None), "motion_noise": (0.0, None), "crf": (0, 63),
}


@dataclass(frozen=True)
class ModelOptions:
    model: str = "GPEN-BFR-512"  # registry name or a checkpoint file path
    weights_dir: str | None = None  # None: GPEN_VIDEO_WEIGHTS, else weights/ in a checkout, else XDG cache
    device: str | None = None  # None: cuda if available, else cpu
    dtype: str = "auto"  # auto | fp32 | fp16 | bf16 (auto: the measured-safe choice for the device)
    batch_size: int = 0  # faces per GPEN batch; 0 = automatic from free memory
    compile: bool = False  # opt-in torch.compile


@dataclass(frozen=True)
class DetectOptions:
    detector: str = "retinaface_resnet50"  # or retinaface_mobile0.25
    score_threshold: float = 0.9
    min_face: int = 20  # smallest face box side to restore, in pixels
    detect_size: int = 960  # long side the detector sees (frames are scaled down, never up)


@dataclass(frozen=True)
class TrackOptions:
    track_radius: int = 8  # frames each side used to link and smooth a face's landmarks
    min_hits: int = 3  # detections a chain needs inside the window before its face is restored
    max_misses: int = 4  # frames a face may go undetected before its chain is cut
    ramp: int = 4  # frames over which a face fades in and out at chain ends
    faces: str = "all"  # all | largest | center
    smooth_space: str = "similarity"  # similarity | points: what the Kalman/RTS smoother runs on
    point_noise: float = 0.04  # landmark noise the smoother assumes, as a fraction of the face size
    motion_noise: float = 0.005  # per-frame velocity change it expects (raised locally on fast moves)


@dataclass(frozen=True)
class RestoreOptions:
    template: str = "gpen"  # gpen | ffhq alignment template
    strength: float = 1.0  # 0 = original, 1 = fully restored
    temporal: float = 0.5  # 0 = per-frame, 1 = strongest temporal blend
    blend_radius: int = 2  # frames each side the temporal blend looks at
    save_faces: str | None = None  # folder for aligned restored crops
    mask: str = "square"  # square (the reference's feathered square) | parsing (the face's outline, ParseNet)
    grain: str = "auto"  # auto | off | a multiplier of the measured source grain, put back on the face
    mono: str = "auto"  # auto (per frame: flat chroma) | on | off: restore luma only, chroma untouched
    detail: bool = False  # detail-only: low frequencies from the source, fine detail from GPEN
    colour_match: bool = True  # keep the source's white balance and exposure on the face


@dataclass(frozen=True)
class EncodeOptions:
    codec: str | None = None  # None: a sensible codec for the output container and bit depth
    crf: int | None = None
    preset: str | None = None
    pix_fmt: str | None = None  # None: the input's pix_fmt
    lossless: bool = False
    overwrite: bool = False
    fps: Fraction | None = None  # frame rate of image-sequence input/output


@dataclass(frozen=True)
class Options:
    model: ModelOptions = field(default_factory=ModelOptions)
    detect: DetectOptions = field(default_factory=DetectOptions)
    track: TrackOptions = field(default_factory=TrackOptions)
    restore: RestoreOptions = field(default_factory=RestoreOptions)
    encode: EncodeOptions = field(default_factory=EncodeOptions)

    def validate(self, spell: Callable[[str], str] = str) -> Options:
        """Raise UsageError for the first value outside its choices or range; ``spell`` names a field
        the way the caller's user typed it (``--batch-size`` on the command line)."""
        for stage in (self.model, self.detect, self.track, self.restore, self.encode):
            for item in fields(stage):
                problem = check_value(item.name, getattr(stage, item.name))
                if item.name == "grain":
                    problem = _grain_problem(stage.grain)
                if problem:
                    raise UsageError(f"{spell(item.name)} {problem}")
        if self.restore.blend_radius > self.track.track_radius:
            raise UsageError(f"{spell('blend_radius')} must not exceed {spell('track_radius')} (the blend "
                             f"follows tracked faces), got {self.restore.blend_radius} > {self.track.track_radius}")
        return self

    @property
    def window_radius(self) -> int:
        """K of DESIGN rule 1: output frame t depends on input frames t-K .. t+K only."""
        return self.track.track_radius + self.restore.blend_radius


def check_value(name: str, value: Any) -> str | None:
    """What is wrong with ``value`` for the option ``name`` ("must be ..."), or None when it is fine."""
    if value is None:
        return None
    if name in CHOICES and value not in CHOICES[name]:
        return f"must be one of {', '.join(CHOICES[name])}, not {value!r}"
    low, high = RANGES.get(name, (None, None))
    if isinstance(value, float) and not math.isfinite(value):
        return f"must be a finite number, not {value!r}"
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
        return f"must be {bounds}, not {value!r}"
    return None


def _grain_problem(value: str) -> str | None:
    if value in ("auto", "off"):
        return None
    try:
        amount = float(value)
    except ValueError:
        return f"must be auto, off or a number, not {value!r}"
    return None if 0.0 <= amount <= 4.0 else f"must be between 0 and 4, not {value}"

