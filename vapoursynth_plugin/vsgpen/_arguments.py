"""The filter's keywords -> one validated ``gpen_video.options.Options``, or a vs.Error naming the keyword.

Keywords are the option dataclasses' field names (defaults come from there), except where VapourSynth
filters have their own spelling: ``weights`` (a weights folder) and ``device_index`` (a CUDA device).
Types are checked against the dataclass annotations, so a field added there is checked here too.
"""

from __future__ import annotations

import dataclasses
import os
import types
import typing
from collections.abc import Mapping
from typing import Any

import vapoursynth as vs

from gpen_video.errors import UsageError
from gpen_video.options import DetectOptions, ModelOptions, Options, RestoreOptions, TrackOptions

# Options fields that hold the stages the filter exposes (encoding is the CLI's business)
STAGES: dict[str, type] = {"model": ModelOptions, "detect": DetectOptions, "track": TrackOptions,
                           "restore": RestoreOptions}
RENAMED = {"weights_dir": "weights", "device": "device_index"}  # option field -> filter keyword

def keywords() -> dict[str, tuple[str, str, Any]]:
    """Filter keyword -> (Options field, stage field, default), in the dataclasses' order."""
    table = {}
    for stage, cls in STAGES.items():
        for field in dataclasses.fields(cls):
            table[RENAMED.get(field.name, field.name)] = (stage, field.name, field.default)
    return table


def build_options(values: Mapping[str, Any]) -> Options:
    """Options from the filter's keyword values (every keyword of ``keywords()`` present)."""
    stages: dict[str, dict[str, Any]] = {stage: {} for stage in STAGES}
    hints = {stage: typing.get_type_hints(cls) for stage, cls in STAGES.items()}
    for keyword, (stage, name, _default) in keywords().items():
        value = values[keyword]
        value = _device(value) if name == "device" else _typed(keyword, value, hints[stage][name])
        stages[stage][name] = value
    options = Options(**{stage: STAGES[stage](**fields) for stage, fields in stages.items()})
    try:
        return options.validate(spell=lambda field: RENAMED.get(field, field))
    except UsageError as error:
        raise vs.Error(f"gpen: {error}") from None


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
