"""The default clustering path on small real flow samples: how many clusters, how good."""

import numpy as np

from cytomoe.core.evaluation.fmeasure import evaluate
from cytomoe.core.evaluation.labels import labels_from_file
from cytomoe.core.io.plate import Plate
from cytomoe.core.model.estimator import MoESimVAE
from cytomoe.core.preprocessing.panel import Panel

QUICK = dict(iterations=300, device="cpu")  # every other setting is the user's default


def _subsample(events, truth, n: int):
    rows = np.sort(np.random.default_rng(0).choice(len(events), n, replace=False))
    return events.iloc[rows].reset_index(drop=True), truth.iloc[rows].reset_index(drop=True)


def test_default_path_finds_the_gated_leukocytes_of_a_ten_colour_panel(shared_data):
    folder = shared_data / "labeled_flow/gatemeclass_pbmc"
    events = Plate.open(folder / "D1.fcs").events(compensate_spillover=True)
    truth = labels_from_file(folder / "D1.labels.csv", len(events))
    events, truth = _subsample(events, truth, 4_000)
    markers = [f"FL{i}-A" for i in range(1, 11)]
    model = MoESimVAE(**QUICK, markers=markers, cofactors=150.0)
    score = evaluate(truth, model.fit_predict(events))
    assert 4 <= model.n_clusters_ <= 12  # 6 gated populations
    assert score.f_measure >= 0.75


def test_one_marker_is_clustered_without_a_umap_layout(shared_data):
    plate = Plate.open(shared_data / "labeled/flowsom_68983/68983.fcs")
    events = plate.events(compensate_spillover=True).iloc[:3_000]
    model = MoESimVAE(**QUICK, markers=["PE-Cy7-A"], cofactors=150.0).fit(events)
    assert 1 <= model.n_clusters_ <= 4
    assert len(model.labels_) == len(events)


def test_two_marker_yeast_plate_gives_a_handful_of_clusters(shared_data):
    plate = Plate.open(shared_data / "plates/yeast")
    panel = Panel.default_for(plate.samples, plate.channels)
    events = plate.events()
    model = MoESimVAE(
        **QUICK, n_train=5_000, markers=panel.selected, cofactors=panel.cofactors
    ).fit(events, groups=events["well"].to_numpy())
    assert len(panel.selected) == 2
    assert 2 <= model.n_clusters_ <= 10  # four populations and the cells between them
    four_largest = sum(sorted(model.cluster_sizes_)[-4:])
    assert four_largest >= 0.8 * model.n_training_cells_


def test_gates_across_continuous_gradients_get_a_cluster_each(shared_data):
    """HIPC's 10 gated T-cell populations are cut along CCR7 / CD45RA / HLA-DR / CD38
    gradients with few density valleys between them: the embedding has a handful of dense
    regions, and without tiling (min_clusters=1) this subsample gave 3 clusters."""
    folder = shared_data / "labeled_flow/cytometree_hipc"
    events = Plate.open(folder / "HIPC.fcs").events()
    truth = labels_from_file(folder / "HIPC.labels.csv", len(events))
    events, truth = _subsample(events, truth, 5_000)
    markers = ["CCR7", "CD4", "CD45RA", "HLADR", "CD38", "CD8"]
    model = MoESimVAE(**QUICK, markers=markers, cofactors=None)
    score = evaluate(truth, model.fit_predict(events))
    assert 9 <= model.n_clusters_ <= 15  # 10 gated populations
    assert score.f_measure >= 0.45
