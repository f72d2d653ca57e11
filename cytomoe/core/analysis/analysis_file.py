"""The settings of one analysis: inputs, panel, model settings and the label source, and
what the app saves beside them: the trained model, its clusters, drawn gates, cluster
names and the view.

The GUI edits these dataclasses, analysis files serialise them with a format version,
the CLI (`cytomoe run`, `cytomoe batch`) reads the same file.

An analysis file is TOML, so that people can edit it in any text editor::

    format_version = 1
    inputs = ["plate1"]            # relative paths resolve against the file's folder
    [model]
    iterations = 2000
    [labels]
    kind = "column"
    value = "labels"
    [cluster_names]                # the names a user gave the model's clusters
    0 = "CD4 T cells"

Every table and key is optional except ``format_version``; what is left out takes the
defaults a user gets (a panel chosen for the data, the default model settings).
"""

import json
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import tomli_w

from cytomoe.core.errors import InputError
from cytomoe.core.evaluation.display_scale import ARCSINH, LOGICLE
from cytomoe.core.model.parameters import InvalidSetting
from cytomoe.core.model.settings import ModelSettings
from cytomoe.core.preprocessing.panel import Panel

# 2: clusters_file, gates_file, [cluster_names] and [view], written by the app
ANALYSIS_FORMAT_VERSION = 2

LABEL_KINDS = ("column", "file", "gates")
HEADER = "# cytomoe analysis settings (edit freely; `cytomoe batch --help` names an example)\n"


@dataclass
class LabelSource:
    """Where the manual gating (truth for the F-measure) comes from.

    kind: "column" (value = column name in the data), "file" (value = a file with one label
    per event) or "gates" (value = a FlowJo .wsp or Gating-ML .xml file).
    """

    kind: str
    value: str
    unlabeled: list[str] = field(default_factory=list)  # added to labels.UNLABELED_DEFAULTS


DENSITY, CONTOUR = "density", "contour"  # the plot styles
VIEW_SCALES = (ARCSINH, LOGICLE)
VIEW_STYLES = (DENSITY, CONTOUR)


@dataclass
class ViewSettings:
    """What the app showed: the plotted channels ($PnN), the selected cluster (-1: none),
    the wells shown (empty: all), the scale of transformed channels and the plot style."""

    x: str | None = None
    y: str | None = None
    cluster: int = -1
    wells: list[str] = field(default_factory=list)
    scale: str = ARCSINH
    style: str = DENSITY


@dataclass
class AnalysisSettings:
    inputs: list[str] = field(default_factory=list)  # FCS files, plate folders, CSV tables
    panel: Panel | None = None  # None: the core's defaults for the data
    # Adjustments that apply to any plate, on top of the panel or the defaults: markers to
    # cluster on ($PnN or $PnS), one arcsinh cofactor or one per marker, no transform at
    # all, compensation on/off (None: when the files carry a spillover matrix).
    markers: list[str] | None = None
    cofactors: float | dict[str, float] | None = None
    transform: bool = True
    compensate: bool | None = None
    model: ModelSettings = field(default_factory=ModelSettings)
    labels: LabelSource | None = None
    sample_sheet: str | None = None
    model_file: str | None = None  # a trained model recorded by a session
    # Channels renamed on reading ($PnN as in the files -> the name used), e.g. to apply a
    # model to an instrument that spells a channel differently.
    channel_names: dict[str, str] = field(default_factory=dict)
    # Saved by the app beside the analysis file: the cluster of every event of `inputs`
    # under `model_file` (NumPy .npz), the gates drawn (Gating-ML), the names of clusters.
    clusters_file: str | None = None
    gates_file: str | None = None
    cluster_names: dict[int, str] = field(default_factory=dict)
    view: ViewSettings | None = None


# ------------------------------------------------------------------------------ reading
def load_analysis(path: str | Path) -> AnalysisSettings:
    """Read an analysis file of this or an older format version.

    Raises ``InputError`` naming the file and the offending key for anything it cannot
    use: TOML syntax errors, unknown keys, values of the wrong type, newer versions.
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: no such analysis file.") from None
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: cannot read the analysis file ({error}).") from None
    except tomllib.TOMLDecodeError as error:
        raise InputError(f"{path}: not a valid TOML analysis file ({error}).") from None
    return _Reader(path).settings(data)


class _Reader:
    """Checks one file's tables key by key so that every message names file and key."""

    def __init__(self, path: Path):
        self.path = path
        self.folder = path.resolve().parent

    def fail(self, key: str, problem: str) -> InputError:
        return InputError(f"{self.path}: '{key}' {problem}.")

    def settings(self, data: dict) -> AnalysisSettings:
        if "format_version" not in data:
            raise InputError(f"{self.path}: not a cytomoe analysis file (no 'format_version').")
        version = data["format_version"]
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise self.fail("format_version", "must be a positive whole number")
        if version > ANALYSIS_FORMAT_VERSION:
            raise InputError(
                f"{self.path}: saved by a newer cytomoe (format {version}; this "
                f"version reads up to {ANALYSIS_FORMAT_VERSION})."
            )
        self.unknown_keys(
            data,
            "",
            {
                "format_version",
                "inputs",
                "sample_sheet",
                "model_file",
                "panel",
                "model",
                "labels",
                "markers",
                "cofactors",
                "transform",
                "compensate",
                "channel_names",
                "clusters_file",
                "gates_file",
                "cluster_names",
                "view",
            },
        )
        settings = AnalysisSettings()
        settings.inputs = [self.resolve(p) for p in self.strings(data, "inputs")]
        if "sample_sheet" in data:
            settings.sample_sheet = self.resolve(self.string(data, "sample_sheet"))
        for key in ("model_file", "clusters_file", "gates_file"):
            if key in data:
                setattr(settings, key, self.resolve(self.string(data, key)))
        if "cluster_names" in data:
            settings.cluster_names = self.cluster_names(self.table(data, "cluster_names"))
        if "view" in data:
            settings.view = self.view(self.table(data, "view"))
        if "panel" in data:
            settings.panel = self.panel(self.table(data, "panel"))
        if "markers" in data:
            settings.markers = self.strings(data, "markers")
        if "cofactors" in data:
            settings.cofactors = self.cofactors(data["cofactors"])
        for key in ("transform", "compensate"):
            if key in data:
                if not isinstance(data[key], bool):
                    raise self.fail(key, "must be true or false")
                setattr(settings, key, data[key])
        if "channel_names" in data:
            names = self.table(data, "channel_names")
            for key in names:
                self.string(names, key, "channel_names.")
            settings.channel_names = dict(names)
        if "model" in data:
            settings.model = self.model(self.table(data, "model"))
        if "labels" in data:
            settings.labels = self.labels(self.table(data, "labels"))
        return settings

    def cluster_names(self, data: dict) -> dict[int, str]:
        names = {}
        for key in data:
            if not key.isdigit():
                raise self.fail(f"cluster_names.{key}", "must be a cluster number")
            names[int(key)] = self.string(data, key, "cluster_names.")
        return names

    def view(self, data: dict) -> ViewSettings:
        self.unknown_keys(data, "view.", {"x", "y", "cluster", "wells", "scale", "style"})
        view = ViewSettings(wells=self.strings(data, "wells", "view."))
        for key, allowed in (("scale", VIEW_SCALES), ("style", VIEW_STYLES)):
            if key in data:
                value = self.string(data, key, "view.")
                if value not in allowed:
                    raise self.fail(f"view.{key}", f"must be one of {', '.join(allowed)}")
                setattr(view, key, value)
        for key in ("x", "y"):
            if key in data:
                setattr(view, key, self.string(data, key, "view."))
        if "cluster" in data:
            if not _is_int(data["cluster"]) or data["cluster"] < -1:
                raise self.fail("view.cluster", "must be a cluster number, or -1 for none")
            view.cluster = data["cluster"]
        return view

    def cofactors(self, value: Any) -> float | dict[str, float]:
        values = value.values() if isinstance(value, dict) else [value]
        if not all(_is_number(v) and v > 0 for v in values):
            raise self.fail(
                "cofactors", "must be a positive number or a table of marker = positive number"
            )
        return dict(value) if isinstance(value, dict) else float(value)

    def unknown_keys(self, table: dict, prefix: str, known: set[str]) -> None:
        unknown = sorted(set(table) - known)
        if unknown:
            raise self.fail(
                prefix + unknown[0],
                f"is not a setting cytomoe knows (known: "
                f"{', '.join(prefix + k for k in sorted(known))})",
            )

    def table(self, data: dict, key: str) -> dict:
        if not isinstance(data[key], dict):
            raise self.fail(key, "must be a table ([" + key + "])")
        return data[key]

    def string(self, data: dict, key: str, prefix: str = "") -> str:
        value = data[key]
        if not isinstance(value, str):
            raise self.fail(prefix + key, f"must be text, not {_describe(value)}")
        return value

    def strings(self, data: dict, key: str, prefix: str = "") -> list[str]:
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(prefix + key, f"must be a list of text, not {_describe(value)}")
        return list(value)

    def resolve(self, value: str) -> str:
        path = Path(value).expanduser()
        return str(path if path.is_absolute() else self.folder / path)

    def panel(self, data: dict) -> Panel:
        self.unknown_keys(
            data, "panel.", {"channels", "markers", "selected", "cofactors", "compensate"}
        )
        channels = self.strings(data, "channels", "panel.")
        selected = self.strings(data, "selected", "panel.")
        if not channels:
            raise self.fail("panel.channels", "must list the channels ($PnN) of the data")
        markers = data.get("markers", {})
        if not isinstance(markers, dict) or not all(isinstance(v, str) for v in markers.values()):
            raise self.fail("panel.markers", 'must be a table of channel = "marker name"')
        cofactors = data.get("cofactors", {})
        if not isinstance(cofactors, dict):
            raise self.fail("panel.cofactors", "must be a table of channel = cofactor")
        for channel, value in cofactors.items():
            if value != "none" and (not _is_number(value) or value <= 0):
                raise self.fail(
                    f"panel.cofactors.{channel}",
                    'must be a positive number or "none" (no transform)',
                )
        compensate = data.get("compensate", True)
        if not isinstance(compensate, bool):
            raise self.fail("panel.compensate", "must be true or false")
        for name in list(selected) + list(markers) + list(cofactors):
            if name not in channels:
                raise self.fail("panel", f"names channel '{name}', which is not in panel.channels")
        return Panel(
            channels=channels,
            markers={c: markers.get(c, c) for c in channels},
            selected=selected,
            cofactors={
                c: None if cofactors.get(c, "none") == "none" else float(cofactors[c])
                for c in channels
            },
            compensate=compensate,
        )

    def model(self, data: dict) -> ModelSettings:
        self.unknown_keys(data, "model.", {f.name for f in fields(ModelSettings)})
        try:
            return ModelSettings(**data)
        except InvalidSetting as error:
            raise self.fail(f"model.{error.name}", error.problem) from None

    def labels(self, data: dict) -> LabelSource:
        self.unknown_keys(data, "labels.", {"kind", "value", "unlabeled"})
        for key in ("kind", "value"):
            if key not in data:
                raise self.fail(f"labels.{key}", "is missing")
        kind = self.string(data, "kind", "labels.")
        if kind not in LABEL_KINDS:
            raise self.fail("labels.kind", f"must be one of {', '.join(LABEL_KINDS)}, not '{kind}'")
        value = self.string(data, "value", "labels.")
        if kind in ("file", "gates"):
            value = self.resolve(value)
        return LabelSource(kind, value, self.strings(data, "unlabeled", "labels."))


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _describe(value: Any) -> str:
    """A TOML value in words, for a message: its kind and, but for tables, itself."""
    kind = {
        bool: "true/false",
        int: "a whole number",
        float: "a number",
        str: "text",
        list: "a list",
        dict: "a table",
    }.get(type(value), type(value).__name__)
    shown = (
        "{...}" if isinstance(value, dict) else json.dumps(value, ensure_ascii=False, default=str)
    )
    return f"{kind} ({shown})"


# ------------------------------------------------------------------------------ writing
def save_analysis(settings: AnalysisSettings, path: str | Path, overwrite: bool = True) -> Path:
    """Write ``settings`` as a TOML analysis file (temp file + rename).

    Paths inside the file's folder are written relative to it, so that a folder holding
    the analysis and its data can move as a whole.
    """
    from cytomoe.core.io.outputs import atomic_output

    path = Path(path)
    folder = path.resolve().parent
    text = analysis_to_toml(settings, folder)
    with atomic_output(path, overwrite) as temporary:
        Path(temporary).write_text(text, encoding="utf-8")
    return path


def analysis_to_toml(settings: AnalysisSettings, folder: Path | None = None) -> str:
    """The TOML text of ``settings``; paths inside ``folder`` are written relative to it."""

    def relative(value: str) -> str:
        if folder is None:
            return value
        try:
            return Path(value).resolve().relative_to(folder).as_posix()
        except ValueError:
            return value

    document: dict[str, Any] = {
        "format_version": ANALYSIS_FORMAT_VERSION,
        "inputs": [relative(p) for p in settings.inputs],
    }
    if settings.sample_sheet:
        document["sample_sheet"] = relative(settings.sample_sheet)
    for key in ("model_file", "clusters_file", "gates_file"):
        if getattr(settings, key):
            document[key] = relative(getattr(settings, key))
    if settings.markers is not None:
        document["markers"] = list(settings.markers)
    if isinstance(settings.cofactors, dict):
        document["cofactors"] = {k: float(v) for k, v in settings.cofactors.items()}
    elif settings.cofactors is not None:
        document["cofactors"] = float(settings.cofactors)
    if not settings.transform:
        document["transform"] = False
    if settings.compensate is not None:
        document["compensate"] = settings.compensate
    if settings.channel_names:
        document["channel_names"] = dict(settings.channel_names)
    document["model"] = {k: v for k, v in settings.model.to_dict().items() if v is not None}
    if settings.labels is not None:
        value = settings.labels.value
        document["labels"] = {
            "kind": settings.labels.kind,
            "value": relative(value) if settings.labels.kind in ("file", "gates") else value,
            "unlabeled": list(settings.labels.unlabeled),
        }
    if settings.cluster_names:
        document["cluster_names"] = {str(c): n for c, n in sorted(settings.cluster_names.items())}
    if settings.view is not None:
        view = settings.view
        document["view"] = {
            **{k: v for k, v in (("x", view.x), ("y", view.y)) if v is not None},
            "cluster": view.cluster,
            "wells": list(view.wells),
            "scale": view.scale,
            "style": view.style,
        }
    if settings.panel is not None:
        panel = settings.panel
        document["panel"] = {
            "channels": list(panel.channels),
            "selected": list(panel.selected),
            "compensate": panel.compensate,
            "markers": {c: panel.display_name(c) for c in panel.channels},  # shown names
            "cofactors": {c: panel.cofactors.get(c) or "none" for c in panel.channels},
        }
    return HEADER + tomli_w.dumps(document)


__all__ = [
    "ANALYSIS_FORMAT_VERSION",
    "AnalysisSettings",
    "LabelSource",
    "ViewSettings",
    "load_analysis",
    "save_analysis",
    "analysis_to_toml",
]
