"""``MoESimVAE``: the scikit-learn-style estimator users train, apply, save and load.

Input frames hold compensated events in instrument units, one column per channel ($PnN).
The model owns its preprocessing (arcsinh with the given cofactors, then a robust [0, 1]
scaler from the 0.5/99.5 percentiles of the training cells, clipped), so new data is
mapped exactly as the training data was.

Clusters: every cell goes to the expert with the highest gate probability. Experts that
receive no training cells are silenced, and so are experts left with fewer training cells
than the smallest population the similarity allows (``min_population_share``, at least
10 cells; their cells go to their next most probable expert). Experts whose training cells
the similarity puts in one population are then merged into one cluster
(``merge_experts_of_one_population``). Clusters are numbered 0..n_clusters_-1 by their
number of training cells (0 largest); a cluster's probability is the sum of its experts'.
``n_experts`` is thus an upper bound: the populations of the similarity (similarity.py)
decide the number.

Generation draws, for each synthetic cell, one of the cluster's experts (in proportion to
its training cells) and z ~ N(μ_k, I) around that expert's mean latent location over its
training cells (computed once after training), decodes z with that expert and maps it back
through the scaler and the arcsinh.
"""

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import fields
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from cytomoe.core.errors import InputError
from cytomoe.core.model import network
from cytomoe.core.model.device import compute_threads, select_device
from cytomoe.core.model.settings import ModelSettings
from cytomoe.core.model.similarity import (
    LabelSimilarity,
    SimilaritySource,
    UmapKnnSimilarity,
    min_population_size,
)
from cytomoe.core.model.training import TrainingConfig, even_subsample, train
from cytomoe.core.preprocessing.transform import arcsinh, inverse_arcsinh
from cytomoe.core.progress import CancelCheck, ProgressCallback, check_cancel, report

FILE_FORMAT = "cytomoe-moesimvae"
FILE_VERSION = 2  # 2: a cluster is a list of experts
ASSIGN_CHUNK = 65_536  # cells per forward pass when assigning
SCALER_PERCENTILES = (0.5, 99.5)
MERGE_OVERLAP = 0.5  # share of same-population pairs between two experts that joins them


def keep_populated_experts(
    probabilities: np.ndarray, min_cells: int
) -> tuple[list[int], np.ndarray, np.ndarray]:
    """Experts that keep at least ``min_cells`` of the training cells, largest first.

    Experts with no cells are silent (the paper's mechanism); experts with fewer than the
    smallest population the similarity allows are silenced too, one at a time from the
    smallest, and their cells go to their next most probable expert. Returns the kept
    experts, each cell's expert and the cells per expert."""
    kept = np.ones(probabilities.shape[1], dtype=bool)
    while True:
        expert = np.where(kept, probabilities, -1.0).argmax(1)
        counts = np.bincount(expert, minlength=probabilities.shape[1])
        small = np.flatnonzero(kept & (counts < min_cells))
        if len(small) == 0 or kept.sum() == 1:
            break
        kept[small[np.argmin(counts[small])]] = False
    order = [int(k) for k in np.argsort(-counts, kind="stable") if kept[k] and counts[k] > 0]
    return order, expert, counts


def merge_experts_of_one_population(
    experts: list[int], expert: np.ndarray, populations: np.ndarray
) -> list[list[int]]:
    """Group ``experts`` whose training cells the similarity puts in the same population.

    ``expert`` and ``populations`` give each training cell's expert and similarity
    population (-1: none). With c_a the share of expert a's cells in each population, the
    share of same-population pairs between a and b is c_a · c_b; experts linked by at least
    ``MERGE_OVERLAP`` (directly or through others) form one cluster. Why: a population
    whose cells the gate splits evenly between two experts is a stationary point of the
    similarity loss (the gradient of P Pᵀ vanishes at the even split), and DEPICT's
    balancing target holds it there (Multi-Center sample 1: B cells at P ≈ ½, ½ on two
    experts, F 0.92 instead of 0.99). The similarity says they are one population.
    Returns the groups in the order of ``experts``' first members."""
    from scipy.sparse.csgraph import connected_components

    n_populations = int(populations.max()) + 1 if len(populations) else 0
    composition = np.zeros((len(experts), max(1, n_populations)))
    for row, k in enumerate(experts):
        cells = expert == k
        counted = populations[cells & (populations >= 0)]
        composition[row, :n_populations] = np.bincount(counted, minlength=n_populations)
        composition[row] /= max(1, int(cells.sum()))
    linked = composition @ composition.T >= MERGE_OVERLAP
    np.fill_diagonal(linked, True)
    _, component = connected_components(linked, directed=False)
    groups: dict[int, list[int]] = {}
    for row, k in enumerate(experts):
        groups.setdefault(int(component[row]), []).append(k)
    return list(groups.values())


class MoESimVAE:
    """Mixture-of-experts similarity VAE (Kopf et al. 2021); parameters = ``ModelSettings``."""

    def __init__(
        self,
        n_experts: int = 30,
        latent_dim: int = 8,
        hidden_sizes: Sequence[int] = (64, 32),
        n_train: int = 20_000,
        iterations: int = 2_000,
        batch_size: int = 512,
        knn_k: int | None = None,
        min_population_share: float = 0.001,
        weight_kl: float = 0.01,
        weight_cluster: float = 0.8,
        weight_depict: float = 0.2,
        learning_rate: float = 1e-3,
        seed: int = 0,
        device: str = "auto",
    ):
        self.n_experts = n_experts
        self.latent_dim = latent_dim
        self.hidden_sizes = tuple(hidden_sizes)
        self.n_train = n_train
        self.iterations = iterations
        self.batch_size = batch_size
        self.knn_k = knn_k
        self.min_population_share = min_population_share
        self.weight_kl = weight_kl
        self.weight_cluster = weight_cluster
        self.weight_depict = weight_depict
        self.learning_rate = learning_rate
        self.seed = seed
        self.device = device

    @classmethod
    def from_settings(cls, settings: ModelSettings) -> "MoESimVAE":
        return cls(**{f.name: getattr(settings, f.name) for f in fields(ModelSettings)})

    def get_params(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(ModelSettings)}

    # ----------------------------------------------------------------- preprocessing
    def _markers_of(self, frame: pd.DataFrame) -> np.ndarray:
        missing = [m for m in self.markers_ if m not in frame.columns]
        if missing:
            raise InputError(f"The data lacks the model's marker channel(s): {', '.join(missing)}.")
        return frame[self.markers_].to_numpy(dtype=np.float64)

    def _scale(self, values: np.ndarray) -> np.ndarray:
        transformed = arcsinh(values, self.markers_, self.cofactors_)
        return np.clip((transformed - self.scale_low_) / self.scale_span_, 0.0, 1.0).astype(
            np.float32
        )

    def _unscale(self, scaled: np.ndarray) -> np.ndarray:
        transformed = scaled * self.scale_span_ + self.scale_low_
        return inverse_arcsinh(transformed, self.markers_, self.cofactors_)

    # ----------------------------------------------------------------- training
    def _similarity_source(self, similarity_labels) -> SimilaritySource:
        if similarity_labels is not None:
            return LabelSimilarity(similarity_labels)
        knn_k = self.knn_k if self.knn_k is not None else max(1, self.batch_size // 50)
        return UmapKnnSimilarity(
            knn_k=knn_k,
            min_population_share=self.min_population_share,
            max_populations=self.n_experts,
        )

    def fit(
        self,
        frame: pd.DataFrame,
        markers: Sequence[str],
        cofactors: Mapping[str, float | None] | float | None,
        similarity_labels: Sequence | np.ndarray | None = None,
        groups: Sequence | np.ndarray | None = None,
        progress: ProgressCallback | None = None,
        should_cancel: CancelCheck | None = None,
    ) -> "MoESimVAE":
        """Train on an even subsample (over ``groups``) of at most ``n_train`` cells.

        ``similarity_labels`` (one per row of ``frame``; None/NaN = unlabelled) replaces the
        Canberra-UMAP similarity by weak supervision."""
        markers = list(markers)
        missing = [m for m in markers if m not in frame.columns]
        if missing:
            raise InputError(f"Unknown marker channel(s): {', '.join(missing)}.")
        if not markers:
            raise InputError("No marker channels were selected for clustering.")
        if len(frame) < 2 * len(markers) or len(frame) < 20:
            raise InputError(f"Too few events to train on ({len(frame)}).")
        if similarity_labels is not None and len(similarity_labels) != len(frame):
            raise InputError("The similarity labels must have one entry per event.")
        timings: dict[str, float] = {}
        self.device_ = select_device(self.device)
        torch.manual_seed(self.seed)
        rng = np.random.default_rng(self.seed)
        self.markers_ = markers
        if cofactors is None or isinstance(cofactors, int | float):
            self.cofactors_ = {m: None if cofactors is None else float(cofactors) for m in markers}
        else:
            self.cofactors_ = {
                m: None if cofactors.get(m) is None else float(cofactors[m]) for m in markers
            }

        groups = np.zeros(len(frame), dtype=np.int64) if groups is None else np.asarray(groups)
        rows = even_subsample(groups, self.n_train, rng)
        values = frame[markers].to_numpy(dtype=np.float64)[rows]
        transformed = arcsinh(values, markers, self.cofactors_)
        low, high = np.percentile(transformed, SCALER_PERCENTILES, axis=0)
        self.scale_low_ = low.astype(np.float32)
        self.scale_span_ = np.where(high > low, high - low, 1.0).astype(np.float32)
        data = self._scale(values)

        source = self._similarity_source(
            None if similarity_labels is None else np.asarray(similarity_labels, dtype=object)[rows]
        )
        started = time.perf_counter()
        source.prepare(data, self.seed, progress, should_cancel)
        self.similarity_ = source
        timings["embed"] = time.perf_counter() - started

        self.net_ = network.MoESimVAENet(
            len(markers), self.latent_dim, self.hidden_sizes, self.n_experts
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
        self.cluster_experts_ = clusters  # cluster c is the experts cluster_experts_[c]
        self.n_clusters_ = len(clusters)
        self.cluster_sizes_ = [int(counts[experts].sum()) for experts in clusters]
        self.expert_sizes_ = [int(c) for c in counts]
        # Centres for generation: each expert's mean latent location over its training cells.
        means = np.zeros((self.n_experts, self.latent_dim), dtype=np.float32)
        for k in active:
            means[k] = latent[expert == k].mean(0)
        self.cluster_means_ = means
        timings["assign_training_cells"] = time.perf_counter() - started
        self.timings_ = timings
        self.n_training_cells_ = len(rows)
        self.training_rows_ = rows
        return self

    # ----------------------------------------------------------------- inference
    def _check_fitted(self) -> None:
        if not hasattr(self, "net_"):
            raise InputError("The model has not been trained yet.")

    def _forward(
        self,
        data: np.ndarray,
        progress: ProgressCallback | None = None,
        should_cancel: CancelCheck | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Latent m(x) and gate probabilities over all experts, in chunks."""
        self.net_.eval()
        latent, probabilities = [], []
        with torch.no_grad(), compute_threads(self.device_):
            for start in range(0, len(data), ASSIGN_CHUNK):
                check_cancel(should_cancel)
                x = torch.as_tensor(data[start : start + ASSIGN_CHUNK], device=self.device_)
                m = self.net_.encode(x)
                latent.append(m.cpu().numpy())
                probabilities.append(self.net_.gate(m).cpu().numpy())
                report(
                    progress,
                    "assign",
                    min(start + ASSIGN_CHUNK, len(data)),
                    len(data),
                    "Assigning cells",
                )
        if not latent:
            return np.zeros((0, self.latent_dim), np.float32), np.zeros(
                (0, self.n_experts), np.float32
            )
        return np.concatenate(latent), np.concatenate(probabilities)

    def predict_proba(
        self,
        frame: pd.DataFrame,
        progress: ProgressCallback | None = None,
        should_cancel: CancelCheck | None = None,
    ) -> np.ndarray:
        """Probability of each cluster (columns in cluster order), renormalised over the
        clusters (silenced experts dropped)."""
        self._check_fitted()
        _, probabilities = self._forward(
            self._scale(self._markers_of(frame)), progress, should_cancel
        )
        return self._cluster_probabilities(probabilities)

    def _cluster_probabilities(self, probabilities: np.ndarray) -> np.ndarray:
        """Expert probabilities summed per cluster, renormalised without silenced experts."""
        kept = np.stack([probabilities[:, e].sum(1) for e in self.cluster_experts_], axis=1)
        return kept / np.clip(kept.sum(1, keepdims=True), 1e-12, None)

    def predict(
        self,
        frame: pd.DataFrame,
        progress: ProgressCallback | None = None,
        should_cancel: CancelCheck | None = None,
    ) -> np.ndarray:
        return self.predict_proba(frame, progress, should_cancel).argmax(1)

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        """Latent coordinates m(x), one row per event."""
        self._check_fitted()
        latent, _ = self._forward(self._scale(self._markers_of(frame)))
        return latent

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
        experts = torch.as_tensor(self.cluster_experts_[cluster])
        sizes = torch.as_tensor([self.expert_sizes_[k] for k in experts], dtype=torch.float64)
        generator = torch.Generator().manual_seed(self.seed if seed is None else seed)
        expert = experts[torch.multinomial(sizes, n, replacement=True, generator=generator)]
        z = torch.randn(n, self.latent_dim, generator=generator) + torch.as_tensor(
            self.cluster_means_[expert.numpy()]
        )
        z, expert = z.to(self.device_), expert.to(self.device_)
        self.net_.eval()
        with torch.no_grad():
            decoded = torch.sigmoid(self.net_.decode(z, expert))
            gate = self.net_.gate(z).cpu().numpy()
        routed = self._cluster_probabilities(gate).argmax(1)
        events = pd.DataFrame(self._unscale(decoded.cpu().numpy()), columns=self.markers_)
        events.attrs["generation_accuracy"] = (
            float(np.mean(routed == cluster)) if n else float("nan")
        )
        return events

    # ----------------------------------------------------------------- persistence
    def save(self, path: str | Path) -> None:
        """One file: tensors plus JSON metadata, loadable with ``torch.load(weights_only=True)``."""
        self._check_fitted()
        meta = {
            "format": FILE_FORMAT,
            "version": FILE_VERSION,
            "params": {**self.get_params(), "hidden_sizes": list(self.hidden_sizes)},
            "markers": self.markers_,
            "cofactors": self.cofactors_,
            "cluster_experts": self.cluster_experts_,
            "cluster_sizes": self.cluster_sizes_,
            "expert_sizes": self.expert_sizes_,
            "silenced_experts": self.silenced_experts_,
            "history": self.history_,
            "timings": self.timings_,
            "n_training_cells": self.n_training_cells_,
        }
        tensors = {f"net.{k}": v.detach().cpu() for k, v in self.net_.state_dict().items()}
        tensors.update(
            {
                "scale_low": torch.as_tensor(self.scale_low_),
                "scale_span": torch.as_tensor(self.scale_span_),
                "cluster_means": torch.as_tensor(self.cluster_means_),
            }
        )
        path = Path(path)
        temporary = path.with_name(path.name + ".part")
        torch.save({"meta": json.dumps(meta), "tensors": tensors}, temporary)
        temporary.replace(path)

    @classmethod
    def load(cls, path: str | Path, device: str | None = None) -> "MoESimVAE":
        path = Path(path)
        try:
            stored = torch.load(path, map_location="cpu", weights_only=True)
            meta = json.loads(stored["meta"])
            tensors = stored["tensors"]
        except FileNotFoundError:
            raise InputError(f"{path.name}: no such model file.") from None
        except Exception as error:  # any unreadable file is the user's input problem
            raise InputError(
                f"{path.name}: not a cytomoe model file ({type(error).__name__})."
            ) from None
        if meta.get("format") != FILE_FORMAT:
            raise InputError(f"{path.name}: not a cytomoe model file.")
        if meta.get("version") != FILE_VERSION:
            raise InputError(
                f"{path.name}: saved by another version of cytomoe (model format "
                f"{meta.get('version')}, this one reads {FILE_VERSION}); train the model again."
            )
        params = dict(meta["params"])
        if device is not None:
            params["device"] = device
        model = cls(**params)
        model.device_ = select_device(model.device)
        model.markers_ = meta["markers"]
        model.cofactors_ = meta["cofactors"]
        model.cluster_experts_ = meta["cluster_experts"]
        model.n_clusters_ = len(model.cluster_experts_)
        model.cluster_sizes_ = meta["cluster_sizes"]
        model.expert_sizes_ = meta["expert_sizes"]
        model.silenced_experts_ = meta["silenced_experts"]
        model.history_ = meta["history"]
        model.timings_ = meta["timings"]
        model.n_training_cells_ = meta["n_training_cells"]
        model.scale_low_ = tensors["scale_low"].numpy()
        model.scale_span_ = tensors["scale_span"].numpy()
        model.cluster_means_ = tensors["cluster_means"].numpy()
        model.net_ = network.MoESimVAENet(
            len(model.markers_), model.latent_dim, model.hidden_sizes, model.n_experts
        )
        model.net_.load_state_dict({k[4:]: v for k, v in tensors.items() if k.startswith("net.")})
        model.net_.to(model.device_).eval()
        return model
