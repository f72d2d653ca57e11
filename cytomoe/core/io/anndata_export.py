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
        index=pd.Index(index),
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
    obs.index = pd.Index(np.arange(len(obs)).astype(str))
    adata = anndata.AnnData(
        X=np.asarray(transformed, dtype=np.float32),
        obs=plain_text(obs),
        var=plain_text(var),
        layers={RAW_LAYER: np.asarray(raw, dtype=np.float32)},
        uns=plain_text(dict(uns or {})),
    )
    if latent is not None:
        adata.obsm[LATENT_KEY] = np.asarray(latent, dtype=np.float32)
    with atomic_output(path, overwrite) as temporary:
        adata.write_h5ad(temporary)


def plain_text(value: object) -> object:
    """``value`` with the text of every table in it (columns, categories, index, column
    names; through nested dicts) as Python strings. pandas 3 gives text a string dtype of
    its own, which AnnData writes only when told to and AnnData before 0.11 cannot read."""
    if isinstance(value, Mapping):
        return {key: plain_text(item) for key, item in value.items()}
    if not isinstance(value, pd.DataFrame):
        return value
    frame = value.copy()
    for name in frame.columns:
        column = frame[name]
        if isinstance(column.dtype, pd.CategoricalDtype):
            frame[name] = column.cat.set_categories(_plain_index(column.cat.categories))
        elif pd.api.types.is_string_dtype(column.dtype):
            frame[name] = column.astype(object)
    frame.index = _plain_index(frame.index)
    frame.columns = _plain_index(frame.columns)
    return frame


def _plain_index(index: pd.Index) -> pd.Index:
    return index.astype(object) if pd.api.types.is_string_dtype(index.dtype) else index
