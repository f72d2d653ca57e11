"""The settings of one analysis: inputs, panel, model settings and the label source, and
their file format (TOML, versioned, meant to be read and edited by people).

The GUI edits these dataclasses, `cytomoe run --config` and `cytomoe batch --config` read
the same file. Relative paths in a file are relative to the file's folder.
"""

import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path

from cytomoe.core.errors import InputError
from cytomoe.core.panel import Panel
from cytomoe.core.settings import ModelSettings

ANALYSIS_FORMAT_VERSION = 1

UNLABELED_DEFAULTS = ("", "nan", "none", "unlabeled", "unlabelled", "unknown", "unassigned")


@dataclass
class LabelSource:
    """Where the manual gating (truth for the F-measure) comes from.

    kind: "column" (value = column name in the data), "file" (value = a file with one label
    per event) or "gates" (value = a FlowJo .wsp or Gating-ML .xml file).
    """

    kind: str
    value: str
    unlabeled: list[str] = field(default_factory=list)  # added to UNLABELED_DEFAULTS


@dataclass
class AnalysisSettings:
    inputs: list[str] = field(default_factory=list)  # FCS files, plate folders, CSV tables
    # A full panel (as the GUI saves it), or None for the core's defaults for the data...
    panel: Panel | None = None
    # ...adjusted by these, which apply to any plate: markers to cluster on ($PnN or $PnS),
    # one arcsinh cofactor or one per marker, no transform at all, compensation on/off.
    markers: list[str] | None = None
    cofactors: float | dict[str, float] | None = None
    transform: bool = True
    compensate: bool | None = None  # None: when the files carry a spillover matrix
    model: ModelSettings = field(default_factory=ModelSettings)
    labels: LabelSource | None = None
    sample_sheet: str | None = None
    model_file: str | None = None  # a trained model recorded by a session


_LABEL_KINDS = ("column", "file", "gates")


def load_analysis(path: str | Path) -> AnalysisSettings:
    """Read an analysis file; older format versions keep loading."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise InputError(f"{path}: the analysis file does not exist.") from None
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"{path.name}: cannot read the analysis file ({error}).") from None
    except tomllib.TOMLDecodeError as error:
        raise InputError(f"{path.name}: not valid TOML ({error}).") from None
    try:
        return _from_dict(data, path.parent)
    except InputError as error:
        raise InputError(f"{path.name}: {error}") from None


def _from_dict(data: dict, folder: Path) -> AnalysisSettings:
    data = dict(data)
    version = data.pop("format_version", None)
    if not isinstance(version, int):
        raise InputError("'format_version' is missing or not a whole number.")
    if version > ANALYSIS_FORMAT_VERSION:
        raise InputError(f"format version {version} is newer than this cytomoe reads "
                         f"({ANALYSIS_FORMAT_VERSION}); please update cytomoe.")
    settings = AnalysisSettings()
    known = {f.name for f in fields(AnalysisSettings)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise InputError(f"unknown key(s) {', '.join(unknown)}.")
    settings.inputs = [_resolve(p, folder) for p in _typed(data, "inputs", list, [])]
    settings.sample_sheet = _optional_path(data, "sample_sheet", folder)
    settings.model_file = _optional_path(data, "model_file", folder)
    if "panel" in data:
        settings.panel = Panel.from_dict(_typed(data, "panel", dict, {}))
    settings.markers = _typed(data, "markers", list, None)
    cofactors = data.get("cofactors")
    if cofactors is not None and not isinstance(cofactors, int | float | dict):
        raise InputError("'cofactors' must be a number or a table of channel = number.")
    settings.cofactors = float(cofactors) if isinstance(cofactors, int | float) else cofactors
    settings.transform = _typed(data, "transform", bool, True)
    settings.compensate = _typed(data, "compensate", bool, None)
    settings.model = ModelSettings.from_dict(_typed(data, "model", dict, {}))
    labels = _typed(data, "labels", dict, None)
    if labels is not None:
        kind, value = labels.get("kind"), labels.get("value")
        if kind not in _LABEL_KINDS or not isinstance(value, str):
            raise InputError("[labels] needs kind = column, file or gates, and a value.")
        if kind != "column":
            value = _resolve(value, folder)
        settings.labels = LabelSource(kind, value, [str(v) for v in labels.get("unlabeled", [])])
    return settings


def _typed(data: dict, key: str, kind: type, default):
    value = data.get(key, default)
    if value is not default and not isinstance(value, kind):
        raise InputError(f"'{key}' must be a {kind.__name__}, not {type(value).__name__}.")
    return value


def _resolve(value: str, folder: Path) -> str:
    path = Path(value).expanduser()
    return str(path if path.is_absolute() else folder / path)


def _optional_path(data: dict, key: str, folder: Path) -> str | None:
    value = _typed(data, key, str, None)
    return None if value is None else _resolve(value, folder)


def save_analysis(settings: AnalysisSettings, path: str | Path) -> None:
    """Write an analysis file (TOML), with paths as given."""
    data: dict = {"format_version": ANALYSIS_FORMAT_VERSION, "inputs": list(settings.inputs)}
    for key in ("sample_sheet", "model_file", "markers", "cofactors", "compensate"):
        if getattr(settings, key) is not None:
            data[key] = getattr(settings, key)
    data["transform"] = settings.transform
    if settings.labels is not None:
        data["labels"] = {"kind": settings.labels.kind, "value": settings.labels.value,
                          "unlabeled": list(settings.labels.unlabeled)}
    data["model"] = {k: v for k, v in settings.model.to_dict().items() if v is not None}
    if settings.panel is not None:
        panel = settings.panel.to_dict()
        panel.pop("format_version", None)
        panel["cofactors"] = {k: v for k, v in panel["cofactors"].items() if v is not None}
        data["panel"] = panel
    Path(path).write_text(to_toml(data))


def to_toml(data: dict) -> str:
    """TOML for the plain values analysis files hold (tables, lists, text, numbers)."""
    lines, tables = [], []
    for key, value in data.items():
        if isinstance(value, dict):
            tables.append((key, value))
        else:
            lines.append(f"{_key(key)} = {_value(value)}")
    text = "\n".join(lines) + "\n"
    for name, table in tables:
        text += "\n" + _table(name, table)
    return text


def _table(name: str, table: dict) -> str:
    plain = {k: v for k, v in table.items() if not isinstance(v, dict)}
    nested = {k: v for k, v in table.items() if isinstance(v, dict)}
    text = f"[{name}]\n" + "".join(f"{_key(k)} = {_value(v)}\n" for k, v in plain.items()
                                   if v is not None)
    for key, value in nested.items():
        text += "\n" + _table(f"{name}.{_key(key)}", value)
    return text


def _key(key: str) -> str:
    return key if key.replace("_", "").replace("-", "").isalnum() else _value(key)


def _value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        return f'"{escaped}"'
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")
