"""The bundled demo analysis: 6,000 Multi-Center CyTOF PBMC with their manual gates."""

from cytomoe.core.analysis.analysis_file import AnalysisSettings, LabelSource

DEMO_FILE = "demo/multicenter_pbmc_sample1_6k.csv"
DEMO_LABEL_COLUMN = "labels"

# The source names its eight marker columns 0..7 only. The demo names them by the manual
# gates that carry each marker (arcsinh medians per gate; resources/demo/SOURCE.md), so that
# every plot reads as a cytometrist expects.
DEMO_MARKERS = {
    "0": "CD20",
    "1": "CD19",
    "2": "CD45",
    "3": "CD14",
    "4": "CD56",
    "5": "CD8",
    "6": "CD3",
    "7": "CD4",
}


def demo_settings() -> AnalysisSettings:
    from cytomoe.resources import resource_path

    return AnalysisSettings(
        inputs=[str(resource_path(DEMO_FILE))],
        labels=LabelSource("column", DEMO_LABEL_COLUMN),
    )
