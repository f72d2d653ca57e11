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
method section.

**Training stops when the gate has settled**: every ``EVALUATE_EVERY`` iterations the
held-out cells are assigned to their most probable expert, and once fewer than
``SETTLED_CHANGE`` of them changed expert over ``SETTLED_PATIENCE`` evaluations in a row
(and at least ``MIN_ITERATIONS`` have run, so small populations have had time to find
their expert) the clusters will not change any more. With a floor of 300 iterations instead
of 500, no family of the suite lost more than 0.0011 F, paired over three seeds
(benchmarks/RESULTS.md). The held-out loss still picks the
weights kept and still stops a run whose loss no longer improves.

**No host sync per iteration**: S is built on the device from the populations when every
training cell has one, the loss terms stay tensors until they are reported every
``REPORT_EVERY`` iterations, and no term branches on a tensor's value."""

import time
from dataclasses import dataclass

import numpy as np
import torch

from cytomoe.core.model import network
from cytomoe.core.model.optimiser import Adam
from cytomoe.core.model.similarity import SimilaritySource
from cytomoe.core.progress import CancelCheck, ProgressCallback, check_cancel, report

HELD_OUT_SHARE = 0.1  # of the training cells, for early stopping
MAX_HELD_OUT = 2_048
EVALUATE_EVERY = 50  # iterations between held-out evaluations
PATIENCE = 10  # evaluations without improvement before stopping
MIN_IMPROVEMENT = 0.002  # relative drop of the held-out loss that counts as improvement
SETTLED_CHANGE = 0.01  # share of held-out cells changing expert between evaluations
SETTLED_PATIENCE = 3  # evaluations in a row below it before stopping
MIN_ITERATIONS = 300  # never stop on settled assignments before this
REPORT_EVERY = 10  # iterations between progress reports (and loss values read back)


@dataclass
class TrainingConfig:
    iterations: int
    batch_size: int
    learning_rate: float
    weight_kl: float
    weight_cluster: float
    weight_depict: float


def batch_losses(
    net: network.MoESimVAENet,
    x: torch.Tensor,
    similarity: torch.Tensor,
    config: TrainingConfig,
    sample_noise: bool,
    anchor: torch.Tensor | None = None,
) -> dict[str, torch.Tensor]:
    """The four loss terms, the ``anchor`` term (cross-entropy of P against each cell's
    population expert, -1: none; 0 when no cell of the batch has one) when given, and
    their weighted total on one batch."""
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
    if anchor is not None:
        terms["anchor"] = anchor_loss(p, anchor)
        terms["loss"] = terms["loss"] + config.weight_cluster * terms["anchor"]
    return terms


def anchor_loss(p: torch.Tensor, anchor: torch.Tensor) -> torch.Tensor:
    """Mean −log P of each anchored cell's expert (``anchor`` -1: not anchored), 0 when no
    cell is anchored; ``nll_loss(ignore_index=-1)`` without its NaN for an empty batch, and
    without asking the device whether any cell is anchored."""
    anchored = anchor >= 0
    log_p = p.clamp(min=network.PROBABILITY_FLOOR).log()
    picked = log_p.gather(1, anchor.clamp(min=0).unsqueeze(1)).squeeze(1)
    return -(picked * anchored).sum() / anchored.sum().clamp(min=1)


def device_similarity(similarity: SimilaritySource, device: torch.device) -> torch.Tensor | None:
    """Each training cell's population on ``device`` when S is exactly "same population"
    for every batch (every cell lies in one), so batches build S there; else None."""
    populations = np.asarray(similarity.populations_)
    if len(populations) == 0 or not (populations >= 0).all():
        return None
    return torch.as_tensor(populations, dtype=torch.int64, device=device)


def same_population(populations: torch.Tensor) -> torch.Tensor:
    """S_ij true iff cells i and j share a population (all >= 0), on their device."""
    return populations[:, None] == populations[None, :]


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
    loss and the share of held-out cells that changed expert where they were evaluated).
    The weights with the best held-out loss are kept."""
    n = len(data)
    order = rng.permutation(n)
    n_held = min(MAX_HELD_OUT, int(n * HELD_OUT_SHARE)) if n >= 10 * 32 else 0
    held_rows, fit_rows = np.sort(order[:n_held]), order[n_held:]
    batch_size = min(config.batch_size, len(fit_rows))
    tensor = torch.as_tensor(data, dtype=torch.float32, device=device)
    populations = device_similarity(similarity, device)

    def batch_similarity(rows: np.ndarray) -> torch.Tensor:
        if populations is None:
            return similarity.batch(rows).to(device)
        return same_population(populations[torch.as_tensor(rows, device=device)])

    # The held-out loss is taken over batch-sized slices: S over all held-out pairs would
    # cost more than the training itself and is not what a training batch sees.
    held_chunks = np.array_split(held_rows, max(1, round(n_held / batch_size))) if n_held else []
    held_batches = [(tensor[c], batch_similarity(c)) for c in held_chunks]
    anchors = torch.as_tensor(anchor_experts(similarity.populations_, net.n_experts), device=device)
    optimiser = Adam(net.parameters(), lr=config.learning_rate, betas=(0.9, 0.99))
    history: list[dict[str, float]] = []
    pending: list[dict[str, torch.Tensor]] = []  # loss terms not yet read back from the device
    best_loss, best_state, evaluations_since_best = float("inf"), None, 0
    previous_experts, settled_evaluations = None, 0
    started = time.perf_counter()
    for iteration in range(1, config.iterations + 1):
        check_cancel(should_cancel)
        net.train()
        rows = np.sort(fit_rows[rng.choice(len(fit_rows), batch_size, replace=False)])
        on_device = torch.as_tensor(rows, device=device)
        terms = batch_losses(
            net,
            tensor[on_device],
            batch_similarity(rows),
            config,
            sample_noise=True,
            anchor=anchors[on_device],
        )
        optimiser.zero_grad()
        terms["loss"].backward()
        optimiser.step()
        pending.append({name: value.detach() for name, value in terms.items()})
        last = iteration == config.iterations
        evaluated = {}
        if held_batches and (iteration % EVALUATE_EVERY == 0 or last):
            evaluated, experts = evaluate_held_out(net, held_batches, config)
            if previous_experts is not None:
                evaluated["changed_expert"] = float((experts != previous_experts).mean())
                settled = evaluated["changed_expert"] < SETTLED_CHANGE
                settled_evaluations = settled_evaluations + 1 if settled else 0
            previous_experts = experts
            if evaluated["held_out"] < best_loss * (1.0 - MIN_IMPROVEMENT):
                best_loss, evaluations_since_best = evaluated["held_out"], 0
                best_state = {k: v.detach().clone() for k, v in net.state_dict().items()}
            else:
                evaluations_since_best += 1
        stop = evaluations_since_best >= PATIENCE or (
            settled_evaluations >= SETTLED_PATIENCE and iteration >= MIN_ITERATIONS
        )
        if iteration % REPORT_EVERY == 0 or last or stop or evaluated:
            history += read_back(pending, iteration)
            pending = []
        if evaluated:
            history[-1].update(evaluated)
        if iteration % REPORT_EVERY == 0 or last:
            elapsed = time.perf_counter() - started
            report(
                progress,
                "train",
                iteration,
                config.iterations,
                "Training",
                eta=elapsed / iteration * (config.iterations - iteration),
                **{
                    k: v for k, v in history[-1].items() if k not in ("iteration", "changed_expert")
                },
            )
        if stop:
            report(
                progress, "train", config.iterations, config.iterations, "Stopped early", eta=0.0
            )
            break
    if best_state is not None:
        net.load_state_dict(best_state)
    net.eval()
    return history


def evaluate_held_out(
    net: network.MoESimVAENet,
    held_batches: list[tuple[torch.Tensor, torch.Tensor]],
    config: TrainingConfig,
) -> tuple[dict[str, float], np.ndarray]:
    """The mean held-out loss over the held-out slices, and each held-out cell's most
    probable expert."""
    net.eval()
    with torch.no_grad():
        losses = [
            batch_losses(net, x, s, config, sample_noise=False)["loss"] for x, s in held_batches
        ]
        experts = torch.cat([net.gate(net.encode(x)).argmax(1) for x, _ in held_batches])
        loss = float(torch.stack(losses).mean())
    return {"held_out": loss}, experts.cpu().numpy()


def read_back(
    pending: list[dict[str, torch.Tensor]], last_iteration: int
) -> list[dict[str, float]]:
    """The history records of the ``pending`` iterations (the last one is
    ``last_iteration``), read from the device in one transfer."""
    if not pending:
        return []
    names = list(pending[0])
    values = torch.stack([torch.stack([record[n] for n in names]) for record in pending])
    first = last_iteration - len(pending) + 1
    return [
        {"iteration": first + i, **dict(zip(names, row, strict=True))}
        for i, row in enumerate(values.cpu().tolist())
    ]
