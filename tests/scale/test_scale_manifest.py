"""The manifest: what a job is, which parts are done, and when a rerun may trust them."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from gpen_video.errors import UsageError
from gpen_video.options import EncodeOptions, Options, RestoreOptions
from gpen_video.scale.manifest import (
    Manifest,
    PartRecord,
    describe_job,
    manifest_path,
    parts_folder,
    sha256_file,
)
from gpen_video.scale.options import ScaleOptions
from gpen_video.scale.run import _open_manifest


@pytest.fixture
def source(tmp_path) -> Path:
    path = tmp_path / "in.mp4"
    path.write_bytes(b"not really a video")
    return path


def job(source: Path, options: Options | None = None) -> dict:
    return describe_job(source, 40, options or Options(), (None, None), [(0, 16), (16, 40)])


def finished_part(folder: Path, number: int, payload: bytes) -> PartRecord:
    folder.mkdir(exist_ok=True)
    path = folder / f"part-{number:05d}.mkv"
    path.write_bytes(payload)
    return PartRecord(number, path.name, len(payload), sha256_file(path), 16)


def test_names_sit_beside_the_output(tmp_path):
    target = tmp_path / "film.mkv"
    assert parts_folder(target) == tmp_path / "film.mkv.parts"
    assert manifest_path(target) == tmp_path / "film.mkv.manifest.json"


def test_save_and_load_round_trip(tmp_path, source):
    manifest = Manifest(tmp_path / "m.json", job(source))
    manifest.record(finished_part(tmp_path / "parts", 1, b"abc"))
    loaded = Manifest.load(tmp_path / "m.json")
    assert loaded.job == manifest.job and loaded.parts == manifest.parts
    assert loaded.differences(job(source)) == []


def test_unreadable_manifest_counts_as_none(tmp_path):
    (tmp_path / "m.json").write_text("{half a manif")
    assert Manifest.load(tmp_path / "m.json") is None
    assert Manifest.load(tmp_path / "absent.json") is None


def test_options_that_change_pixels_change_the_job_but_overwrite_does_not(source):
    base = Options()
    stronger = replace(base, restore=RestoreOptions(strength=0.5))
    forced = replace(base, encode=EncodeOptions(overwrite=True))
    manifest = Manifest(Path("unused"), job(source, base))
    assert manifest.differences(job(source, stronger)) == ["options.restore.strength"]
    assert manifest.differences(job(source, forced)) == []
    source.write_bytes(b"a different input")
    assert manifest.differences(job(source, base)) != []


def test_verify_drops_missing_and_damaged_parts(tmp_path, source):
    folder = tmp_path / "parts"
    manifest = Manifest(tmp_path / "m.json", job(source))
    for number in range(3):
        manifest.record(finished_part(folder, number, bytes([number]) * 100))
    (folder / "part-00000.mkv").unlink()
    (folder / "part-00002.mkv").write_bytes(b"\x02" * 99 + b"\x03")  # same size, other bytes
    problems = manifest.verify(folder)
    assert problems == ["part-00000.mkv is missing",
                        "part-00002.mkv is damaged (its sha256 differs from the manifest)"]
    assert list(manifest.parts) == [1]


def test_rerun_resumes_and_sweeps_what_the_manifest_does_not_vouch_for(tmp_path, source):
    target = tmp_path / "out.mkv"
    folder = parts_folder(target)
    kept = finished_part(folder, 0, b"done")
    Manifest(manifest_path(target), job(source), {0: kept}).save()
    (folder / ".part-00001.tmp-1a2b3c4d.mkv").write_bytes(b"killed writer")
    (folder / "part-00001.mkv").write_bytes(b"never recorded")
    (folder / "notes.txt").write_text("the user's")
    manifest, problems = _open_manifest(target, job(source), ScaleOptions(), overwrite=False)
    assert problems == [] and list(manifest.parts) == [0]
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt", "part-00000.mkv"]


def test_another_runs_parts_are_kept_unless_overwrite(tmp_path, source):
    target = tmp_path / "out.mkv"
    Manifest(manifest_path(target), job(source), {0: finished_part(parts_folder(target), 0, b"x")}).save()
    other = job(source, replace(Options(), restore=RestoreOptions(strength=0.5)))
    with pytest.raises(UsageError, match="options.restore.strength"):
        _open_manifest(target, other, ScaleOptions(resume=True), overwrite=False)
    assert (parts_folder(target) / "part-00000.mkv").exists()
    manifest, _ = _open_manifest(target, other, ScaleOptions(), overwrite=True)
    assert manifest.parts == {} and not (parts_folder(target) / "part-00000.mkv").exists()


def test_resume_with_nothing_to_resume_is_a_usage_error(tmp_path, source):
    with pytest.raises(UsageError, match="nothing to resume"):
        _open_manifest(tmp_path / "out.mkv", job(source), ScaleOptions(resume=True), overwrite=False)
