"""``MoESimVAE``: the scikit-learn clusterer users train, apply, generate from, save and load.

Its constructor is the one place where the settings, their defaults and their ranges are
written: ``ModelSettings`` (analysis files, the CLI, the app) is derived from it.

Input tables hold compensated events in instrument units, one column per channel ($PnN).
The model owns its scaling (``CytometryScaler``: arcsinh with the given cofactors, then a
robust [0, 1] scale fitted on the training cells), so new data is mapped exactly as the
training data was. Clusters come from the experts as experts.py describes; they are
numbered 0..n_clusters_-1 by their number of training cells (0 largest) and a cluster's
probability is the sum of its experts'.

Generation draws, for each synthetic cell, one of the cluster's experts (in proportion to
its training cells) and z ~ N(μ_k, I) around that expert's mean latent location over its
training cells (computed once after training), decodes z with that expert and maps it back
through the scaler.

torch, the network and the training loop are imported where they run, not with this
module: the settings are checked and the embedding is computed first, and torch is imported
beside UMAP's layout (embedding.py), on a core the layout leaves idle.
"""

import inspect
import os
import time
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Unpack

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClusterMixin

from cytomoe.core.errors import InputError
from cytomoe.core.model.device import DEVICE_NAMES, compute_threads, is_device_name, select_device
from cytomoe.core.model.experts import (
    cluster_probabilities,
    keep_populated_experts,
    merge_experts_of_one_population,
)
from cytomoe.core.model.parameters import Between, Length, Satisfies, check_setting
from cytomoe.core.model.sampling import even_subsample
from cytomoe.core.model.scaling import CytometryScaler, as_frame
from cytomoe.core.model.similarity import (
    LabelSimilarity,
    PopulationSimilarity,
    SimilaritySource,
    min_population_size,
)
from cytomoe.core.preprocessing.panel import Panel
from cytomoe.core.progress import (
    Callbacks,
    CancelCheck,
    ProgressCallback,
    check_cancel,
    report,
)

ASSIGN_CHUNK = 65_536  # cells per forward pass when assigning
ASSIGN_THREADS = min(4, os.cpu_count() or 1)  # chunks assigned at once
# Cells decoded at a time by generate: off the CPU the experts gather a weight matrix per
# cell, which for a million cells would need GBs at once.
GENERATE_CHUNK = 16_384
MAX_NETWORK_PARAMETERS = 20_000_000  # weights of encoder, gate and experts together
MAX_GENERATED_CELLS = 1_000_000  # per call of generate
DATA_PARAMETERS = ("markers", "cofactors", "marker_names", "spillover")  # panel_parameters


def panel_parameters(panel: Panel, spillover: pd.DataFrame | None = None) -> dict:
    """The estimator's data parameters from a panel: its selected channels, their cofactors
    and display names, and ``spillover`` (the training events' compensation) restricted to
    the selected channels when the panel compensates."""
    selected = list(panel.selected)
    kept = [c for c in selected if spillover is not None and c in spillover.index]
    return {
        "markers": selected,
        "cofactors": {c: panel.cofactors.get(c) for c in selected},
        "marker_names": {c: panel.display_name(c) for c in selected},
        "spillover": spillover.loc[kept, kept] if panel.compensate and kept else None,
    }


class MoESimVAE(ClusterMixin, BaseEstimator):
    """Mixture-of-experts similarity VAE (Kopf et al. 2021) as a scikit-learn clusterer.

    Parameters (each annotated with the values it accepts):
      n_experts: experts K, an upper bound on the clusters; experts the similarity's
        populations do not need fall silent.
      latent_dim, hidden_sizes: the network (hidden sizes of the encoder, reversed for
        the experts).
      n_train: training cells, drawn evenly across ``groups``; the Canberra-UMAP
        embedding of them dominates the time.
      iterations, batch_size, learning_rate: training (Adam), with early stopping.
      knn_k: per-batch kNN for cells outside the similarity's populations; None:
        batch_size // 50 (similarity.py).
      min_population_share: the smallest cluster, as a share of the training cells.
      min_clusters: fewest clusters; where the embedding has fewer dense regions, the
        cells are tiled FlowSOM-style instead (subdivision.py).
      weight_kl, weight_cluster, weight_depict: loss weights π_kl, π_clu, π_dep.
      seed: seeds every random draw; CPU runs repeat exactly.
      device: "auto" (CUDA, then MPS, then CPU), "cpu", "cuda", "cuda:N" or "mps".
      markers: columns ($PnN) to cluster on; None: every column of X.
      cofactors: arcsinh cofactor for all markers, a table of one per marker (None or
        left out: linear), or None for no arcsinh (``CytometryScaler``).
      marker_names, spillover: what the panel knows of the markers, kept with the model
        for the files written from it: display names ($PnS) by channel, and the
        spillover the training events were compensated with (None: not compensated).

    Attributes after ``fit``: ``labels_`` (cluster of each row of X),
    ``label_probability_`` (each row's probability of that cluster), ``latent_`` (each
    row's latent coordinates m(x)), ``n_clusters_``,
    ``cluster_experts_`` (cluster c is the experts ``cluster_experts_[c]``),
    ``cluster_sizes_``, ``expert_sizes_``, ``silenced_experts_``, ``markers_``,
    ``training_rows_`` (the rows of X it trained on), ``similarity_`` (their embedding
    and populations),
    ``cofactors_``, ``scaler_``, ``net_``, ``history_`` (loss terms per iteration),
    ``timings_``.
    """

    def __init__(
        self,
        n_experts: Annotated[int, Between(1, 1_000)] = 30,
        latent_dim: Annotated[int, Between(1, 256)] = 8,
        hidden_sizes: Annotated[tuple[int, ...], Between(1, 1_024), Length(1, 8)] = (64, 32),
        n_train: Annotated[int, Between(100, 1_000_000)] = 20_000,
        iterations: Annotated[int, Between(1, 1_000_000)] = 2_000,
        batch_size: Annotated[int, Between(16, 4_096)] = 512,
        knn_k: Annotated[int | None, Between(1, 1_000)] = None,
        min_population_share: Annotated[float, Between(0, 0.5)] = 0.001,
        min_clusters: Annotated[int, Between(1, 1_000)] = 12,
        weight_kl: Annotated[float, Between(0, 100)] = 0.01,
        weight_cluster: Annotated[float, Between(0, 100)] = 0.8,
        weight_depict: Annotated[float, Between(0, 100)] = 0.2,
        learning_rate: Annotated[float, Between(0, 1, above=True)] = 1e-3,
        seed: Annotated[int, Between(0, 2**32 - 1)] = 0,
        device: Annotated[str, Satisfies(is_device_name, f"one of {DEVICE_NAMES}")] = "auto",
        markers: Sequence[str] | None = None,
        cofactors: Mapping[str, float | None] | float | None = None,
        marker_names: Mapping[str, str] | None = None,
        spillover: pd.DataFrame | None = None,
    ):
        self.n_experts = n_experts
        self.latent_dim = latent_dim
        self.hidden_sizes = hidden_sizes
        self.n_train = n_train
        self.iterations = iterations
        self.batch_size = batch_size
        self.knn_k = knn_k
        self.min_population_share = min_population_share
        self.min_clusters = min_clusters
        self.weight_kl = weight_kl
        self.weight_cluster = weight_cluster
        self.weight_depict = weight_depict
        self.learning_rate = learning_rate
        self.seed = seed
        self.device = device
        self.markers = markers
        self.cofactors = cofactors
        self.marker_names = marker_names
        self.spillover = spillover

    @classmethod
    def setting_parameters(cls) -> dict[str, inspect.Parameter]:
        """The parameters a user sets (all but markers and cofactors, which come from the
        panel), with their annotation and default: what ``ModelSettings`` is made of."""
        parameters = inspect.signature(cls.__init__).parameters
        return {name: p for name, p in parameters.items() if name not in ("self", *DATA_PARAMETERS)}

    def check_settings(self) -> None:
        """Refuse any setting outside its range (``InvalidSetting``, one sentence)."""
        for name, parameter in self.setting_parameters().items():
            check_setting(name, getattr(self, name), parameter.annotation)

    # ----------------------------------------------------------------- training
    def _similarity_source(self, y: np.ndarray | None) -> SimilaritySource:
        if y is not None:
            return LabelSimilarity(y)
        knn_k = self.knn_k if self.knn_k is not None else max(1, self.batch_size // 50)
        return PopulationSimilarity(
            knn_k=knn_k,
            min_population_share=self.min_population_share,
            max_populations=self.n_experts,
            min_populations=self.min_clusters,
        )

    def _training_cells(
        self,
        X: pd.DataFrame | np.ndarray,
        y: Sequence | np.ndarray | None,
        groups: Sequence | np.ndarray | None,
    ) -> tuple[pd.DataFrame, np.random.Generator, np.ndarray, np.ndarray]:
        """X as a frame, the seeded generator, the training rows drawn with it and those rows
        scaled (fitting ``scaler_``), after refusing what cannot be trained on."""
        self.check_settings()
        frame = as_frame(X)
        n_markers = len(frame.columns if self.markers is None else self.markers)
        if len(frame) < 2 * n_markers or len(frame) < 20:
            raise InputError(f"Too few events to train on ({len(frame)}).")
        if y is not None and len(y) != len(frame):
            raise InputError("The similarity labels must have one entry per event.")
        if groups is not None and len(groups) != len(frame):
            raise InputError("The groups must have one entry per event.")
        check_network_size(n_markers, self.latent_dim, self.hidden_sizes, self.n_experts)
        if self.device.strip().lower() not in ("auto", "cpu"):
            select_device(self.device)  # a device the user named is refused before the embedding
        rng = np.random.default_rng(self.seed)
        groups = np.zeros(len(frame), dtype=np.int64) if groups is None else np.asarray(groups)
        rows = even_subsample(groups, self.n_train, rng)
        training = frame.iloc[rows]
        self.scaler_ = CytometryScaler(self.markers, self.cofactors).fit(training)
        return frame, rng, rows, self.scaler_.transform(training)

    def prepare_embedding(
        self,
        X: pd.DataFrame | np.ndarray,
        *,
        groups: Sequence | np.ndarray | None = None,
        progress: ProgressCallback | None = None,
        should_cancel: CancelCheck | None = None,
    ) -> None:
        """Compute the Canberra-UMAP embedding, regions and populations that `fit` on the
        same X (without labels) and settings starts from, and keep them (embedding_cache.py),
        without training: the app does this while the user looks at the data."""
        _, _, _, data = self._training_cells(X, None, groups)
        source = self._similarity_source(None)
        source.prepare(data, self.seed, progress=progress, should_cancel=should_cancel)

    def fit(
        self,
        X: pd.DataFrame | np.ndarray,
        y: Sequence | np.ndarray | None = None,
        *,
        groups: Sequence | np.ndarray | None = None,
        progress: ProgressCallback | None = None,
        should_cancel: CancelCheck | None = None,
    ) -> "MoESimVAE":
        """Train on an even subsample (over ``groups``, e.g. wells) of at most ``n_train``
        rows of X, then label every row (``labels_``).

        ``y`` (one label per row; None/NaN = unlabelled) replaces the Canberra-UMAP
        similarity by weak supervision: cells with the same label are similar."""
        frame, rng, rows, data = self._training_cells(X, y, groups)
        source = self._similarity_source(None if y is None else np.asarray(y, dtype=object)[rows])
        timings: dict[str, float] = {}
        started = time.perf_counter()
        source.prepare(data, self.seed, progress=progress, should_cancel=should_cancel)
        self.similarity_ = source
        timings["embed"] = time.perf_counter() - started

        import torch

        from cytomoe.core.model import network
        from cytomoe.core.model.training import TrainingConfig, train

        self.device_ = select_device(self.device)
        torch.manual_seed(self.seed)
        self.net_ = network.MoESimVAENet(
            len(self.markers_), self.latent_dim, tuple(self.hidden_sizes), self.n_experts
        ).to(self.device_)
        config = TrainingConfig(
            self.iterations,
            self.batch_size,
            self.learning_rate,
            self.weight_kl,
            self.weight_cluster,
            self.weight_depict,
        )
        started = time.perf_counter()
        with compute_threads(self.device_):
            self.history_ = train(
                self.net_, data, source, config, self.device_, rng, progress, should_cancel
            )
        timings["train"] = time.perf_counter() - started

        started = time.perf_counter()
        latent, probabilities = self._forward(data, progress, should_cancel)
        active, expert, counts = keep_populated_experts(
            probabilities, min_population_size(len(rows), self.min_population_share)
        )
        clusters = merge_experts_of_one_population(active, expert, source.populations_)
        clusters.sort(key=lambda experts: -int(counts[experts].sum()))
        self.silenced_experts_ = sorted(set(range(self.n_experts)) - set(active))
        self.cluster_experts_ = clusters
        self.n_clusters_ = len(clusters)
        self.cluster_sizes_ = [int(counts[experts].sum()) for experts in clusters]
        self.expert_sizes_ = [int(c) for c in counts]
        means = np.zeros((self.n_experts, self.latent_dim), dtype=np.float32)
        for k in active:
            means[k] = latent[expert == k].mean(0)
        self.cluster_means_ = means
        timings["assign_training_cells"] = time.perf_counter() - started
        started = time.perf_counter()
        if len(rows) == len(frame):  # the training cells are every row, in order
            every_row = cluster_probabilities(probabilities, clusters)
            self.labels_ = every_row.argmax(1)
            self.label_probability_ = every_row.max(1).astype(np.float32)
            self.latent_ = latent
        else:
            self.labels_, self.label_probability_, self.latent_ = self.predict_with_latent(
                frame, progress, should_cancel
            )
        timings["label_every_cell"] = time.perf_counter() - started
        self.timings_ = timings
        self.n_training_cells_ = len(rows)
        self.training_rows_ = rows
        return self

    def fit_predict(
        self, X: pd.DataFrame | np.ndarray, y: Sequence | np.ndarray | None = None, **fit_params
    ) -> np.ndarray:
        """``fit`` (passing ``y`` on, unlike ``ClusterMixin``'s) and return ``labels_``."""
        return self.fit(X, y, **fit_params).labels_

    # ----------------------------------------------------------------- fitted scaling
    @property
    def markers_(self) -> list[str]:
        return self.scaler_.markers_

    @property
    def cofactors_(self) -> dict[str, float | None]:
        return self.scaler_.cofactors_

    # ----------------------------------------------------------------- inference
    def _check_fitted(self) -> None:
        if not hasattr(self, "net_"):
            raise InputError("The model has not been trained yet.")

    def _forward_chunks(
        self,
        X: pd.DataFrame | np.ndarray,
        scaled: bool = False,
        progress: ProgressCallback | None = None,
        should_cancel: CancelCheck | None = None,
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Latent m(x) and gate probabilities over all experts, ``ASSIGN_CHUNK`` rows at a
        time, in order; the rows of X are scaled chunk by chunk too, unless already
        ``scaled``, so memory grows with the chunk, not with X. ``ASSIGN_THREADS`` chunks
        are worked on at once, each on one torch thread: the same arithmetic as one by one."""
        import torch

        self.net_.eval()
        frame = np.asarray(X) if scaled else as_frame(X)
        if not scaled:
            self.scaler_.transform(frame.iloc[:0])  # refuses missing markers before any work

        def forward(start: int) -> tuple[np.ndarray, np.ndarray]:
            chunk = slice(start, start + ASSIGN_CHUNK)
            data = frame[chunk] if scaled else self.scaler_.transform(frame.iloc[chunk])
            with torch.no_grad():  # torch's gradient mode is per thread
                m = self.net_.encode(torch.as_tensor(data, device=self.device_))
                return m.cpu().numpy(), self.net_.gate(m).cpu().numpy()

        starts = range(0, len(frame), ASSIGN_CHUNK)
        with compute_threads(self.device_), ThreadPoolExecutor(ASSIGN_THREADS) as pool:
            running = deque(pool.submit(forward, start) for start in starts[:ASSIGN_THREADS])
            for index, start in enumerate(starts):
                check_cancel(should_cancel)
                result = running.popleft().result()
                if index + ASSIGN_THREADS < len(starts):
                    running.append(pool.submit(forward, starts[index + ASSIGN_THREADS]))
                yield result
                done = min(start + ASSIGN_CHUNK, len(frame))
                report(progress, "assign", done, len(frame), "Assigning cells")

    def _forward(
        self,
        data: np.ndarray,
        progress: ProgressCallback | None = None,
        should_cancel: CancelCheck | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Latent m(x) and gate probabilities over all experts of scaled ``data``."""
        chunks = list(self._forward_chunks(data, True, progress, should_cancel))
        if not chunks:
            return np.zeros((0, self.latent_dim), np.float32), np.zeros(
                (0, self.n_experts), np.float32
            )
        return np.concatenate([c[0] for c in chunks]), np.concatenate([c[1] for c in chunks])

    def predict_proba(
        self,
        X: pd.DataFrame | np.ndarray,
        progress: ProgressCallback | None = None,
        should_cancel: CancelCheck | None = None,
    ) -> np.ndarray:
        """Probability of each cluster (columns in cluster order), renormalised over the
        clusters (silenced experts dropped)."""
        self._check_fitted()
        chunks = [
            cluster_probabilities(probabilities, self.cluster_experts_)
            for _, probabilities in self._forward_chunks(X, False, progress, should_cancel)
        ]
        return np.concatenate(chunks) if chunks else np.zeros((0, self.n_clusters_), np.float32)

    def predict_with_probability(
        self,
        X: pd.DataFrame | np.ndarray,
        progress: ProgressCallback | None = None,
        should_cancel: CancelCheck | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Cluster of each row of X and its probability, chunk by chunk: unlike
        ``predict_proba`` no table of rows × clusters is ever held."""
        labels, probability, _ = self._label_rows(X, False, progress, should_cancel)
        return labels, probability

    def predict_with_latent(
        self,
        X: pd.DataFrame | np.ndarray,
        progress: ProgressCallback | None = None,
        should_cancel: CancelCheck | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """`predict_with_probability` and the latent coordinates m(x) of each row (as
        ``transform``), from one pass of the network."""
        return self._label_rows(X, True, progress, should_cancel)

    def _label_rows(
        self,
        X: pd.DataFrame | np.ndarray,
        keep_latent: bool,
        progress: ProgressCallback | None,
        should_cancel: CancelCheck | None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Cluster and probability of each row, and its latent coordinates only when
        ``keep_latent`` (an array as long as X, which plain assignment need not hold)."""
        self._check_fitted()
        frame = as_frame(X)
        labels = np.empty(len(frame), dtype=np.int64)
        probability = np.empty(len(frame), dtype=np.float32)
        latent = np.empty((len(frame), self.latent_dim), np.float32) if keep_latent else None
        start = 0
        for coordinates, experts in self._forward_chunks(frame, False, progress, should_cancel):
            clusters = cluster_probabilities(experts, self.cluster_experts_)
            chosen = clusters.argmax(1)
            rows = slice(start, start + len(chosen))
            labels[rows] = chosen
            probability[rows] = clusters[np.arange(len(chosen)), chosen]
            if latent is not None:
                latent[rows] = coordinates
            start += len(chosen)
        return labels, probability, latent

    def predict(self, X: pd.DataFrame | np.ndarray, **callbacks: Unpack[Callbacks]) -> np.ndarray:
        """Cluster of each row of X; ``callbacks`` (``progress``, ``should_cancel``) go to
        `predict_with_probability`."""
        return self.predict_with_probability(X, **callbacks)[0]

    def transform(self, X: pd.DataFrame | np.ndarray) -> np.ndarray:
        """Latent coordinates m(x), one row per event."""
        self._check_fitted()
        chunks = [latent for latent, _ in self._forward_chunks(X)]
        return np.concatenate(chunks) if chunks else np.zeros((0, self.latent_dim), np.float32)

    def generate(self, cluster: int, n: int, seed: int | None = None) -> pd.DataFrame:
        """``n`` synthetic cells of ``cluster`` in instrument units: each from one of the
        cluster's experts k, z ~ N(μ_k, I) decoded by k (module docstring).
        ``result.attrs["generation_accuracy"]`` is the share of samples the gate sends back
        to that cluster."""
        self._check_fitted()
        if not 0 <= cluster < self.n_clusters_:
            raise InputError(
                f"There is no cluster {cluster}; the model has {self.n_clusters_} clusters."
            )
        if not 1 <= n <= MAX_GENERATED_CELLS:
            raise InputError(
                f"The number of cells to generate must be from 1 to {MAX_GENERATED_CELLS:,}, "
                f"not {n:,}; generate more in several files."
            )
        import torch

        experts = torch.as_tensor(self.cluster_experts_[cluster])
        sizes = torch.as_tensor([self.expert_sizes_[k] for k in experts], dtype=torch.float64)
        generator = torch.Generator().manual_seed(self.seed if seed is None else seed)
        expert = experts[torch.multinomial(sizes, n, replacement=True, generator=generator)]
        z = torch.randn(n, self.latent_dim, generator=generator) + torch.as_tensor(
            self.cluster_means_[expert.numpy()]
        )
        self.net_.eval()
        decoded, gate = [], []
        with torch.no_grad(), compute_threads(self.device_):
            for start in range(0, n, GENERATE_CHUNK):
                chunk = slice(start, start + GENERATE_CHUNK)
                z_chunk = z[chunk].to(self.device_)
                logits = self.net_.decode(z_chunk, expert[chunk].to(self.device_))
                decoded.append(torch.sigmoid(logits).cpu().numpy())
                gate.append(self.net_.gate(z_chunk).cpu().numpy())
        routed = cluster_probabilities(np.concatenate(gate), self.cluster_experts_).argmax(1)
        events = pd.DataFrame(
            self.scaler_.inverse_transform(np.concatenate(decoded)), columns=self.markers_
        )
        events.attrs["generation_accuracy"] = float(np.mean(routed == cluster))
        return events

    # ----------------------------------------------------------------- persistence
    def save(self, path: str | Path) -> None:
        """One file of tensors and JSON metadata (persistence.py)."""
        from cytomoe.core.model.persistence import save_model

        self._check_fitted()
        save_model(self, path)

    @classmethod
    def load(cls, path: str | Path, device: str | None = None) -> "MoESimVAE":
        """A saved model, on ``device`` (None: the one it was trained on where this machine
        has it, else the best one here)."""
        from cytomoe.core.model.persistence import load_model

        return load_model(path, device)


def check_network_size(
    n_markers: int, latent_dim: int, hidden_sizes: Sequence[int], n_experts: int
) -> None:
    """Refuse a network over ``MAX_NETWORK_PARAMETERS`` weights, counted without allocating."""
    count = network_weights(n_markers, latent_dim, hidden_sizes, n_experts)
    if count > MAX_NETWORK_PARAMETERS:
        raise InputError(
            f"A network of {n_experts} experts with hidden sizes "
            f"{', '.join(map(str, hidden_sizes))} on {n_markers} markers would have "
            f"{count:,} weights, more than the {MAX_NETWORK_PARAMETERS:,} cytomoe trains; "
            "use fewer experts or smaller hidden layers."
        )


def network_weights(
    n_markers: int, latent_dim: int, hidden_sizes: Sequence[int], n_experts: int
) -> int:
    """The weights of ``network.MoESimVAENet``, counted from its layer sizes without torch
    (tests/test_model.py compares the count with the network's own)."""

    def linear(n_in: int, n_out: int) -> int:
        return n_in * n_out + n_out

    hidden = list(hidden_sizes)
    batch_norms = 2 * sum(hidden) + 2 * hidden[-1]  # a scale and a shift per unit
    encoder = sum(linear(a, b) for a, b in pairwise([n_markers, *hidden, latent_dim]))
    gate = linear(latent_dim, hidden[-1]) + linear(hidden[-1], n_experts)
    expert = sum(linear(a, b) for a, b in pairwise([latent_dim, *reversed(hidden), n_markers]))
    return batch_norms + encoder + gate + n_experts * expert
