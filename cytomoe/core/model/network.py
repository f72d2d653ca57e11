"""The MoE-Sim-VAE network and its four losses (METHOD.md sections 3 and 4), in plain PyTorch.

Kept apart from the estimator (model.py) so the losses can be tested on tiny tensors.
"""

import math
import sys

import torch
from torch import nn
from torch.nn import functional as F

PROBABILITY_FLOOR = 1e-6  # clamps P Pᵀ into (ε, 1 − ε) so the BCE stays finite
GATE_DROPOUT = 0.2  # dropout of the noisy gating pass (DEPICT)
GROUPED_MM_ALIGNMENT = 4  # grouped_mm wants rows of weights in multiples of 16 bytes


def _mlp(sizes: list[int], dropout: float = 0.0) -> nn.Sequential:
    """(Linear → BatchNorm → ELU [→ Dropout]) for every hidden layer; no final layer."""
    layers: list[nn.Module] = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
        layers += [nn.Linear(n_in, n_out), nn.BatchNorm1d(n_out), nn.ELU()]
        if dropout:
            layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers)


class Experts(nn.Module):
    """K decoder MLPs with stacked weights; each cell runs through its own expert only.

    Each layer is one grouped or batched matmul, with no Python loop over cells or experts.
    On the CPU the cells are sorted by expert and every expert's block is multiplied by its
    weights (``grouped_mm``): a training step of the experts took 1.2 ms this way against
    6.7 ms for gathering a weight matrix per cell (batch 512, 30 experts). Elsewhere the
    per-cell gather and ``bmm`` are used, since ``grouped_mm`` on CUDA expects bfloat16.
    """

    def __init__(self, n_experts: int, sizes: list[int]):
        super().__init__()
        self.weights = nn.ParameterList()
        self.biases = nn.ParameterList()
        for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
            bound = 1.0 / math.sqrt(n_in)  # nn.Linear's initialisation, per expert
            self.weights.append(
                nn.Parameter(torch.empty(n_experts, n_in, n_out).uniform_(-bound, bound))
            )
            self.biases.append(nn.Parameter(torch.empty(n_experts, n_out).uniform_(-bound, bound)))

    def forward(self, z: torch.Tensor, expert: torch.Tensor) -> torch.Tensor:
        """Logits of the reconstruction of each row of ``z`` by expert ``expert[i]``."""
        if z.device.type == "cpu":
            return self.grouped(z, expert)
        return self.gathered(z, expert)

    def gathered(self, z: torch.Tensor, expert: torch.Tensor) -> torch.Tensor:
        h = z.unsqueeze(1)
        last = len(self.weights) - 1
        for layer, (weight, bias) in enumerate(zip(self.weights, self.biases, strict=True)):
            h = torch.bmm(h, weight[expert]) + bias[expert].unsqueeze(1)
            if layer < last:
                h = F.elu(h)
        return h.squeeze(1)

    def grouped(self, z: torch.Tensor, expert: torch.Tensor) -> torch.Tensor:
        order = torch.argsort(expert, stable=True)
        counts = torch.bincount(expert, minlength=len(self.weights[0]))
        # Only the experts with cells: grouped_mm's CPU kernel runs a matrix product per
        # group, empty ones included, and most of the K experts get no cell of a batch.
        used = counts.nonzero().squeeze(1)
        ends = torch.cumsum(counts[used], 0).to(torch.int32)
        sorted_expert = expert[order]
        h = z[order]
        last = len(self.weights) - 1
        for layer, (weight, bias) in enumerate(zip(self.weights, self.biases, strict=True)):
            # Zero padding of the inner and outer sizes to grouped_mm's alignment.
            pad_in = -weight.shape[1] % GROUPED_MM_ALIGNMENT
            pad_out = -weight.shape[2] % GROUPED_MM_ALIGNMENT
            padded_weight = weight[used]
            if pad_in or pad_out:  # F.pad copies even when it adds nothing
                h = F.pad(h, (0, pad_in))
                padded_weight = F.pad(padded_weight, (0, pad_out, 0, pad_in))
            product = F.grouped_mm(h, padded_weight, offs=ends)
            h = product[:, : weight.shape[2]] + bias[sorted_expert]
            if layer < last:
                h = F.elu(h)
        unsorted = torch.empty_like(order)  # the inverse permutation, without a second sort
        unsorted[order] = torch.arange(len(order), device=order.device)
        return h[unsorted]


class MoESimVAENet(nn.Module):
    """Encoder x → m(x), gating net z → P (and a noisy P̂), and K experts z → x̂ logits."""

    def __init__(
        self, n_markers: int, latent_dim: int, hidden_sizes: tuple[int, ...], n_experts: int
    ):
        super().__init__()
        hidden = list(hidden_sizes)
        self.encoder = nn.Sequential(_mlp([n_markers, *hidden]), nn.Linear(hidden[-1], latent_dim))
        gate_hidden = [latent_dim, hidden[-1]]
        self.gate_body = _mlp(gate_hidden)
        self.gate_head = nn.Linear(hidden[-1], n_experts)
        self.experts = Experts(n_experts, [latent_dim, *reversed(hidden), n_markers])
        self.n_experts = n_experts

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def gate(self, z: torch.Tensor, noisy: bool = False) -> torch.Tensor:
        """P = softmax(MLP(z)); ``noisy`` adds dropout after the hidden layer (P̂)."""
        h = self.gate_body(z)
        if noisy:
            h = F.dropout(h, GATE_DROPOUT, training=True)
        return torch.softmax(self.gate_head(h), dim=1)

    def decode(self, z: torch.Tensor, expert: torch.Tensor) -> torch.Tensor:
        return self.experts(z, expert)


def reconstruction_loss(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """BCE(sigmoid(logits), x), mean over cells and markers."""
    return F.binary_cross_entropy_with_logits(logits, x)


def expert_counts(expert: torch.Tensor, n_experts: int, dtype: torch.dtype) -> torch.Tensor:
    """Cells per expert. ``torch.bincount`` on CUDA reads the largest index back to the host
    on every call; adding ones into a fixed-size vector stays on the device."""
    ones = torch.ones(len(expert), dtype=dtype, device=expert.device)
    return torch.zeros(n_experts, dtype=dtype, device=expert.device).index_add(0, expert, ones)


def batch_cluster_means(z: torch.Tensor, p: torch.Tensor) -> torch.Tensor:
    """μ_k: mean of z over the batch's cells whose argmax is k, without gradient.

    Computed from the batch's own cells: METHOD.md's calibration notes saw a running
    average diverge together with z = m + ε. Paper Eq. 6 weights the sum by the soft P_ik
    but divides by the hard count N_k; while P is still soft that puts μ_k far from k's
    cells (towards the origin), and the KL around it then measures distance to the
    origin, not spread. The hard mean is what Eq. 6 tends to as P sharpens.
    Experts without cells get a zero mean.
    """
    with torch.no_grad():
        expert = p.argmax(1)
        counts = expert_counts(expert, p.shape[1], z.dtype)
        sums = torch.zeros(p.shape[1], z.shape[1], dtype=z.dtype, device=z.device).index_add(
            0, expert, z
        )
        return sums / counts.clamp(min=1).unsqueeze(1)


def kl_loss(z: torch.Tensor, p: torch.Tensor, means: torch.Tensor) -> torch.Tensor:
    """mean_k ½ Σ_j (σ²_kj − 1 − log σ²_kj), σ²_k the spread of z around μ_k over k's cells.

    Experts with fewer than two cells in the batch have no spread and are left out (by a
    mask, not by indexing, so the device is never asked which ones)."""
    expert = p.argmax(1)
    counts = expert_counts(expert, p.shape[1], z.dtype)
    squared = (z - means[expert]) ** 2
    sums = torch.zeros_like(means).index_add(0, expert, squared)
    used = (counts >= 2).to(z.dtype)
    variance = (sums / counts.clamp(min=1).unsqueeze(1)).clamp(min=1e-6)
    per_expert = 0.5 * (variance - 1.0 - variance.log()).sum(1)
    return (per_expert * used).sum() / used.sum().clamp(min=1)


def similarity_loss(p: torch.Tensor, similarity: torch.Tensor) -> torch.Tensor:
    """BCE(P Pᵀ, S) over all B × B pairs, for a boolean matrix S.

    Written out as −log of P Pᵀ where S holds and of 1 − P Pᵀ where it does not: the same
    value as ``binary_cross_entropy``, whose CPU kernel made a training step 4 ms (a third)
    slower. The B × B part is one autograd function (``PairBCE``)."""
    return PairBCE.apply(p @ p.T, similarity)


class PairBCE(torch.autograd.Function):
    """−mean log of the clamped pair probabilities where S holds and of 1 minus them where it
    does not, with its gradient written out: one pass over the B × B pairs each way on the
    CPU (pair_kernels.py), a few torch passes elsewhere, where autograd's chain of clamp,
    1 − x, where, log and mean takes eleven; the same values bit for bit
    (tests/test_model.py)."""

    @staticmethod
    def forward(
        ctx: torch.autograd.function.FunctionCtx, pairs: torch.Tensor, similarity: torch.Tensor
    ) -> torch.Tensor:
        similarity = similarity.contiguous()
        chosen, unclamped = chosen_pairs(pairs, similarity)
        ctx.save_for_backward(chosen, similarity, unclamped)
        return -chosen.log().mean()

    @staticmethod
    def backward(
        ctx: torch.autograd.function.FunctionCtx, grad: torch.Tensor
    ) -> tuple[torch.Tensor, None]:
        chosen, similarity, unclamped = ctx.saved_tensors
        # d/dx −mean(log x) = −1/(n x); where S does not hold, x = 1 − P Pᵀ flips the sign.
        # Dividing ±c by x gives autograd's ±(c / x) exactly: negation is exact in IEEE.
        per_pair = grad.neg() / chosen.numel()
        return pair_gradient(chosen, similarity, unclamped, per_pair), None


def compiled_passes(pairs: torch.Tensor) -> bool:
    """Whether pair_kernels.py takes the B × B passes: float32 pairs on the CPU, in a process
    that has loaded numba already (every run that embeds or finds populations). Loading
    numba and the kernels for a training alone, as a run whose embedding and regions come
    from the cache would, costs more than they save there (benchmarks/RESULTS.md); both
    ways give the same bits."""
    return pairs.device.type == "cpu" and pairs.dtype == torch.float32 and "numba" in sys.modules


def chosen_pairs(
    pairs: torch.Tensor, similarity: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """The pair probabilities clamped into (ε, 1 − ε) where S holds and one minus them where
    it does not, and where the clamp left them unchanged."""
    if compiled_passes(pairs):
        from cytomoe.core.model import pair_kernels

        chosen, unclamped = torch.empty_like(pairs), torch.empty_like(similarity)
        pair_kernels.chosen_pairs(
            pairs.detach().contiguous().numpy(),
            similarity.numpy(),
            PROBABILITY_FLOOR,  # both bounds rounded to float32 as torch's clamp does
            1.0 - PROBABILITY_FLOOR,
            chosen.numpy(),
            unclamped.numpy(),
        )
        return chosen, unclamped
    same = pairs.clamp(PROBABILITY_FLOOR, 1.0 - PROBABILITY_FLOOR)
    return torch.where(similarity, same, 1.0 - same), same == pairs


def pair_gradient(
    chosen: torch.Tensor, similarity: torch.Tensor, unclamped: torch.Tensor, per_pair: torch.Tensor
) -> torch.Tensor:
    """±``per_pair`` / ``chosen``, minus where S does not hold, zero where clamped."""
    if compiled_passes(chosen):
        from cytomoe.core.model import pair_kernels

        gradient = torch.empty_like(chosen)
        pair_kernels.pair_gradient(
            chosen.numpy(), similarity.numpy(), unclamped.numpy(), per_pair.item(), gradient.numpy()
        )
        return gradient
    signed = torch.where(similarity, per_pair, per_pair.neg()) / chosen
    return torch.where(unclamped, signed, 0.0)


def depict_loss(p: torch.Tensor, p_noisy: torch.Tensor) -> torch.Tensor:
    """−(1/B) Σ_i Σ_k q_ik log P̂_ik with q_ik ∝ P_ik / sqrt(Σ_i P_ik) held constant."""
    with torch.no_grad():
        q = p / p.sum(0, keepdim=True).sqrt()
        q = q / q.sum(1, keepdim=True)
    return -(q * p_noisy.clamp(min=PROBABILITY_FLOOR).log()).sum(1).mean()
