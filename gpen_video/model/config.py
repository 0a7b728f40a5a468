"""What shape a GPEN generator has, and how to read that shape back from a checkpoint's keys.

Torch-free on purpose: the registry and the ``weights`` command use it without paying for a torch import.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gpen_video.errors import ArchitectureError

_ECD_WEIGHT = re.compile(r"^ecd(\d+)\.0\.(?:0|1)\.weight$")
_STYLE_WEIGHT = re.compile(r"^generator\.style\.(\d+)\.weight$")


@dataclass(frozen=True)
class GPENConfig:
    """The arguments of the reference ``FullGenerator`` (isconcat=True, blur [1,3,3,1], lr_mlp 0.01)."""

    size: int
    style_dim: int = 512
    n_mlp: int = 8
    channel_multiplier: float = 2
    narrow: float = 1.0

    def __post_init__(self) -> None:
        if self.size not in {2**k for k in range(3, 12)}:
            raise ArchitectureError(f"GPEN size must be a power of two from 8 to 2048, not {self.size}")
        if self.style_dim < 1 or self.n_mlp < 1:
            raise ArchitectureError(f"GPEN needs style_dim and n_mlp >= 1, not {self.style_dim}, {self.n_mlp}")
        if min(self.channels.values()) < 1:
            raise ArchitectureError(f"GPEN channel_multiplier {self.channel_multiplier} and narrow "
                                    f"{self.narrow} leave a resolution with no channels")

    @property
    def log_size(self) -> int:
        return self.size.bit_length() - 1

    @property
    def channels(self) -> dict[int, int]:
        """C(r) for every resolution r from 4 to ``size``, as the reference computes it (with int())."""
        cm, n = self.channel_multiplier, self.narrow
        table = {4: 512 * n, 8: 512 * n, 16: 512 * n, 32: 512 * n, 64: 256 * cm * n, 128: 128 * cm * n,
                 256: 64 * cm * n, 512: 32 * cm * n, 1024: 16 * cm * n, 2048: 8 * cm * n}
        return {r: int(c) for r, c in table.items() if r <= self.size}

    def as_dict(self) -> dict[str, Any]:
        return {"size": self.size, "style_dim": self.style_dim, "n_mlp": self.n_mlp,
                "channel_multiplier": self.channel_multiplier, "narrow": self.narrow}


def _shape(state_dict: Mapping[str, Any], key: str) -> tuple[int, ...]:
    if key not in state_dict:
        raise ArchitectureError(f"not a GPEN generator state_dict: key {key} is missing")
    return tuple(state_dict[key].shape)


def _tidy(value: float) -> float:
    # 0.5 and 2.0 print as the reference's 0.5 and 2, so a config reads like the release table.
    return int(value) if float(value).is_integer() else value


def infer_config(state_dict: Mapping[str, Any]) -> GPENConfig:
    """Read size, style_dim, n_mlp, channel_multiplier and narrow from a state_dict's keys and shapes.

    Only shapes are looked at (meta tensors work). A size-32-or-smaller model has no resolution that
    depends on channel_multiplier, so it reads back as 1 there.
    """
    encoder = {int(m.group(1)): tuple(state_dict[k].shape) for k in state_dict if (m := _ECD_WEIGHT.match(k))}
    if not encoder:
        raise ArchitectureError("not a GPEN generator state_dict: it has no encoder keys (ecd0.0.0.weight ...)")
    size = 2 ** (max(encoder) + 2)
    styles = [int(m.group(1)) for k in state_dict if (m := _STYLE_WEIGHT.match(k))]
    style_dim = _shape(state_dict, "final_linear.0.weight")[0]
    narrow = _shape(state_dict, "generator.input.input")[1] / 512
    # ecdK outputs resolution size / 2**K; its weight's first dimension is C at that resolution.
    by_resolution = {size >> k: shape[0] for k, shape in encoder.items()}
    channel_multiplier = by_resolution[64] / (256 * narrow) if 64 in by_resolution else 1
    return GPENConfig(size=size, style_dim=style_dim, n_mlp=len(styles),
                      channel_multiplier=_tidy(channel_multiplier), narrow=_tidy(narrow))
