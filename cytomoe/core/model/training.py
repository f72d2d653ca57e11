"""The training loop of MoE-Sim-VAE as a plain function: progress callback, cancel check,
held-out early stopping with the best weights kept, seeded so CPU runs repeat exactly.

**The gate is anchored to the similarity's populations.** BCE(P Pᵀ, S) does not care
which expert a population uses, and that symmetry leaves local minima: two populations
sharing one expert at P ≈ ½ with the rest of their probability spread evenly over unused
experts. Splitting them means moving one population
wholesale to another expert, uphill all the way. So a cross-entropy term sends population p
to expert p (the populations are numbered and at most K of them; cells in no population are
left to S alone). It stays on for the whole training: when it stopped after the first 10%
of the iterations, populations of 15-40 cells, a few cells per batch and little weight in
the mean over B² pairs, drifted across experts. The measurements are in the README's
method section."""

import copy
import time
from dataclasses import dataclass

import numpy as np
import torch
from torch.nn import functional as F

from cytomoe.core.model import network
from cytomoe.core.model.similarity import SimilaritySource
from cytomoe.core.progress import CancelCheck, ProgressCallback, check_cancel, report

HELD_OUT_SHARE = 0.1  # of the training cells, for early stopping
MAX_HELD_OUT = 2_048
EVALUATE_EVERY = 50  # iterations between held-out evaluations
PATIENCE = 10  # evaluations without improvement before stopping
MIN_IMPROVEMENT = 0.002  # relative drop of the held-out loss that counts as improvement


@dataclass
class TrainingConfig:
    iterations: int
    batch_size: int
    learning_rate: float
    weight_kl: float
    weight_cluster: float
    weight_depict: float


def even_subsample(groups: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Up to ``n`` row indices spread evenly over the groups (e.g. wells), sorted.

    Every group gets the same quota; groups smaller than it give all their rows and the
    rest is shared among the others."""
    groups = np.asarray(groups)
    if n >= len(groups):
        return np.arange(len(groups))
    names, codes = np.unique(groups, return_inverse=True)
    members = [np.flatnonzero(codes == g) for g in range(len(names))]
    remaining, open_groups, quota = n, sorted(range(len(names)), key=lambda g: len(members[g])), {}
    while open_groups:
        share = remaining // len(open_groups)
        group = open_groups[0]
        if len(members[group]) <= share:
            quota[group] = len(members[group])
            remaining -= quota[group]
            open_groups.pop(0)
            continue
        for position, group in enumerate(open_groups):  # the rest all have more than the share
            quota[group] = share + (1 if position < remaining - share * len(open_groups) else 0)
        break
    chosen = [rng.choice(members[g], quota[g], replace=False) for g in range(len(names))]
    return np.sort(np.concatenate(chosen))


def batch_losses(
    net: network.MoESimVAENet,
    x: torch.Tensor,
    similarity: torch.Tensor,
    config: TrainingConfig,
    sample_noise: bool,
    anchor: torch.Tensor | None = None,
) -> dict[str, torch.Tensor]:
    """The four loss terms, the ``anchor`` term (cross-entropy of P against each cell's
    population expert, -1: none) when given, and their weighted total on one batch."""
    location = net.encode(x)
    z = location + torch.randn_like(location) if sample_noise else location
    # The gate reads the clean location m(x), as at inference; the experts decode z.
    # Gating on z = m + ε (the reference code) loses populations under ~2% of the cells:
    # the clusters must first drift several units apart to survive the unit noise.
    p = net.gate(location)
    p_noisy = net.gate(location, noisy=True)
    expert = p.argmax(1)
    terms = {
        "reconstruction": network.reconstruction_loss(net.decode(z, expert), x),
        "kl": network.kl_loss(z, p, network.batch_cluster_means(z, p)),
        "similarity": network.similarity_loss(p, similarity),
        "depict": network.depict_loss(p, p_noisy),
    }
    terms["loss"] = (
        terms["reconstruction"]
        + config.weight_kl * terms["kl"]
        + config.weight_cluster * (terms["similarity"] + config.weight_depict * terms["depict"])
    )
    if anchor is not None and bool((anchor >= 0).any()):
        log_p = p.clamp(min=network.PROBABILITY_FLOOR).log()
        terms["anchor"] = F.nll_loss(log_p, anchor, ignore_index=-1)
        terms["loss"] = terms["loss"] + config.weight_cluster * terms["anchor"]
    return terms


def anchor_experts(populations: np.ndarray, n_experts: int) -> np.ndarray:
    """The anchored expert of each training cell: population p goes to expert p; cells in
    no population, or in one numbered beyond the experts, get -1 (no anchor)."""
    populations = np.asarray(populations, dtype=np.int64)
    return np.where(populations < n_experts, populations, -1)


def train(
    net: network.MoESimVAENet,
    data: np.ndarray,
    similarity: SimilaritySource,
    config: TrainingConfig,
    device: torch.device,
    rng: np.random.Generator,
    progress: ProgressCallback | None = None,
    should_cancel: CancelCheck | None = None,
) -> list[dict[str, float]]:
    """Train ``net`` in place on the scaled training cells ``data`` (rows as ``similarity``
    knows them). Returns the history: one dict per iteration (loss terms, and the held-out
    loss where it was evaluated). The weights with the best held-out loss are kept."""
    n = len(data)
    order = rng.permutation(n)
    n_held = min(MAX_HELD_OUT, int(n * HELD_OUT_SHARE)) if n >= 10 * 32 else 0
    held_rows, fit_rows = np.sort(order[:n_held]), order[n_held:]
    batch_size = min(config.batch_size, len(fit_rows))
    tensor = torch.as_tensor(data, dtype=torch.float32, device=device)
    # The held-out loss is taken over batch-sized slices: S over all held-out pairs would
    # cost more than the training itself and is not what a training batch sees.
    held_chunks = np.array_split(held_rows, max(1, round(n_held / batch_size))) if n_held else []
    held_batches = [(tensor[c], similarity.batch(c).to(device)) for c in held_chunks]
    anchors = torch.as_tensor(anchor_experts(similarity.populations_, net.n_experts))
    optimiser = torch.optim.Adam(net.parameters(), lr=config.learning_rate, betas=(0.9, 0.99))
    history: list[dict[str, float]] = []
    best_loss, best_state, evaluations_since_best = float("inf"), None, 0
    started = time.perf_counter()
    for iteration in range(1, config.iterations + 1):
        check_cancel(should_cancel)
        net.train()
        rows = np.sort(fit_rows[rng.choice(len(fit_rows), batch_size, replace=False)])
        terms = batch_losses(
            net,
            tensor[rows],
            similarity.batch(rows).to(device),
            config,
            sample_noise=True,
            anchor=anchors[rows].to(device),
        )
        optimiser.zero_grad()
        terms["loss"].backward()
        optimiser.step()
        record = {"iteration": iteration, **{name: value.item() for name, value in terms.items()}}
        if held_batches and (iteration % EVALUATE_EVERY == 0 or iteration == config.iterations):
            net.eval()
            with torch.no_grad():
                record["held_out"] = float(
                    np.mean(
                        [
                            float(batch_losses(net, x, s, config, sample_noise=False)["loss"])
                            for x, s in held_batches
                        ]
                    )
                )
            if record["held_out"] < best_loss * (1.0 - MIN_IMPROVEMENT):
                best_loss, evaluations_since_best = record["held_out"], 0
                best_state = copy.deepcopy(net.state_dict())
            else:
                evaluations_since_best += 1
        history.append(record)
        elapsed = time.perf_counter() - started
        if iteration % 10 == 0 or iteration == config.iterations:
            report(
                progress,
                "train",
                iteration,
                config.iterations,
                "Training",
                eta=elapsed / iteration * (config.iterations - iteration),
                **{k: v for k, v in record.items() if k != "iteration"},
            )
        if evaluations_since_best >= PATIENCE:
            report(
                progress, "train", config.iterations, config.iterations, "Stopped early", eta=0.0
            )
            break
    if best_state is not None:
        net.load_state_dict(best_state)
    net.eval()
    return history
