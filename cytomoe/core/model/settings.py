"""Settings of the model, shared by the estimator, the CLI, the GUI and analysis files."""

from dataclasses import asdict, dataclass, fields


@dataclass
class ModelSettings:
    """Hyperparameters of MoE-Sim-VAE training. Defaults are what a user gets."""

    n_experts: int = 30  # upper bound; the similarity's populations decide, the rest fall silent
    latent_dim: int = 8
    hidden_sizes: tuple[int, ...] = (64, 32)
    n_train: int = 20_000  # training cells; the Canberra-UMAP embedding of them dominates time
    iterations: int = 2_000
    batch_size: int = 512
    knn_k: int | None = None  # per-batch kNN; None: batch_size // 50 (see similarity.py)
    min_population_share: float = 0.001  # smallest cluster, as a share of the training cells
    weight_kl: float = 0.01  # paper: KL weight near 0 works best; 0.2 merged populations here
    weight_cluster: float = 0.8
    weight_depict: float = 0.2  # 1.0 split large populations, 0.1 lost small ones
    learning_rate: float = 1e-3
    seed: int = 0
    device: str = "auto"  # "auto", "cpu", "cuda", "cuda:1", "mps"

    def to_dict(self) -> dict:
        data = asdict(self)
        data["hidden_sizes"] = list(self.hidden_sizes)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "ModelSettings":
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            from cytomoe.core.errors import InputError

            raise InputError(f"Unknown model setting(s): {', '.join(sorted(unknown))}.")
        values = dict(data)
        if "hidden_sizes" in values:
            values["hidden_sizes"] = tuple(values["hidden_sizes"])
        return cls(**values)
