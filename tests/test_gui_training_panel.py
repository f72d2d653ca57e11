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


def test_the_embedding_shows_its_step_and_time_left(qtbot):
    from cytomoe.core.progress import Progress

    panel = TrainingPanel()
    qtbot.addWidget(panel)
    panel.show_progress(Progress("embed", 0.5, 2, "Layout epoch 20 of 200", {"eta": 41.6}))
    assert (
        panel.status.text() == "Canberra-UMAP similarity: Layout epoch 20 of 200, about 42 s left"
    )
    assert panel.progress.value() == 250


def test_a_started_training_is_busy_until_its_first_report_and_not_after_a_cancel(qtbot):
    from cytomoe.core.progress import Progress

    panel = TrainingPanel()
    qtbot.addWidget(panel)
    panel.set_running(True)
    assert panel.progress.maximum() == 0 and panel.status.text() == "Starting…"
    panel.show_progress(Progress("prepare", 0, None, "Loading the analysis libraries"))
    assert panel.progress.maximum() == 0
    assert panel.status.text() == "Loading the analysis libraries"
    panel.set_running(False)  # cancelled before any step reported a fraction
    assert panel.progress.maximum() == 1000
