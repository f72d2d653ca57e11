"""The outputs module: outputs never touch inputs, overwriting replaces only what cytomoe
wrote, and what an interrupted write left is cleaned by the next one."""

import json

import pytest

from cytomoe.core.errors import InputError, OutputExistsError
from cytomoe.core.io.outputs import (
    MANIFEST_FILE,
    atomic_output,
    check_outside_inputs,
    record_written,
    replace_folder,
    written_files,
)


def _write_folder(out, files: dict[str, str], overwrite=False, commit_file=None):
    with replace_folder(out, overwrite, commit_file) as staging:
        for name, text in files.items():
            (staging / name).write_text(text)


@pytest.mark.parametrize(
    ("output", "relation"),
    [("plate", "is"), (".", "contains"), ("plate/results", "lies inside")],
)
def test_an_output_that_is_contains_or_lies_inside_an_input_is_refused(tmp_path, output, relation):
    (tmp_path / "plate").mkdir()
    with pytest.raises(InputError, match=f"output {relation} the input"):
        check_outside_inputs(tmp_path / output, [tmp_path / "plate"])


def test_an_output_beside_the_input_is_allowed(tmp_path):
    check_outside_inputs(tmp_path / "plate_results", [tmp_path / "plate"])


def test_a_new_folder_records_the_files_cytomoe_wrote(tmp_path):
    _write_folder(tmp_path / "out", {"a.txt": "1", "b.txt": "2"})
    assert written_files(tmp_path / "out") == {"a.txt", "b.txt"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_overwriting_removes_only_files_cytomoe_wrote_before(tmp_path):
    out = tmp_path / "out"
    _write_folder(out, {"a.txt": "1", "old.txt": "2"})
    (out / "mine.txt").write_text("user")
    _write_folder(out, {"a.txt": "new"}, overwrite=True)
    assert (out / "a.txt").read_text() == "new"
    assert not (out / "old.txt").exists()
    assert (out / "mine.txt").read_text() == "user"
    assert written_files(out) == {"a.txt"}


def test_an_existing_folder_is_refused_without_overwrite(tmp_path):
    (tmp_path / "out").mkdir()
    with pytest.raises(OutputExistsError, match="already exists"):
        _write_folder(tmp_path / "out", {"a.txt": "1"})


def test_a_foreign_file_of_an_output_name_stops_the_write_and_stays(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.txt").write_text("user")
    with pytest.raises(OutputExistsError, match="not written by cytomoe"):
        _write_folder(out, {"a.txt": "1", "b.txt": "2"}, overwrite=True)
    assert (out / "a.txt").read_text() == "user" and not (out / "b.txt").exists()


def test_a_manifest_entry_outside_its_folder_is_ignored(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    (out / MANIFEST_FILE).write_text(json.dumps({"files": ["../victim.txt", str(victim)]}))
    _write_folder(out, {"a.txt": "1"}, overwrite=True)
    assert victim.read_text() == "precious"


def test_a_damaged_manifest_is_reported_not_trusted(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / MANIFEST_FILE).write_text("{not json")
    with pytest.raises(InputError, match="damaged"):
        _write_folder(out, {"a.txt": "1"}, overwrite=True)


def test_commit_file_is_removed_first_and_renamed_last(tmp_path, monkeypatch):
    out = tmp_path / "out"
    _write_folder(out, {"data.txt": "1", ".done": "old"}, commit_file=".done")
    seen = []
    import cytomoe.core.io.outputs as outputs

    real_replace = outputs.os.replace

    def spy(source, target):
        seen.append((str(target).rsplit("/", 1)[-1], (out / ".done").exists()))
        real_replace(source, target)

    monkeypatch.setattr(outputs.os, "replace", spy)
    _write_folder(out, {"data.txt": "2", ".done": "new"}, overwrite=True, commit_file=".done")
    moved = [name for name, _ in seen if name in ("data.txt", ".done")]
    assert moved == ["data.txt", ".done"]
    assert dict(seen)["data.txt"] is False  # no old marker while the data changes
    assert (out / ".done").read_text() == "new"


def test_staging_folders_of_an_interrupted_write_are_cleaned(tmp_path):
    stale = tmp_path / ".out.k3j_x9q2.partial"
    stale.mkdir()
    (stale / "clusters.fcs").write_text("half")
    _write_folder(tmp_path / "out", {"a.txt": "1"})
    assert not stale.exists()


def test_an_old_folder_of_an_interrupted_overwrite_is_removed_when_the_new_one_is_there(
    tmp_path,
):
    out = tmp_path / "out"
    _write_folder(out, {"a.txt": "1"})
    (tmp_path / ".out.old").mkdir()
    _write_folder(out, {"a.txt": "2"}, overwrite=True)
    assert not (tmp_path / ".out.old").exists() and (out / "a.txt").read_text() == "2"


def test_an_old_folder_without_its_replacement_is_put_back(tmp_path):
    old = tmp_path / ".out.old"
    old.mkdir()
    (old / "report.json").write_text("earlier results")
    with pytest.raises(OutputExistsError):  # back in place, so it exists now
        _write_folder(tmp_path / "out", {"a.txt": "1"})
    assert (tmp_path / "out" / "report.json").read_text() == "earlier results"


def test_temporary_files_of_an_interrupted_file_write_are_cleaned(tmp_path):
    stale = tmp_path / ".syn.fcs.ab12cd34.part.fcs"
    stale.write_text("half")
    other = tmp_path / ".syn.fcs.notes"
    other.write_text("user")
    with atomic_output(tmp_path / "syn.fcs") as temporary:
        temporary.write_text("whole")
    assert not stale.exists() and other.exists()
    assert (tmp_path / "syn.fcs").read_text() == "whole"


def test_a_recorded_file_replaces_only_a_file_cytomoe_wrote(tmp_path):
    (tmp_path / "summary.csv").write_text("user")
    with pytest.raises(OutputExistsError, match="not written by cytomoe"):
        with atomic_output(tmp_path / "summary.csv", overwrite=True, record=True) as temporary:
            temporary.write_text("ours")
    assert (tmp_path / "summary.csv").read_text() == "user"


def test_a_file_cytomoe_appends_to_is_claimed_once_and_a_foreign_one_refused(tmp_path):
    record_written(tmp_path / "batch.log")
    record_written(tmp_path / "batch.log")  # its own: claimed again without complaint
    assert written_files(tmp_path) == {"batch.log"}
    (tmp_path / "notes.log").write_text("user")
    with pytest.raises(OutputExistsError, match="not written by cytomoe"):
        record_written(tmp_path / "notes.log")
