"""Turn a registry name or a checkpoint file into a ready GPEN: read safely, check, build, cast.

Files are read with ``torch.load(weights_only=True)`` (memory-mapped when the format allows), so a
checkpoint can hold tensors but never code. The network's shape is inferred from the keys, so a renamed
file (ModelScope's ``pytorch_model.pt``) loads as it is; a file that does not fit is refused with the
missing, unexpected and mis-shaped keys named, before any strict load.
"""

from __future__ import annotations

import os
import pickle
import zipfile
from collections.abc import Mapping
from pathlib import Path

import torch
from torch import Tensor

from gpen_video.errors import ArchitectureError, UsageError, WeightsError
from gpen_video.model.config import GPENConfig, infer_config
from gpen_video.model.download import check_file
from gpen_video.model.generator import GPEN
from gpen_video.model.registry import registered, resolve_weights

DTYPES = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}
# dtype "auto" per device type; cuda stays fp32 until half precision is measured on a GPU.
AUTO_DTYPE = {"cpu": torch.float32, "cuda": torch.float32}
# Where a training script nests the generator's weights; the released files are flat.
_WRAPPERS = ("g_ema", "params_ema", "params", "state_dict", "model")


def resolve_dtype(dtype_name: str | torch.dtype | None, device: torch.device | str) -> torch.dtype:
    """The compute dtype for ``ModelOptions.dtype`` (auto | fp32 | fp16 | bf16) on ``device``.

    auto is fp32 on every device for now: half precision changed GPEN-512's output visibly in a
    third-party port, and fp16/bf16 have not been measured on a GPU yet (bench/model.py does that; see
    weights/README.md); AUTO_DTYPE is the one place to change once it is.
    """
    if isinstance(dtype_name, torch.dtype):
        return dtype_name
    if dtype_name in (None, "auto"):
        return AUTO_DTYPE.get(torch.device(device).type, torch.float32)
    if dtype_name not in DTYPES:
        raise UsageError(f"unknown dtype: {dtype_name} (use auto, fp32, fp16 or bf16)")
    return DTYPES[dtype_name]


def read_state_dict(path: str | os.PathLike[str]) -> dict[str, Tensor]:
    """A checkpoint file's flat state_dict, on the cpu, read without running any pickled code."""
    path = Path(path)
    try:
        loaded = torch.load(path, map_location="cpu", weights_only=True, mmap=zipfile.is_zipfile(path))
    except pickle.UnpicklingError as error:
        if "weights only" in str(error).lower():
            raise WeightsError(f"not a plain state_dict: {path} holds pickled Python objects, which are not "
                               f"loaded for safety (save model.state_dict() instead)") from error
        raise WeightsError(f"weights file is truncated or corrupt: {path} ({_first_line(error)})") from error
    except (RuntimeError, EOFError, OSError, KeyError, ValueError) as error:
        raise WeightsError(f"weights file is truncated or corrupt: {path} ({path.stat().st_size} bytes; "
                           f"{_first_line(error)})") from error
    return _unwrap(loaded, path)


def _first_line(error: Exception) -> str:
    if isinstance(error, KeyError | EOFError):  # what the unpickler says about bytes that are no pickle
        return "not readable as a PyTorch checkpoint"
    return str(error).strip().split("\n")[0].split(". ")[0] or type(error).__name__


def _is_tensor_map(value: object) -> bool:
    return isinstance(value, Mapping) and bool(value) and all(isinstance(v, Tensor) for v in value.values())


def _unwrap(loaded: object, path: Path) -> dict[str, Tensor]:
    if not _is_tensor_map(loaded) and isinstance(loaded, Mapping):
        loaded = next((loaded[k] for k in _WRAPPERS if _is_tensor_map(loaded.get(k))), loaded)
    if not _is_tensor_map(loaded):
        what = f"a {type(loaded).__name__}"
        if isinstance(loaded, Mapping):
            what += f" with keys {', '.join(map(str, list(loaded)[:5]))}"
        raise WeightsError(f"not a plain state_dict: {path} holds {what}, not a mapping of names to tensors")
    state = dict(loaded)
    if all(k.startswith("module.") for k in state):  # saved from DataParallel
        state = {k.removeprefix("module."): v for k, v in state.items()}
    return state


def check_architecture(state_dict: Mapping[str, Tensor], config: GPENConfig, source: object) -> None:
    """Raise ArchitectureError naming the missing, unexpected and mis-shaped keys (timm-style report)."""
    with torch.device("meta"):
        expected = {k: tuple(v.shape) for k, v in GPEN(config).state_dict().items()}
    missing = [k for k in expected if k not in state_dict]
    unexpected = [k for k in state_dict if k not in expected]
    shapes = [f"{k} is {list(state_dict[k].shape)}, expected {list(shape)}"
              for k, shape in expected.items() if k in state_dict and tuple(state_dict[k].shape) != shape]
    problems = [f"{label} {_few(keys)}" for label, keys in
                (("missing keys", missing), ("unexpected keys", unexpected), ("shape of", shapes)) if keys]
    if problems:
        raise ArchitectureError(f"{source} does not fit the GPEN generator {_describe(config)}: "
                                f"{'; '.join(problems)}")


def _few(items: list[str], shown: int = 3) -> str:
    more = f" (+{len(items) - shown} more)" if len(items) > shown else ""
    return ", ".join(items[:shown]) + more


def _describe(config: GPENConfig) -> str:
    return (f"(size {config.size}, channel_multiplier {config.channel_multiplier}, "
            f"narrow {config.narrow}, style_dim {config.style_dim}, n_mlp {config.n_mlp})")


def load_gpen(source: str | os.PathLike[str], device: torch.device | str | None = None,
              dtype: str | torch.dtype | None = None, weights_dir: str | os.PathLike[str] | None = None,
              ) -> GPEN:
    """A GPEN in eval mode without gradients, from a registry name ("GPEN-BFR-512") or a checkpoint path.

    A registry file is checked against the manifest's size and sha256 first; a path is used as it is.
    ``device`` None picks cuda when available; ``dtype`` takes ModelOptions spellings or a torch dtype.
    """
    device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    path = resolve_weights(source, weights_dir)
    entry = registered(source)
    if entry is not None:
        check_file(entry, path)
    state = read_state_dict(path)
    config = infer_config(state)
    if entry is not None and entry.config is not None and entry.config != config:
        raise ArchitectureError(f"{path} holds a GPEN {_describe(config)}, but {entry.name} is "
                                f"{_describe(entry.config)}")
    check_architecture(state, config, path)
    with torch.device("meta"):
        model = GPEN(config)
    model.load_state_dict(state, strict=True, assign=True)
    model.cast(device, resolve_dtype(dtype, device)).eval().requires_grad_(False)
    return model
