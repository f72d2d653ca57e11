"""The settings of one analysis: inputs, panel, model settings and the label source.

The GUI edits these dataclasses, analysis files serialise them with a format version,
the CLI (`cytomoe run`, `cytomoe batch`) reads the same file.
"""

from dataclasses import dataclass, field

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
    panel: Panel | None = None  # None: the core's defaults for the data
    model: ModelSettings = field(default_factory=ModelSettings)
    labels: LabelSource | None = None
    sample_sheet: str | None = None
    model_file: str | None = None  # a trained model recorded by a session
