"""Split a long run into segments at keyframes and restore them in parallel on Ray, resumably.

Each segment is rendered with K frames of context on either side and the whole video's frame count,
so by rule 1 the joined result equals a single-process run frame for frame. Finished segments are
recorded with their sha256 in a manifest beside the output; a rerun skips them after checking. Ray
is imported only when a run starts (``run.py``), so everything else works without it.
"""

from __future__ import annotations

from gpen_video.scale.options import ScaleOptions

__all__ = ["ScaleOptions", "restore_segmented"]


def __getattr__(name: str):
    if name == "restore_segmented":  # the driver pulls in the pipeline and, when run, Ray
        from gpen_video.scale.run import restore_segmented

        return restore_segmented
    raise AttributeError(name)
