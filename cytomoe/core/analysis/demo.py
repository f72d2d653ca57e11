"""The bundled demo analysis: 6,000 Multi-Center CyTOF PBMC with their manual gates."""

from cytomoe.core.analysis.analysis_file import AnalysisSettings, LabelSource

DEMO_FILE = "demo/multicenter_pbmc_sample1_6k.csv"
DEMO_LABEL_COLUMN = "labels"


def demo_settings() -> AnalysisSettings:
    from cytomoe.resources import resource_path

    return AnalysisSettings(
        inputs=[str(resource_path(DEMO_FILE))],
        labels=LabelSource("column", DEMO_LABEL_COLUMN),
    )
