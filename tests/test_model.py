"""MoE-Sim-VAE: loss terms on tiny tensors, the batched experts, training, the estimator."""

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.metrics import adjusted_rand_score
from torch.nn import functional as F

from cytomoe.core.errors import Cancelled, InputError
from cytomoe.core.model import network
from cytomoe.core.model.device import detect_devices, select_device
from cytomoe.core.model.estimator import MAX_GENERATED_CELLS, MoESimVAE, network_weights
from cytomoe.core.model.experts import keep_populated_experts, merge_experts_of_one_population
from cytomoe.core.model.parameters import InvalidSetting
from cytomoe.core.model.sampling import even_subsample
from cytomoe.core.model.scaling import CytometryScaler
from cytomoe.core.model.training import anchor_experts

MARKERS = ["CD3", "CD19", "CD14", "CD56"]
COFACTOR = 5.0
SAVED_MODEL = Path(__file__).parent / "data" / "models" / "format_v2.cytomoe"
FAST = dict(
    n_experts=6, iterations=60, batch_size=64, device="cpu", markers=MARKERS, cofactors=COFACTOR
)


def generated_cells(seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Three populations in instrument units (arcsinh-space centres, cofactor 5)."""
    rng = np.random.default_rng(seed)
    centres = np.array([[4.0, 0.5, 0.5, 1.0], [0.5, 4.0, 0.5, 0.5], [0.5, 0.5, 4.0, 3.0]])
    truth = np.repeat([0, 1, 2], [200, 150, 100])
    transformed = centres[truth] + rng.normal(0, 0.2, (len(truth), 4))
    frame = pd.DataFrame(np.sinh(transformed) * COFACTOR, columns=MARKERS)
    frame["Time"] = np.arange(len(frame), dtype=float)  # a channel the model does not use
    return frame, truth


@pytest.fixture(scope="module")
def fitted() -> tuple[MoESimVAE, pd.DataFrame, np.ndarray]:
    frame, truth = generated_cells()
    model = MoESimVAE(**{**FAST, "iterations": 200}).fit(frame, truth)
    return model, frame, truth


# ----------------------------------------------------------------------------- losses
def test_reconstruction_loss_of_even_odds_is_log_two():
    loss = network.reconstruction_loss(torch.zeros(3, 2), torch.tensor([[0.0, 1.0]] * 3))
    assert loss.item() == pytest.approx(math.log(2))


def test_cluster_means_are_the_means_of_each_experts_cells():
    z = torch.tensor([[0.0, 0.0], [2.0, 4.0], [10.0, 10.0]])
    p = torch.tensor([[0.9, 0.1, 0.0], [0.6, 0.4, 0.0], [0.2, 0.8, 0.0]])
    means = network.batch_cluster_means(z, p)
    assert torch.allclose(means, torch.tensor([[1.0, 2.0], [10.0, 10.0], [0.0, 0.0]]))


def test_kl_is_zero_for_unit_spread_and_matches_the_formula_otherwise():
    p = torch.tensor([[1.0, 0.0]] * 2 + [[0.0, 1.0]] * 2)
    unit = torch.tensor([[0.0], [2.0], [5.0], [7.0]])  # both experts: variance 1 around the mean
    assert network.kl_loss(unit, p, network.batch_cluster_means(unit, p)).item() == pytest.approx(0)
    wide = torch.tensor([[0.0], [4.0], [5.0], [7.0]])  # expert 0 variance 4, expert 1 variance 1
    expected = (0.5 * (4 - 1 - math.log(4)) + 0.0) / 2
    assert network.kl_loss(wide, p, network.batch_cluster_means(wide, p)).item() == pytest.approx(
        expected
    )


def test_kl_leaves_out_experts_with_a_single_cell():
    p = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    z = torch.tensor([[0.0], [2.0], [100.0]])
    assert network.kl_loss(z, p, network.batch_cluster_means(z, p)).item() == pytest.approx(0)


def test_similarity_loss_is_near_zero_when_assignments_match_s_and_log_two_for_even_odds():
    p = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    s = torch.tensor([[1, 1, 0], [1, 1, 0], [0, 0, 1]], dtype=torch.bool)
    assert network.similarity_loss(p, s).item() < 1e-5
    even = torch.full((2, 2), 0.5)
    same = torch.eye(2, dtype=torch.bool)
    assert network.similarity_loss(even, same).item() == pytest.approx(math.log(2))


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled passes", "torch passes"])
def test_similarity_loss_has_autograds_value_and_gradient_bit_for_bit(compiled, monkeypatch):
    monkeypatch.setattr(network, "compiled_passes", lambda pairs: compiled)

    def by_autograd(p, s):
        same = (p @ p.T).clamp(network.PROBABILITY_FLOOR, 1.0 - network.PROBABILITY_FLOOR)
        return -torch.where(s, same, 1.0 - same).log().mean()

    generator = torch.Generator().manual_seed(0)
    for sharpness in (1.0, 5.0, 30.0):  # sharp gates clamp many pairs at 0 and 1
        p = torch.softmax(sharpness * torch.randn(256, 30, generator=generator), 1)
        p[:10] = F.one_hot(torch.arange(10), 30).float()
        groups = torch.randint(0, 6, (256,), generator=generator)
        s = groups[:, None] == groups[None, :]
        expected, found = p.clone().requires_grad_(), p.clone().requires_grad_()
        (0.8 * by_autograd(expected, s)).backward()
        loss = 0.8 * network.similarity_loss(found, s)
        loss.backward()
        assert torch.equal(loss, 0.8 * by_autograd(p, s))
        assert torch.equal(found.grad, expected.grad)
        assert found.grad.abs().sum() > 0


def test_depict_target_balances_clusters_and_the_loss_is_its_cross_entropy():
    p = torch.tensor([[0.5, 0.5]] * 3)
    noisy = torch.tensor([[0.25, 0.75]] * 3)
    expected = -(0.5 * math.log(0.25) + 0.5 * math.log(0.75))
    assert network.depict_loss(p, noisy).item() == pytest.approx(expected)
    # q_ik ∝ P_ik / sqrt(Σ_i P_ik): the larger cluster's weight shrinks.
    skewed = torch.tensor([[0.8, 0.2], [0.8, 0.2]])
    q0 = 0.8 / math.sqrt(1.6) / (0.8 / math.sqrt(1.6) + 0.2 / math.sqrt(0.4))
    expected = -(q0 * math.log(0.5) + (1 - q0) * math.log(0.5))
    assert network.depict_loss(skewed, torch.full((2, 2), 0.5)).item() == pytest.approx(expected)


@pytest.mark.parametrize("method", ["grouped", "gathered"])
def test_batched_experts_equal_running_each_expert_alone(method):
    torch.manual_seed(0)
    experts = network.Experts(n_experts=4, sizes=[2, 5, 3])  # sizes grouped_mm must pad
    z = torch.randn(6, 2, requires_grad=True)
    chosen = torch.tensor([0, 2, 1, 2, 0, 1])  # expert 3 gets no cell
    batched = getattr(experts, method)(z, chosen)
    expected = []
    for i in range(6):
        k = chosen[i]
        h = torch.nn.functional.elu(z[i] @ experts.weights[0][k] + experts.biases[0][k])
        expected.append(h @ experts.weights[1][k] + experts.biases[1][k])
    expected = torch.stack(expected)
    assert torch.allclose(batched, expected, atol=1e-6)
    (gradient,) = torch.autograd.grad(batched.square().sum(), z)
    (expected_gradient,) = torch.autograd.grad(expected.square().sum(), z)
    assert torch.allclose(gradient, expected_gradient, atol=1e-5)


# ----------------------------------------------------------------------------- training pieces
def test_even_subsample_gives_every_group_the_same_share_when_it_can():
    groups = np.array(["A1"] * 5 + ["A2"] * 100 + ["A3"] * 100)
    rows = even_subsample(groups, 65, np.random.default_rng(0))
    assert len(rows) == 65 and len(set(rows)) == 65
    assert list(pd.Series(groups[rows]).value_counts().sort_index()) == [5, 30, 30]


def test_keep_populated_experts_silences_small_experts_and_moves_their_cells():
    p = np.array([[0.9, 0.05, 0.05]] * 5 + [[0.1, 0.2, 0.7]] * 4 + [[0.3, 0.6, 0.1]])
    kept, expert, counts = keep_populated_experts(p, min_cells=3)
    assert kept == [0, 2]  # expert 1 had one cell; it goes to expert 0, its next choice
    assert expert[-1] == 0 and list(counts) == [6, 0, 4]


def test_experts_sharing_a_similarity_population_become_one_cluster():
    # Experts 4 and 1 split population 0; expert 2 holds population 1 and a few of 0;
    # expert 3 holds cells outside every population.
    expert = np.array([4] * 6 + [1] * 5 + [2] * 8 + [3] * 4)
    populations = np.array([0] * 11 + [1] * 6 + [0] * 2 + [-1] * 4)
    groups = merge_experts_of_one_population([4, 1, 2, 3], expert, populations)
    assert groups == [[4, 1], [2], [3]]


def test_select_device_honours_cpu_and_refuses_what_is_not_here():
    assert select_device("cpu").type == "cpu"
    assert select_device("auto").type in {"cpu", "cuda", "mps"}
    with pytest.raises(InputError, match="Unknown device"):
        select_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(InputError, match="no CUDA GPU"):
            select_device("cuda")
    assert "CPU" in detect_devices().describe()


# ----------------------------------------------------------------------------- estimator
def test_fit_finds_the_labelled_populations_and_numbers_clusters_by_size(fitted):
    model, frame, truth = fitted
    clusters = model.predict(frame)
    assert adjusted_rand_score(truth, clusters) > 0.9
    sizes = np.bincount(clusters)
    assert list(sizes) == sorted(sizes, reverse=True) and sizes[0] >= 200 * 0.9
    assert model.n_clusters_ == len(model.cluster_sizes_) == 3
    experts = [k for cluster in model.cluster_experts_ for k in cluster]
    assert sorted(experts + model.silenced_experts_) == list(range(model.n_experts))
    assert model.markers_ == MARKERS and model.cofactors_ == {m: COFACTOR for m in MARKERS}
    assert {"reconstruction", "kl", "similarity", "depict", "loss"} <= set(model.history_[0])


def test_predict_proba_columns_follow_cluster_order(fitted):
    model, frame, _ = fitted
    proba = model.predict_proba(frame)
    assert proba.shape == (len(frame), model.n_clusters_)
    assert np.allclose(proba.sum(1), 1, atol=1e-5)
    assert np.array_equal(proba.argmax(1), model.predict(frame))
    assert model.transform(frame).shape == (len(frame), model.latent_dim)


def test_chunks_assigned_on_several_threads_equal_one_by_one(fitted, monkeypatch):
    model, frame, _ = fitted
    monkeypatch.setattr("cytomoe.core.model.estimator.ASSIGN_CHUNK", 97)
    monkeypatch.setattr("cytomoe.core.model.estimator.ASSIGN_THREADS", 1)
    one_by_one = model.predict_with_latent(frame)
    monkeypatch.setattr("cytomoe.core.model.estimator.ASSIGN_THREADS", 3)
    for expected, found in zip(one_by_one, model.predict_with_latent(frame), strict=True):
        assert np.array_equal(expected, found)  # bit for bit, in the rows' order


def test_save_and_load_give_identical_predictions(fitted, tmp_path):
    model, frame, _ = fitted
    path = tmp_path / "model.cytomoe"
    model.save(path)
    stored = torch.load(path, weights_only=True)  # loads without executing code
    assert set(stored) == {"meta", "tensors"}
    loaded = MoESimVAE.load(path)
    assert np.array_equal(loaded.predict(frame), model.predict(frame))
    assert np.allclose(loaded.predict_proba(frame), model.predict_proba(frame))
    assert loaded.markers_ == model.markers_ and loaded.cluster_sizes_ == model.cluster_sizes_


def test_loading_something_else_is_a_clear_error(tmp_path):
    path = tmp_path / "model.cytomoe"
    path.write_bytes(b"not a model")
    with pytest.raises(InputError, match="model.cytomoe: not a cytomoe model file"):
        MoESimVAE.load(path)


def test_generate_gives_cells_of_the_cluster_in_instrument_units(fitted):
    model, frame, truth = fitted
    cells = model.generate(0, 200, seed=1)
    assert list(cells.columns) == MARKERS and len(cells) == 200
    assert 0.0 <= cells.attrs["generation_accuracy"] <= 1.0
    # Decoded values lie in (0, 1), so in instrument units they fall inside the training
    # cells' robust range, and they are not left on the arcsinh scale.
    values = frame[MARKERS].to_numpy()
    low, high = np.percentile(values, [0.5, 99.5], axis=0)
    generated = cells.to_numpy()
    assert np.all(generated >= low - 1e-3 * np.abs(low)) and np.all(generated <= high * 1.001)
    assert generated.max() > 10 * np.arcsinh(high.max() / COFACTOR)
    with pytest.raises(InputError, match="no cluster 9"):
        model.generate(9, 5)


def test_predicting_on_data_without_the_models_markers_is_a_clear_error(fitted):
    model, frame, _ = fitted
    with pytest.raises(InputError, match="CD56"):
        model.predict(frame.drop(columns=["CD56"]))


def test_fit_refuses_unknown_markers():
    frame, _ = generated_cells()
    with pytest.raises(InputError, match="CD99"):
        MoESimVAE(**{**FAST, "markers": ["CD3", "CD99"]}).fit(frame)


def test_cancellation_stops_training_within_one_iteration():
    frame, truth = generated_cells()
    seen: list[float] = []

    def progress(p):
        if p.stage == "train":
            seen.append(p.done)

    with pytest.raises(Cancelled):
        MoESimVAE(**{**FAST, "iterations": 1000}).fit(
            frame,
            truth,
            progress=progress,
            should_cancel=lambda: len(seen) >= 2,  # reports come every 10 iterations
        )
    assert max(seen) == 20


def test_seeded_cpu_training_repeats_exactly():
    frame, truth = generated_cells(seed=3)
    runs = [MoESimVAE(**{**FAST, "iterations": 30}).fit(frame, truth) for _ in range(2)]
    assert runs[0].history_ == runs[1].history_
    assert np.array_equal(runs[0].predict_proba(frame), runs[1].predict_proba(frame))


def test_weakly_supervised_fit_on_real_mass_cytometry(shared_data):
    table = pd.read_csv(shared_data / "labeled/multicenter_cytof/sample1.csv", nrows=3000)
    markers = [str(i) for i in range(8)]
    labels = table["labels"].where(table["labels"] != "Unknown")
    model = MoESimVAE(
        **{**FAST, "n_experts": 8, "iterations": 150, "batch_size": 128, "markers": markers}
    ).fit(table, labels.to_numpy(object))
    labelled = labels.notna().to_numpy()
    clusters = model.predict(table)
    assert adjusted_rand_score(labels[labelled], clusters[labelled]) > 0.8


def test_anchor_experts_send_population_p_to_expert_p_and_leave_the_rest_free():
    populations = np.array([0, 2, -1, 1, 5, 3])
    assert list(anchor_experts(populations, n_experts=4)) == [0, 2, -1, 1, -1, 3]


def test_training_anchors_each_population_to_its_own_expert(fitted):
    # Labels 0, 1, 2 (200, 150, 100 cells) are populations 0, 1, 2; unanchored, the
    # similarity loss would leave any of the 6 · 5 · 4 expert choices equally good.
    model, _, _ = fitted
    assert model.cluster_experts_ == [[0], [1], [2]]
    assert all("anchor" in record for record in model.history_)


# ----------------------------------------------------------------------------- scikit-learn
def test_clone_copies_the_parameters_and_leaves_the_copy_untrained(fitted):
    model, _, _ = fitted
    copy = clone(model)
    assert copy.get_params() == model.get_params()
    assert copy.markers == MARKERS and not hasattr(copy, "net_")


def test_set_params_changes_what_fit_uses():
    frame, truth = generated_cells()
    model = MoESimVAE(**FAST).set_params(iterations=7, n_experts=4)
    assert model.get_params()["iterations"] == 7
    model.fit(frame, truth)
    assert len(model.history_) == 7 and model.net_.n_experts == 4


def test_fit_predict_labels_every_row_beyond_the_training_cells():
    frame, truth = generated_cells()
    model = MoESimVAE(**{**FAST, "n_train": 200})
    labels = model.fit_predict(frame, truth)
    assert model.n_training_cells_ == 200
    assert len(labels) == len(frame) and np.array_equal(labels, model.labels_)
    assert np.array_equal(labels, model.predict(frame))


def test_labels_are_the_predictions_when_every_cell_trains(fitted):
    model, frame, _ = fitted
    assert np.array_equal(model.labels_, model.predict(frame))


def test_fit_refuses_a_setting_out_of_range_before_any_work():
    frame, _ = generated_cells()
    model = MoESimVAE(**FAST).set_params(learning_rate=float("nan"))
    with pytest.raises(InvalidSetting, match="'learning_rate' must be a number above 0"):
        model.fit(frame)
    assert not hasattr(model, "scaler_")


def test_an_array_without_markers_is_clustered_on_every_column():
    frame, truth = generated_cells()
    model = MoESimVAE(**{**FAST, "markers": None}).fit(frame[MARKERS].to_numpy(), truth)
    assert model.markers_ == ["0", "1", "2", "3"]
    assert adjusted_rand_score(truth, model.labels_) > 0.9


def test_a_network_too_large_is_refused_before_training():
    frame, _ = generated_cells()
    huge = dict(n_experts=1_000, latent_dim=256, hidden_sizes=(1_024,) * 8)
    with pytest.raises(InputError, match="would have .* weights"):
        MoESimVAE(**{**FAST, **huge}).fit(frame)


@pytest.mark.parametrize(
    "sizes", [(8, 10, (64, 32), 30), (3, 2, (16,), 5), (40, 16, (256, 128, 64), 50)]
)
def test_the_weights_counted_without_torch_are_the_networks_own(sizes):
    net = network.MoESimVAENet(*sizes)
    assert network_weights(*sizes) == sum(p.numel() for p in net.parameters())


# ----------------------------------------------------------------------------- scaling
def test_scaler_and_arcsinh_invert_within_the_percentile_range():
    frame, _ = generated_cells()
    scaler = CytometryScaler(MARKERS, COFACTOR).fit(frame)
    scaled = scaler.transform(frame)
    assert scaled.min() >= 0 and scaled.max() <= 1
    inside = (scaled > 0) & (scaled < 1)
    values = frame[MARKERS].to_numpy()
    restored = scaler.inverse_transform(scaled)
    assert np.allclose(restored[inside], values[inside], rtol=1e-3, atol=1e-3)


def test_scaler_without_markers_takes_every_column():
    frame, _ = generated_cells()
    assert CytometryScaler().fit(frame).markers_ == [*MARKERS, "Time"]


@pytest.mark.parametrize("cofactors", [0.0, -5.0, float("nan"), {"CD3": -1.0}])
def test_scaler_refuses_a_cofactor_that_is_not_positive(cofactors):
    frame, _ = generated_cells()
    with pytest.raises(InputError, match="must be a positive number"):
        CytometryScaler(MARKERS, cofactors).fit(frame)


def test_generate_refuses_more_cells_than_its_cap(fitted):
    model, _, _ = fitted
    with pytest.raises(InputError, match="from 1 to 1,000,000, not 1,000,001"):
        model.generate(0, MAX_GENERATED_CELLS + 1)


# ----------------------------------------------------------------------------- model files
def rewrite(path, meta_changes: dict | None = None, tensor_changes: dict | None = None):
    """Change a saved model's metadata or tensors in place."""
    stored = torch.load(path, map_location="cpu", weights_only=True)
    meta = json.loads(stored["meta"])
    for key, value in (meta_changes or {}).items():
        meta["params"][key] = value
    stored["tensors"].update(tensor_changes or {})
    torch.save({"meta": json.dumps(meta), "tensors": stored["tensors"]}, path)


def test_a_model_saved_on_a_gpu_opens_on_the_cpu(fitted, tmp_path, monkeypatch):
    model, frame, _ = fitted
    path = tmp_path / "gpu.cytomoe"
    # Tag every tensor as stored on CUDA, as torch.save does for a model trained there.
    monkeypatch.setattr(
        torch.serialization, "_package_registry", list(torch.serialization._package_registry)
    )
    torch.serialization.register_package(0, lambda storage: "cuda:0", lambda obj, location: None)
    model.save(path)
    rewrite(path, {"device": "cuda"})
    monkeypatch.undo()
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="CUDA"):
            torch.load(path, weights_only=True)  # what opening it without a map does
    loaded = MoESimVAE.load(path)
    assert loaded.device_.type == ("cuda" if torch.cuda.is_available() else "cpu")
    assert np.array_equal(loaded.predict(frame), model.predict(frame))


def test_huge_sizes_in_a_model_file_are_refused_before_building_the_network(
    fitted, tmp_path, monkeypatch
):
    model, _, _ = fitted
    path = tmp_path / "huge.cytomoe"
    model.save(path)
    rewrite(path, {"n_experts": 1_000, "latent_dim": 256, "hidden_sizes": [1_024] * 8})
    built_on = []

    class Recorded(network.MoESimVAENet):
        def __init__(self, *args):
            super().__init__(*args)
            built_on.append(next(self.parameters()).device.type)

    monkeypatch.setattr(network, "MoESimVAENet", Recorded)
    with pytest.raises(InputError, match="huge.cytomoe: A network of 1000 experts"):
        MoESimVAE.load(path)
    assert built_on == []  # counted from the layer sizes, never built


def test_an_out_of_range_setting_in_a_model_file_is_named(fitted, tmp_path):
    model, _, _ = fitted
    path = tmp_path / "bad.cytomoe"
    model.save(path)
    rewrite(path, {"n_experts": 10**12})
    with pytest.raises(InputError, match="bad.cytomoe: the model's 'n_experts' must be"):
        MoESimVAE.load(path)


def test_tensors_of_the_wrong_shape_are_a_damaged_file(fitted, tmp_path):
    model, _, _ = fitted
    path = tmp_path / "damaged.cytomoe"
    model.save(path)
    rewrite(path, tensor_changes={"scale_low": torch.zeros(3)})
    with pytest.raises(InputError, match="damaged.cytomoe: a damaged cytomoe model file"):
        MoESimVAE.load(path)


def test_a_model_file_of_the_current_format_from_before_the_estimator_rework_still_loads():
    # Saved by the fit(frame, markers, cofactors) estimator; the values below are what it
    # gave for this model before it was saved.
    frame, truth = generated_cells()
    model = MoESimVAE.load(SAVED_MODEL)
    assert model.markers_ == MARKERS and model.cofactors_ == {m: COFACTOR for m in MARKERS}
    assert np.array_equal(model.predict(frame), truth)
    latent = model.transform(frame)[[0, 250, 420], :3]
    expected = [[0.3005, 0.0049, -0.3437], [-0.4053, 0.179, 0.1831], [0.3019, -1.6756, -0.6398]]
    assert np.allclose(latent, expected, atol=1e-4)
    assert np.allclose(
        model.predict_proba(frame)[[0, 250, 420]].max(1), [0.7812, 0.7025, 0.8886], atol=1e-4
    )


def test_generating_in_chunks_gives_the_same_cells(fitted, monkeypatch):
    model, _, _ = fitted
    whole = model.generate(0, 300, seed=2)
    monkeypatch.setattr("cytomoe.core.model.estimator.GENERATE_CHUNK", 64)
    chunked = model.generate(0, 300, seed=2)
    assert np.allclose(chunked.to_numpy(), whole.to_numpy())
    assert chunked.attrs == whole.attrs


def test_fit_keeps_each_rows_label_and_its_probability(fitted):
    model, frame, _ = fitted
    probabilities = model.predict_proba(frame)
    assert np.array_equal(model.labels_, probabilities.argmax(1))
    assert np.allclose(model.label_probability_, probabilities.max(1))


def test_assigning_in_chunks_gives_what_one_pass_gives(fitted, monkeypatch):
    model, frame, _ = fitted
    whole = model.predict_proba(frame)
    monkeypatch.setattr("cytomoe.core.model.estimator.ASSIGN_CHUNK", 100)
    labels, probability = model.predict_with_probability(frame)
    assert np.array_equal(labels, whole.argmax(1))
    assert np.allclose(probability, whole.max(1))
    assert np.allclose(model.predict_proba(frame), whole)
    assert model.transform(frame).shape == (len(frame), model.latent_dim)
