"""The two records the face stages pass on: what the detector saw, and what tracking decided.

Both are validated struct-of-arrays dataclasses with read-only numpy arrays: they are cached per frame
and shared between windows, so nothing downstream may change them in place (that would break the
"same pixels whatever the order" rule of DESIGN.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def _frozen(value: object, dtype: type, shape: tuple[int | None, ...], name: str) -> np.ndarray:
    """A read-only contiguous copy of ``value`` with ``dtype``, checked against ``shape`` (None = any)."""
    arr = np.array(value, dtype=dtype, copy=True)
    if arr.ndim != len(shape) or any(s is not None and s != a for s, a in zip(shape, arr.shape, strict=True)):
        want = "(" + ",".join("N" if s is None else str(s) for s in shape) + ")"
        raise ValueError(f"{name} must have shape {want}, got {arr.shape}")
    if dtype is np.float32 and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} has non-finite values")
    arr.flags.writeable = False
    return arr


def _same_length(names: dict[str, np.ndarray]) -> int:
    lengths = {name: len(arr) for name, arr in names.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"face arrays differ in length: {lengths}")
    return next(iter(lengths.values()))


@dataclass(frozen=True)
class Detections:
    """Faces found on one frame, in full-frame pixels (x right, y down, pixel edges at integers).

    ``boxes_xyxy`` float32 (N,4); ``points`` float32 (N,5,2) in the order left eye, right eye, nose,
    left mouth corner, right mouth corner (image-left first); ``scores`` float32 (N,) in [0,1].
    Boxes may reach past the frame edges for faces that are partly outside.
    """

    boxes_xyxy: np.ndarray
    points: np.ndarray
    scores: np.ndarray

    def __post_init__(self) -> None:
        object.__setattr__(self, "boxes_xyxy", _frozen(self.boxes_xyxy, np.float32, (None, 4), "boxes_xyxy"))
        object.__setattr__(self, "points", _frozen(self.points, np.float32, (None, 5, 2), "points"))
        object.__setattr__(self, "scores", _frozen(self.scores, np.float32, (None,), "scores"))
        _same_length({"boxes_xyxy": self.boxes_xyxy, "points": self.points, "scores": self.scores})

    def __len__(self) -> int:
        return len(self.scores)

    @classmethod
    def empty(cls) -> Detections:
        """No face on this frame (which is different from ``None``: no frame at all)."""
        return cls(np.zeros((0, 4)), np.zeros((0, 5, 2)), np.zeros((0,)))


@dataclass(frozen=True)
class TrackedFaces:
    """The faces to restore on one frame t, as decided from the window t-R .. t+R (R = track_radius).

    ``points`` float32 (N,5,2) smoothed px; ``boxes_xyxy`` float32 (N,4) px; ``scores`` float32 (N,)
    detector confidence near t; ``weights`` float32 (N,) in [0,1]: how much of the restored face to
    composite (ramps at chain ends so faces never pop); ``det_index`` int64 (N,): the face's index in
    frame t's Detections, -1 where it is bridged by prediction; ``chain`` int64 (N, 2R+1): its det
    index on frames t-R .. t+R (column R is t; -1 where none or outside the video/shot);
    ``track_id`` int64 (N,): for reports only, unique within the record, never changes pixels.
    """

    points: np.ndarray
    boxes_xyxy: np.ndarray
    scores: np.ndarray
    weights: np.ndarray
    det_index: np.ndarray
    chain: np.ndarray
    track_id: np.ndarray

    def __post_init__(self) -> None:
        for name, dtype, shape in (
            ("points", np.float32, (None, 5, 2)),
            ("boxes_xyxy", np.float32, (None, 4)),
            ("scores", np.float32, (None,)),
            ("weights", np.float32, (None,)),
            ("det_index", np.int64, (None,)),
            ("chain", np.int64, (None, None)),
            ("track_id", np.int64, (None,)),
        ):
            object.__setattr__(self, name, _frozen(getattr(self, name), dtype, shape, name))
        _same_length({name: getattr(self, name) for name in self.__dataclass_fields__})
        if self.chain.shape[1] % 2 != 1:
            raise ValueError(f"chain must have an odd number of columns (2R+1), got {self.chain.shape[1]}")
        if np.any((self.weights < 0) | (self.weights > 1)):
            raise ValueError("weights must lie in [0, 1]")
        if not np.array_equal(self.det_index, self.chain[:, self.radius]):
            raise ValueError("det_index must equal the centre column of chain")
        if len(np.unique(self.track_id)) != len(self.track_id):
            raise ValueError("track_id must be unique within one frame")

    def __len__(self) -> int:
        return len(self.weights)

    @property
    def radius(self) -> int:
        """R: the chain columns are frames t-R .. t+R."""
        return self.chain.shape[1] // 2

    @classmethod
    def empty(cls, radius: int) -> TrackedFaces:
        """No face to restore on this frame."""
        z = np.zeros((0,))
        return cls(np.zeros((0, 5, 2)), np.zeros((0, 4)), z, z, z, np.zeros((0, 2 * radius + 1)), z)
