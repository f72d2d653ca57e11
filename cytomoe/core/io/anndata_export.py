"""Writing events as AnnData (``.h5ad``), the file format of scanpy and the scverse tools,
so that an analysis continues there: events are observations, channels are variables."""

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from cytomoe.core.io.outputs import atomic_output

RAW_LAYER = "raw"  # instrument units, before the arcsinh transform
LATENT_KEY = "X_cytomoe"  # obsm: MoE-Sim-VAE latent coordinates


def channel_table(
    channels: Sequence[str],
    markers: Mapping[str, str],
    cofactors: Mapping[str, float | None],
    clustered: Sequence[str],
) -> pd.DataFrame:
    """``var`` of the AnnData: one row per channel ($PnN) with its marker ($PnS), arcsinh
    cofactor (NaN: left linear) and whether it was used for clustering. Indexed by marker
    name, as scanpy plots label variables by the index; a marker named twice keeps $PnN."""
    names = [markers.get(c) or c for c in channels]
    repeated = {n for n in names if names.count(n) > 1}
    index = [f"{n} ({c})" if n in repeated else n for n, c in zip(names, channels, strict=True)]
    cofactor = [cofactors.get(c) for c in channels]
    return pd.DataFrame(
        {
            "channel": list(channels),
            "marker": names,
            "cofactor": np.array([np.nan if v is None else v for v in cofactor], np.float64),
            "used_for_clustering": np.isin(list(channels), list(clustered)),
        },
        index=pd.Index(index, dtype=str),
    )


def write_h5ad(
    path: str | Path,
    transformed: np.ndarray,
    raw: np.ndarray,
    obs: pd.DataFrame,
    var: pd.DataFrame,
    latent: np.ndarray | None = None,
    uns: Mapping | None = None,
    overwrite: bool = False,
) -> None:
    """Write ``transformed`` as ``X``, ``raw`` as the layer ``raw``, ``latent`` as
    ``obsm["X_cytomoe"]`` and ``uns``; rows are ``obs``, columns ``var``.

    Nothing appears at ``path`` unless the whole file was written."""
    import anndata

    obs = obs.copy()
    obs.index = pd.Index(np.arange(len(obs)).astype(str), dtype=str)
    adata = anndata.AnnData(
        X=np.asarray(transformed, dtype=np.float32),
        obs=obs,
        var=var,
        layers={RAW_LAYER: np.asarray(raw, dtype=np.float32)},
        uns=dict(uns or {}),
    )
    if latent is not None:
        adata.obsm[LATENT_KEY] = np.asarray(latent, dtype=np.float32)
    with atomic_output(path, overwrite) as temporary:
        adata.write_h5ad(temporary)
