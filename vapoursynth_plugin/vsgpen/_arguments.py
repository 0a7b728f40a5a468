"""The filter's keywords -> one validated ``gpen_video.options.Options``, or a vs.Error naming the keyword.

Keywords are the option dataclasses' field names (defaults come from there), except where VapourSynth
filters have their own spelling: ``weights`` (a weights folder) and ``device_index`` (a CUDA device).
Types are checked against the dataclass annotations, so a field added there is checked here too.
"""

from __future__ import annotations

import dataclasses
import math
import os
import types
import typing
from collections.abc import Mapping
from typing import Any

import vapoursynth as vs

from gpen_video.model.registry import entries
from gpen_video.options import DetectOptions, ModelOptions, Options, RestoreOptions, TrackOptions

# Options fields that hold the stages the filter exposes (encoding is the CLI's business)
STAGES: dict[str, type] = {"model": ModelOptions, "detect": DetectOptions, "track": TrackOptions,
                           "restore": RestoreOptions}
RENAMED = {"weights_dir": "weights", "device": "device_index"}  # option field -> filter keyword
# Fields the filter leaves at their defaults: the CLI's pipeline, not the engine, writes the saved faces.
CLI_ONLY = {"save_faces"}

# Values the dataclasses' types alone do not rule out (the CLI's flags state the same limits).
_CHOICES = {
    "dtype": ("auto", "fp32", "fp16", "bf16"),
    "faces": ("all", "largest", "center"),
    "template": ("gpen", "ffhq"),
    "detector": tuple(entry.name for entry in entries() if entry.kind == "detector"),
    "smooth_space": ("similarity", "points"),
}
_UNIT = (0.0, 1.0)
_RANGES = {
    "strength": _UNIT, "temporal": _UNIT, "score_threshold": _UNIT,
    "batch_size": (0, None), "min_face": (0, None), "detect_size": (32, None), "track_radius": (0, None),
    "blend_radius": (0, None), "min_hits": (1, None), "max_misses": (0, None), "ramp": (0, None),
    "point_noise": (0.0, None), "motion_noise": (0.0, None),
}


def keywords() -> dict[str, tuple[str, str, Any]]:
    """Filter keyword -> (Options field, stage field, default), in the dataclasses' order."""
    table = {}
    for stage, cls in STAGES.items():
        for field in dataclasses.fields(cls):
            if field.name not in CLI_ONLY:
                table[RENAMED.get(field.name, field.name)] = (stage, field.name, field.default)
    return table


def build_options(values: Mapping[str, Any]) -> Options:
    """Options from the filter's keyword values (every keyword of ``keywords()`` present)."""
    stages: dict[str, dict[str, Any]] = {stage: {} for stage in STAGES}
    hints = {stage: typing.get_type_hints(cls) for stage, cls in STAGES.items()}
    for keyword, (stage, name, _default) in keywords().items():
        value = values[keyword]
        value = _device(value) if name == "device" else _typed(keyword, value, hints[stage][name])
        _check_value(keyword, name, value)
        stages[stage][name] = value
    if stages["restore"]["blend_radius"] > stages["track"]["track_radius"]:
        raise vs.Error("gpen: blend_radius must not exceed track_radius (the blend follows tracked faces), "
                       f"got {stages['restore']['blend_radius']} > {stages['track']['track_radius']}")
    return Options(**{stage: STAGES[stage](**fields) for stage, fields in stages.items()})


def _typed(keyword: str, value: Any, hint: Any) -> Any:
    """The value if it fits the annotation (an int passes for a float, a path for a str), else vs.Error."""
    allowed = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    if value is None and type(None) in allowed:
        return None
    for kind in allowed:
        if kind is float and isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if kind is int and isinstance(value, int) and not isinstance(value, bool):
            return value
        if kind in (str, bool) and isinstance(value, kind):
            return value
        if kind is str and isinstance(value, os.PathLike):
            return os.fspath(value)
    names = " or ".join("None" if kind is type(None) else kind.__name__ for kind in allowed)
    raise vs.Error(f"gpen: {keyword} must be {names}, not {value!r}")


def _check_value(keyword: str, name: str, value: Any) -> None:
    if value is None:
        return
    if name in _CHOICES and value not in _CHOICES[name]:
        raise vs.Error(f"gpen: {keyword} must be one of {', '.join(_CHOICES[name])}, not {value!r}")
    low, high = _RANGES.get(name, (None, None))
    if isinstance(value, float) and not math.isfinite(value):
        raise vs.Error(f"gpen: {keyword} must be a finite number, not {value!r}")
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise vs.Error(f"gpen: {keyword} must be {bounds}, not {value!r}")


def _device(index: Any) -> str | None:
    """``device_index``: None picks CUDA when there is one, else the CPU; -1 the CPU; n CUDA device n."""
    if index is None:
        return None
    if isinstance(index, bool) or not isinstance(index, int) or index < -1:
        raise vs.Error(f"gpen: device_index must be None, -1 (CPU) or a CUDA device number, not {index!r}")
    if index == -1:
        return "cpu"
    import torch

    count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if index >= count:
        raise vs.Error(f"gpen: device_index {index} does not exist: {count} CUDA device(s) found "
                       "(use -1 or None for the CPU)")
    return f"cuda:{index}"
