"""Every file cytomoe writes goes through here: a temporary name, then a rename.

The rules that keep data safe:

- An output never is, contains or lies inside an input (:func:`check_outside_inputs`).
- An output folder records the files cytomoe wrote into it (:data:`MANIFEST_FILE`);
  overwriting replaces or removes only those, never a file cytomoe did not write.
- What an interrupted write left behind (a staging folder, a temporary file, an old
  folder of an earlier version) is cleaned up by the next write to the same place.
"""

import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from cytomoe.core.errors import InputError, OutputExistsError

MANIFEST_FILE = ".cytomoe-outputs.json"
_RANDOM = r"[A-Za-z0-9_]{8}"  # the random part of tempfile's names


def check_outside_inputs(output: str | Path, inputs: Iterable[str | Path]) -> None:
    """Refuse an output (file or folder) that is, contains or lies inside an input."""
    output = Path(output).expanduser().resolve()
    for item in inputs:
        source = Path(item).expanduser().resolve()
        if output == source:
            relation = "is"
        elif output in source.parents:
            relation = "contains"
        elif source in output.parents:
            relation = "lies inside"
        else:
            continue
        raise InputError(
            f"{output}: the output {relation} the input {source}; choose another output "
            "so that the input stays as it is."
        )


def check_folder_target(out_dir: str | Path, overwrite: bool) -> None:
    """Before the long work: may a folder of outputs be written at ``out_dir``?"""
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"{out_dir} is a file, not a folder to write into.")
    if out_dir.exists() and not overwrite:
        raise OutputExistsError(
            f"{out_dir} already exists; choose another folder or use --overwrite."
        )
    if not out_dir.parent.is_dir():
        raise InputError(f"{out_dir.parent}: the folder to write into does not exist.")


def written_files(folder: str | Path) -> set[str]:
    """Names (relative paths) of the files cytomoe wrote into ``folder``."""
    path = Path(folder) / MANIFEST_FILE
    try:
        names = json.loads(path.read_text(encoding="utf-8"))["files"]
    except FileNotFoundError:
        return set()
    except (OSError, ValueError, KeyError, TypeError):
        raise InputError(
            f"{path}: the record of cytomoe's outputs is damaged; move the folder's "
            "files elsewhere or choose another output folder."
        ) from None
    return {n for n in names if isinstance(n, str) and _is_plain_relative(n)}


def _is_plain_relative(name: str) -> bool:
    """A manifest entry names a file inside its folder, never one elsewhere."""
    path = Path(name)
    return bool(name) and not path.is_absolute() and ".." not in path.parts


def record_written(path: str | Path) -> None:
    """Claim ``path`` (a file cytomoe appends to, such as a log) for cytomoe: listed in its
    folder's manifest; a file of that name that cytomoe did not write is refused."""
    path = Path(path)
    known = written_files(path.parent)
    if path.name in known:
        return
    if path.exists():
        raise OutputExistsError(
            f"{path} was not written by cytomoe, so it is left alone; move it or choose "
            "another folder."
        )
    _write_manifest(path.parent, known | {path.name})


def _write_manifest(folder: Path, names: Iterable[str]) -> None:
    text = json.dumps({"files": sorted(set(names))}, indent=1) + "\n"
    with atomic_output(folder / MANIFEST_FILE, overwrite=True) as temporary:
        temporary.write_text(text, encoding="utf-8")


@contextmanager
def atomic_output(
    path: str | Path, overwrite: bool = False, record: bool = False
) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it is renamed onto ``path``.

    A failure leaves neither a partial file nor a changed ``path`` behind. The temporary
    name keeps ``path``'s suffix (writers that choose a format by suffix still work). With
    ``record`` the file is listed in its folder's manifest, and an existing file is
    replaced only when the manifest lists it.
    """
    path = Path(path)
    if path.exists() and not overwrite:
        raise OutputExistsError(f"{path} already exists; choose another name or allow overwriting.")
    if not path.parent.is_dir():
        raise InputError(f"{path.parent}: the output folder does not exist.")
    if path.is_dir():
        raise OutputExistsError(f"{path} is a folder; choose another name.")
    if record and path.exists() and path.name not in written_files(path.parent):
        raise OutputExistsError(
            f"{path} was not written by cytomoe, so it is left alone; move it or choose "
            "another folder."
        )
    _remove_temporaries(path)
    handle, temporary = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix=f".part{path.suffix}", dir=path.parent
    )
    os.close(handle)
    try:
        yield Path(temporary)
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes it private
        if record:
            _write_manifest(path.parent, written_files(path.parent) | {path.name})
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def _remove_temporaries(path: Path) -> None:
    """Temporary files an interrupted :func:`atomic_output` of ``path`` left."""
    pattern = re.compile(rf"^\.{re.escape(path.name)}\.{_RANDOM}\.part{re.escape(path.suffix)}$")
    for leftover in path.parent.glob(f".{_glob_escape(path.name)}.*"):
        if pattern.match(leftover.name) and leftover.is_file():
            leftover.unlink(missing_ok=True)


def _glob_escape(name: str) -> str:
    return re.sub(r"([*?[])", r"[\1]", name)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def clean_leftovers(out_dir: str | Path) -> None:
    """Undo what an interrupted folder write left beside ``out_dir``: staging folders
    (``.NAME.xxxxxxxx.partial``) are removed; an old folder (``.NAME.old``, left by
    earlier versions between two renames) is removed when ``out_dir`` exists and put
    back in its place when it does not."""
    out_dir = Path(out_dir)
    if not out_dir.parent.is_dir():
        return
    staging = re.compile(rf"^\.{re.escape(out_dir.name)}\.{_RANDOM}\.partial$")
    for leftover in out_dir.parent.glob(f".{_glob_escape(out_dir.name)}.*"):
        if staging.match(leftover.name) and leftover.is_dir():
            shutil.rmtree(leftover)
    old = out_dir.with_name(f".{out_dir.name}.old")
    if old.is_dir():
        if out_dir.exists():
            shutil.rmtree(old)
        else:
            os.replace(old, out_dir)


@contextmanager
def replace_folder(
    out_dir: str | Path, overwrite: bool = False, commit_file: str | None = None
) -> Iterator[Path]:
    """Yield an empty staging folder; when the block succeeds, its files become the
    outputs in ``out_dir``.

    A new ``out_dir`` appears whole, in one rename. In an existing one (only with
    ``overwrite``) each file is renamed into place; files cytomoe wrote there before and
    did not write again are removed, every other file stays, and a file of the same name
    that cytomoe did not write stops the write. ``commit_file`` is removed first and
    renamed last, so that its presence means the folder is whole.
    """
    out_dir = Path(out_dir)
    clean_leftovers(out_dir)
    check_folder_target(out_dir, overwrite)
    staging = Path(
        tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".partial", dir=out_dir.parent)
    )
    staging.chmod(0o777 & ~_umask())  # mkdtemp makes it private
    try:
        yield staging
        new = {
            p.relative_to(staging).as_posix()
            for p in staging.rglob("*")
            if p.is_file() and p.name != MANIFEST_FILE
        }
        if not out_dir.exists():
            _write_manifest(staging, new)
            os.replace(staging, out_dir)
            return
        _merge_into(staging, out_dir, new, commit_file)
    finally:
        if staging.exists():
            shutil.rmtree(staging)


def _merge_into(staging: Path, out_dir: Path, new: set[str], commit_file: str | None) -> None:
    old = written_files(out_dir)
    foreign = sorted(n for n in new if (out_dir / n).exists() and n not in old)
    if foreign:
        raise OutputExistsError(
            f"{out_dir / foreign[0]} was not written by cytomoe, so it is left alone; move "
            "it or choose another output folder."
        )
    _write_manifest(out_dir, old | new)  # an interruption from here on leaves them known
    if commit_file is not None:
        (out_dir / commit_file).unlink(missing_ok=True)
    for name in sorted(new, key=lambda n: n == commit_file):
        (out_dir / name).parent.mkdir(parents=True, exist_ok=True)
        os.replace(staging / name, out_dir / name)
    for name in old - new:
        stale = out_dir / name
        if stale.is_file() or stale.is_symlink():
            stale.unlink()
    _write_manifest(out_dir, new)


def new_results_folder(name: str) -> Path:
    """``cytomoe-NAME`` in the working folder, numbered so that nothing is overwritten."""
    candidate, number = Path(f"cytomoe-{name}"), 1
    while candidate.exists():
        number += 1
        candidate = Path(f"cytomoe-{name}-{number}")
    return candidate
