"""Segment plans: contiguous, cut at keyframes only, about the asked length, tails folded in."""

from __future__ import annotations

import random

import pytest

from gpen_video.scale.plan import Segment, plan_segments


def bounds(segments: list[Segment]) -> list[tuple[int, int]]:
    return [(s.start, s.stop) for s in segments]


def test_intra_only_video_gets_exact_lengths():
    assert bounds(plan_segments(30, range(30), 10)) == [(0, 10), (10, 20), (20, 30)]


def test_short_tail_joins_the_segment_before():
    assert bounds(plan_segments(34, range(34), 10)) == [(0, 10), (10, 20), (20, 34)]
    assert bounds(plan_segments(35, range(35), 10)) == [(0, 10), (10, 20), (20, 30), (30, 35)]


def test_sparse_keyframes_make_longer_segments_never_shorter():
    keyframes = [0, 12, 24, 36, 48]
    assert bounds(plan_segments(60, keyframes, 10)) == [(0, 12), (12, 24), (24, 36), (36, 48), (48, 60)]
    assert bounds(plan_segments(60, keyframes, 20)) == [(0, 24), (24, 48), (48, 60)]


def test_no_usable_keyframe_means_one_segment():
    assert bounds(plan_segments(50, [], 10)) == [(0, 50)]
    assert bounds(plan_segments(50, [0, 70], 10)) == [(0, 50)]


def test_random_plans_cover_the_video_at_keyframes():
    rng = random.Random(6)
    for _ in range(200):
        count = rng.randint(1, 400)
        keyframes = sorted(rng.sample(range(count), rng.randint(0, min(count, 40))))
        segments = plan_segments(count, keyframes, rng.randint(1, 80))
        assert segments[0].start == 0 and segments[-1].stop == count
        assert all(a.stop == b.start for a, b in zip(segments, segments[1:], strict=False))
        assert all(s.start in keyframes for s in segments[1:])
        assert [s.number for s in segments] == list(range(len(segments)))


def test_reads_add_the_window_inside_the_video():
    segment = Segment(1, 10, 20)
    assert segment.reads(4, 100) == range(6, 24)
    assert Segment(0, 0, 10).reads(4, 12) == range(0, 12)
    assert segment.part_name(".mkv") == "part-00001.mkv"


def test_nonsense_is_refused():
    with pytest.raises(ValueError):
        plan_segments(0, [], 10)
    with pytest.raises(ValueError):
        plan_segments(10, [], 0)
    with pytest.raises(ValueError):
        Segment(0, 5, 5)
