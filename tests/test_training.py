"""The training loop's speed levers: stopping once the gate has settled, Adam without the
compiler stack, S built on the device, loss terms read back in batches."""

import subprocess
import sys

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from cytomoe.core.model import network, training
from cytomoe.core.model.device import compute_threads
from cytomoe.core.model.optimiser import Adam
from cytomoe.core.model.similarity import LabelSimilarity
from cytomoe.core.model.training import (
    TrainingConfig,
    anchor_loss,
    device_similarity,
    same_population,
    train,
)


def separated_cells(n_per_population: int = 300, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Three well separated populations of scaled ([0, 1]) cells and their labels."""
    rng = np.random.default_rng(seed)
    centres = np.array([[0.8, 0.1, 0.1, 0.2], [0.1, 0.8, 0.1, 0.1], [0.1, 0.1, 0.8, 0.6]])
    labels = np.repeat([0, 1, 2], n_per_population)
    cells = np.clip(centres[labels] + rng.normal(0, 0.03, (len(labels), 4)), 0, 1)
    return cells.astype(np.float32), labels


FLOOR = 150  # a lower floor of iterations than the default, to keep the tests short


@pytest.fixture(autouse=True)
def short_floor(monkeypatch):
    monkeypatch.setattr(training, "MIN_ITERATIONS", FLOOR)


def fitted_history(iterations: int) -> list[dict[str, float]]:
    cells, labels = separated_cells()
    torch.manual_seed(0)
    net = network.MoESimVAENet(4, 4, (32, 16), 6)
    config = TrainingConfig(iterations, 64, 1e-3, 0.01, 0.8, 0.2)
    with torch.random.fork_rng(), compute_threads(torch.device("cpu")):
        return train(
            net,
            cells,
            LabelSimilarity(labels),
            config,
            torch.device("cpu"),
            np.random.default_rng(0),
        )


def test_training_stops_once_the_gate_assignments_have_settled():
    history = fitted_history(iterations=5_000)
    assert FLOOR <= len(history) < 5_000
    changes = [r["changed_expert"] for r in history if "changed_expert" in r]
    assert changes[-1] < training.SETTLED_CHANGE


def test_training_never_stops_on_settled_assignments_before_the_floor():
    assert len(fitted_history(iterations=FLOOR - 10)) == FLOOR - 10


def test_history_has_one_record_per_iteration_in_order():
    history = fitted_history(iterations=57)
    assert [r["iteration"] for r in history] == list(range(1, 58))
    assert all(isinstance(r["loss"], float) for r in history)
    assert "held_out" in history[49] and "held_out" in history[-1]


def test_adam_gives_torch_adams_weights():
    torch.manual_seed(0)
    ours, reference = network.MoESimVAENet(5, 3, (16,), 4), network.MoESimVAENet(5, 3, (16,), 4)
    reference.load_state_dict(ours.state_dict())
    optimisers = [
        Adam(ours.parameters(), lr=1e-2, betas=(0.9, 0.99)),
        torch.optim.Adam(reference.parameters(), lr=1e-2, betas=(0.9, 0.99)),
    ]
    x = torch.rand(32, 5)
    for _ in range(20):
        for net, optimiser in zip((ours, reference), optimisers, strict=True):
            optimiser.zero_grad()
            z = net.encode(x)
            loss = net.gate(z).square().sum() + net.decode(z, net.gate(z).argmax(1)).square().mean()
            loss.backward()
            optimiser.step()
    for mine, theirs in zip(ours.parameters(), reference.parameters(), strict=True):
        assert torch.allclose(mine, theirs, atol=1e-6)


def test_training_does_not_import_the_compiler_stack():
    code = (
        "import sys, numpy as np, torch\n"
        "from cytomoe.core.model import network\n"
        "from cytomoe.core.model.similarity import LabelSimilarity\n"
        "from cytomoe.core.model.training import TrainingConfig, train\n"
        "cells = np.random.default_rng(0).random((200, 3)).astype(np.float32)\n"
        "net = network.MoESimVAENet(3, 2, (8,), 2)\n"
        "train(net, cells, LabelSimilarity(np.arange(200) % 2), TrainingConfig(3, 32, 1e-3, "
        "0.01, 0.8, 0.2), torch.device('cpu'), np.random.default_rng(0))\n"
        "print('torch._dynamo' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def test_similarity_built_on_the_device_is_the_sources_own():
    labels = np.array([0, 2, 1, 0, 2, 2, 1])
    source = LabelSimilarity(labels)
    rows = np.array([0, 1, 3, 4, 6])
    populations = device_similarity(source, torch.device("cpu"))
    assert torch.equal(same_population(populations[torch.as_tensor(rows)]), source.batch(rows))


def test_cells_without_a_population_leave_s_to_the_source():
    source = LabelSimilarity(np.array([0, None, 1], dtype=object))
    assert device_similarity(source, torch.device("cpu")) is None


def test_anchor_loss_is_nll_over_the_anchored_cells_and_zero_without_any():
    p = torch.softmax(torch.randn(6, 4), 1)
    anchor = torch.tensor([0, -1, 3, 2, -1, 1])
    expected = F.nll_loss(p.log(), anchor, ignore_index=-1)
    assert torch.allclose(anchor_loss(p, anchor), expected)
    assert anchor_loss(p, torch.full((6,), -1)).item() == 0.0


def test_kl_loss_leaves_out_experts_with_fewer_than_two_cells():
    z = torch.tensor([[0.0], [2.0], [5.0]])
    p = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])  # expert 1 has one cell
    means = network.batch_cluster_means(z, p)
    variance = torch.tensor(1.0)  # of 0 and 2 around 1
    assert torch.allclose(network.kl_loss(z, p, means), 0.5 * (variance - 1 - variance.log()))
    lonely = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    assert network.kl_loss(z[:2], lonely, network.batch_cluster_means(z[:2], lonely)).item() == 0


def test_expert_counts_are_bincounts():
    expert = torch.tensor([2, 0, 2, 2, 4])
    counts = network.expert_counts(expert, 6, torch.float32)
    assert torch.equal(counts, torch.bincount(expert, minlength=6).float())
