"""The driver of a split run: plan, resume, render segments as Ray tasks, join, clean up.

``restore_segmented`` is what ``gpen-video IN OUT --workers N`` (local Ray) or ``--ray-address ADDR``
(a cluster) runs. Each finished segment is recorded in the manifest the moment it arrives, so a crash
loses only the segments in flight; the output appears, atomically, only once every segment is done,
and then the parts and the manifest are removed. Ray is imported here, when a run starts, only.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from gpen_video.errors import FrameError, GpenVideoError, InputError, OutputError, UsageError
from gpen_video.io import VideoInfo, probe
from gpen_video.io.join import join_parts
from gpen_video.io.segments import StreamIndex, index_stream
from gpen_video.io.target import refuse_input
from gpen_video.io.writer import is_image_output
from gpen_video.options import Options
from gpen_video.pipeline import RunReport, Span
from gpen_video.scale.manifest import Manifest, describe_job, manifest_path, parts_folder
from gpen_video.scale.options import ScaleOptions
from gpen_video.scale.plan import Segment, plan_segments
from gpen_video.scale.segment import TEST_HOOK, SegmentJob, SegmentResult, render_segment

POLL_S = 0.5  # how often the driver refreshes the progress bar while segments run
TASK_RETRIES = 2  # Ray reruns a segment whose worker or node died (not one that raised)
_OUR_FILES = re.compile(r"^\.?part-\d{5}(\.tmp-[0-9a-f]+)?\.[^.]+$")  # parts and the writer's temporaries


@dataclass
class SplitReport(RunReport):
    """A RunReport with what happened to the segments (stage times are summed over all workers)."""

    segments: int = 0
    reused: int = 0
    rendered: int = 0
    redone: list[str] = field(default_factory=list)  # recorded parts found missing or damaged

    def format(self) -> str:
        lines = [super().format(), f"{self.segments} segments: {self.reused} reused, {self.rendered} rendered"]
        lines += [f"  redone: {problem}" for problem in self.redone]
        return "\n".join(lines)


def restore_segmented(source: str | os.PathLike[str], target: str | os.PathLike[str], options: Options,
                      scale: ScaleOptions, *, span: Span | None = None, progress: bool = True) -> SplitReport:
    """Restore ``source`` into ``target`` in segments on Ray; resume what a manifest says is done.

    Equal to ``restore_video`` frame for frame; the output appears only when every segment is done.
    """
    began, target, span = time.perf_counter(), Path(target), span or Span()
    _check_output(source, target, options.encode.overwrite)
    index = index_stream(source)
    info = replace(probe(source, fps=options.encode.fps), frame_count=index.frame_count)
    segments = _plan(index, scale)
    job = describe_job(source, index.frame_count, options, (span.start, span.end),
                       [(s.start, s.stop) for s in segments])
    manifest, redone = _open_manifest(target, job, scale, options.encode.overwrite)
    report = SplitReport(frames=index.frame_count, segments=len(segments), redone=redone)
    folder = parts_folder(target)
    todo = [s for s in segments if s.number not in manifest.parts]
    report.reused = len(segments) - len(todo)
    if todo:
        jobs = [_job(s, index, info, options, span, folder / s.part_name(target.suffix)) for s in todo]
        _run_on_ray(jobs, manifest, scale, report, _Bar(index.frame_count, progress))
    parts = [folder / manifest.parts[s.number].file for s in segments]
    join_parts(parts, target, info, source=source, overwrite=options.encode.overwrite)
    _remove_parts(folder, manifest.path)
    report.seconds = time.perf_counter() - began
    return report


def _check_output(source: str | os.PathLike[str], target: Path, overwrite: bool) -> None:
    """Fail before hours of work rather than at the join."""
    if is_image_output(target):
        raise UsageError(f"a split run writes a video file, not an image sequence: {target} "
                         "(run without --workers/--ray-address/--resume for image output)")
    refuse_input(target, [source])
    if target.exists() and not overwrite:
        raise OutputError(f"output {target} exists (pass --overwrite to replace it)")
    if not target.parent.is_dir():
        raise OutputError(f"output folder {target.parent} does not exist")


def _plan(index: StreamIndex, scale: ScaleOptions) -> list[Segment]:
    if index.frame_count == 0:
        raise InputError(f"{index.path} has no video frames")
    return plan_segments(index.frame_count, index.keyframes, scale.segment_frames)


def _open_manifest(target: Path, job: dict[str, Any], scale: ScaleOptions, overwrite: bool
                   ) -> tuple[Manifest, list[str]]:
    """This job's manifest: the recorded one with its parts checked, or a new one.

    A manifest of another job (other options or input) is replaced only with ``overwrite``:
    discarding hours of finished segments should never happen by accident.
    """
    path, folder = manifest_path(target), parts_folder(target)
    manifest, problems = Manifest.load(path), []
    if manifest is None and scale.resume:
        raise UsageError(f"nothing to resume: {path} does not exist (run without --resume to start)")
    if manifest is not None:
        changed = manifest.differences(job)
        if not changed:
            problems = manifest.verify(folder)
        elif overwrite:
            manifest = None
        else:
            raise UsageError(f"{folder} holds segments of another run ({', '.join(changed[:4])} differ): "
                             "repeat that run's command to resume it, or pass --overwrite to start over")
    manifest = manifest or Manifest(path, job)
    folder.mkdir(exist_ok=True)
    _sweep(folder, keep={p.file for p in manifest.parts.values()})
    manifest.save()
    return manifest, problems


def _sweep(folder: Path, keep: set[str]) -> None:
    """Remove our files the manifest does not vouch for: stale parts and killed writers' temporaries."""
    for path in folder.iterdir():
        if _OUR_FILES.match(path.name) and path.name not in keep:
            path.unlink(missing_ok=True)


def _remove_parts(folder: Path, manifest: Path) -> None:
    manifest.unlink(missing_ok=True)  # first: parts without a manifest are never trusted
    _sweep(folder, keep=set())
    try:
        folder.rmdir()
    except OSError:
        pass  # something of the user's is in there: leave it


def _job(segment: Segment, index: StreamIndex, info: VideoInfo, options: Options, span: Span,
         part: Path) -> SegmentJob:
    reads = segment.reads(options.window_radius, index.frame_count)
    return SegmentJob(segment, index.frame_range(reads.start, reads.stop), info, options, span, str(part))


# -- Ray ----------------------------------------------------------------------------------------------


class ProgressBoard:
    """Frames written so far per segment, kept by a Ray actor; a retried segment starts again at 0."""

    def __init__(self) -> None:
        self.done: dict[int, int] = {}

    def report(self, number: int, frames: int) -> None:
        self.done[number] = frames

    def total(self) -> int:
        return sum(self.done.values())


def _remote_segment(job: SegmentJob, board: Any) -> SegmentResult:
    """The Ray task: render one segment, telling the board how far it is."""
    return render_segment(job, lambda frames: board.report.remote(job.segment.number, frames))


def _import_ray() -> Any:
    try:
        import ray
    except ImportError as error:
        raise UsageError("--workers, --ray-address and --resume need Ray: pip install 'gpen-video[scale]'"
                         ) from error
    return ray


def _run_on_ray(jobs: list[SegmentJob], manifest: Manifest, scale: ScaleOptions, report: SplitReport,
                bar: _Bar) -> None:
    ray = _import_ray()
    _connect(ray, scale)
    try:
        resources, device = _resources(ray, scale, jobs[0].options)
        jobs = [replace(j, options=replace(j.options, model=replace(j.options.model, device=device)))
                for j in jobs]
        limit = scale.workers if scale.ray_address is None else scale.workers or len(jobs)
        with bar:
            bar.start(sum(p.frames for p in manifest.parts.values()))
            _schedule(ray, jobs, resources, max(1, limit or 1), manifest, report, bar)
    finally:
        ray.shutdown()


def _connect(ray: Any, scale: ScaleOptions) -> None:
    """Start a local Ray for ``--workers``, or join the cluster at ``--ray-address``."""
    quiet: dict[str, Any] = {"log_to_driver": False, "logging_level": logging.ERROR}
    hook = os.environ.get(TEST_HOOK)
    if hook:  # tests only: the cluster's workers do not inherit this process's environment
        quiet["runtime_env"] = {"env_vars": {TEST_HOOK: hook}}
    try:
        if scale.ray_address is None:
            cpus, gpus = _local_capacity(scale)
            ray.init(num_cpus=cpus, num_gpus=gpus, include_dashboard=False, **quiet)
        else:
            ray.init(address=scale.ray_address, **quiet)
    except (ConnectionError, RuntimeError, ValueError) as error:
        where = "start a local Ray" if scale.ray_address is None else f"reach a Ray cluster at {scale.ray_address}"
        raise UsageError(f"cannot {where}: {error} (start one with 'ray start --head', then pass "
                         "--ray-address auto on that machine)") from error


def _local_capacity(scale: ScaleOptions) -> tuple[int, int]:
    """CPUs and GPUs the local Ray offers: every GPU, and the cores shared evenly by the workers."""
    import torch

    workers = scale.workers or 1
    threads = max(1, (os.cpu_count() or 1) // workers)
    return threads * workers, torch.cuda.device_count()


def _resources(ray: Any, scale: ScaleOptions, options: Options) -> tuple[dict[str, float], str]:
    """What each task asks Ray for, and the device it then uses (its GPU is always cuda:0 to it)."""
    gpus = ray.cluster_resources().get("GPU", 0) if options.model.device != "cpu" else 0
    if not gpus and (options.model.device or "").startswith("cuda"):
        raise UsageError(f"--device {options.model.device} asks for a GPU, but the Ray cluster has none")
    if gpus:
        share = 1.0 if scale.ray_address is not None else min(1.0, gpus / (scale.workers or 1))
        return {"num_gpus": share, "num_cpus": 1}, "cuda"
    if scale.ray_address is not None:
        return {"num_cpus": 1}, "cpu"
    return {"num_cpus": max(1, (os.cpu_count() or 1) // (scale.workers or 1))}, "cpu"


def _schedule(ray: Any, jobs: Sequence[SegmentJob], resources: dict[str, float], limit: int,
              manifest: Manifest, report: SplitReport, bar: _Bar) -> None:
    """Keep up to ``limit`` segments running; record each one as it finishes; fail fast on an error."""
    task = ray.remote(_remote_segment).options(max_retries=TASK_RETRIES, **resources)
    board = ray.remote(ProgressBoard).options(num_cpus=0).remote()
    waiting, running = list(jobs), {}
    try:
        while waiting or running:
            while waiting and len(running) < limit:
                job = waiting.pop(0)
                running[task.remote(job, board)] = job
            ready, _ = ray.wait(list(running), num_returns=1, timeout=POLL_S)
            for ref in ready:
                result = _result(ray, ref, running.pop(ref))
                manifest.record(result.record)
                _add(report, result)
            bar.show(ray.get(board.total.remote()))
    finally:
        for ref in running:
            ray.cancel(ref, force=True)


def _result(ray: Any, ref: Any, job: SegmentJob) -> SegmentResult:
    """The task's result; its failure as one project error naming the segment."""
    segment = job.segment
    where = f"segment {segment.number} (frames {segment.start}..{segment.stop - 1})"
    try:
        return ray.get(ref)
    except ray.exceptions.RayTaskError as error:
        cause = getattr(error, "cause", None) or error
        if isinstance(cause, GpenVideoError):
            raise type(cause)(f"{where}: {cause}") from cause
        raise FrameError(f"{where} failed: {type(cause).__name__}: {cause}") from cause
    except ray.exceptions.RayError as error:
        raise FrameError(f"{where} was lost ({type(error).__name__}) after {TASK_RETRIES} retries; "
                         "rerun the same command to resume") from error


def _add(report: SplitReport, result: SegmentResult) -> None:
    report.rendered += 1
    report.restored_frames += result.restored_frames
    for stage, seconds in result.stage_seconds.items():
        report.stage_seconds[stage] = report.stage_seconds.get(stage, 0.0) + seconds


class _Bar:
    """One tqdm bar over every frame of the video, on stderr, or nothing when progress is off."""

    def __init__(self, total: int, enabled: bool):
        self.total, self.enabled, self.bar, self.base = total, enabled, None, 0

    def __enter__(self) -> _Bar:
        return self

    def start(self, already: int) -> None:
        """Show the bar, counting the frames of segments done in an earlier run."""
        self.base = already
        if self.enabled:
            from tqdm import tqdm

            self.bar = tqdm(total=self.total, initial=already, unit="frame", dynamic_ncols=True,
                            file=sys.stderr, desc="restoring", smoothing=0.1)

    def show(self, running_total: int) -> None:
        if self.bar is not None:
            self.bar.update(max(0, self.base + running_total - self.bar.n))

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.close()
