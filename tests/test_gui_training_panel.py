"""The training panel edits the model settings; untouched, it gives the defaults."""

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from cytomoe.core.model.settings import ModelSettings  # noqa: E402
from cytomoe.gui.training_panel import TrainingPanel  # noqa: E402

pytestmark = pytest.mark.gui


def test_an_untouched_panel_gives_the_default_settings(qtbot):
    panel = TrainingPanel()
    qtbot.addWidget(panel)
    assert panel.settings() == ModelSettings()
    assert panel.knn.text() == "auto"
