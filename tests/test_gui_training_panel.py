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


def test_a_saved_models_history_redraws_its_loss_curves(qtbot):
    panel = TrainingPanel()
    qtbot.addWidget(panel)
    history = [
        {"iteration": 1, "loss": 3.0, "kl": 0.5},
        {"iteration": 2, "loss": 2.0, "kl": 0.4, "held_out": 2.5},
    ]
    panel.show_history(history)
    assert list(panel._curves["loss"].getData()[1]) == [3.0, 2.0]
    assert list(panel._curves["held_out"].getData()[0]) == [2]
    panel.show_history(history[:1])
    assert list(panel._curves["loss"].getData()[1]) == [3.0]
