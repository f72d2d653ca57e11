"""AnnData files: events as observations, channels as variables, readable by anndata."""

import anndata
import numpy as np
import pandas as pd
import pytest

from cytomoe.core.errors import OutputExistsError
from cytomoe.core.io.anndata_export import LATENT_KEY, RAW_LAYER, channel_table, write_h5ad


def small_file(path, overwrite=False):
    raw = np.array([[1.0, 10.0], [2.0, 20.0], [3.0, 30.0]], dtype=np.float32)
    var = channel_table(["Nd142Di", "Time"], {"Nd142Di": "CD19"}, {"Nd142Di": 5.0}, ["Nd142Di"])
    obs = pd.DataFrame({"cluster": pd.Categorical(["0", "1", "0"])})
    write_h5ad(
        path,
        np.arcsinh(raw / 5),
        raw,
        obs,
        var,
        latent=np.ones((3, 4)),
        uns={"cytomoe": {"cytomoe_version": "0.1.0", "labels": None}},
        overwrite=overwrite,
    )


def test_channel_table_indexes_by_marker_and_keeps_channel_cofactor_and_use():
    var = channel_table(
        ["Nd142Di", "Nd143Di", "Time"],
        {"Nd142Di": "CD19", "Nd143Di": "CD19", "Time": ""},
        {"Nd142Di": 5.0, "Nd143Di": 5.0, "Time": None},
        ["Nd142Di"],
    )
    assert list(var.index) == ["CD19 (Nd142Di)", "CD19 (Nd143Di)", "Time"]
    assert list(var["channel"]) == ["Nd142Di", "Nd143Di", "Time"]
    assert np.isnan(var.loc["Time", "cofactor"]) and var.iloc[0]["cofactor"] == 5.0
    assert list(var["used_for_clustering"]) == [True, False, False]


def test_h5ad_reads_back_with_transformed_x_raw_layer_latent_and_uns(tmp_path):
    small_file(tmp_path / "clusters.h5ad")
    adata = anndata.read_h5ad(tmp_path / "clusters.h5ad")
    assert adata.shape == (3, 2)
    np.testing.assert_allclose(adata.layers[RAW_LAYER][:, 1], [10, 20, 30])
    np.testing.assert_allclose(adata.X[:, 0], np.arcsinh(np.array([1, 2, 3]) / 5), rtol=1e-6)
    assert adata.obsm[LATENT_KEY].shape == (3, 4)
    assert list(adata.var_names) == ["CD19", "Time"]
    assert adata.uns["cytomoe"]["cytomoe_version"] == "0.1.0"


def test_h5ad_is_not_replaced_unless_asked(tmp_path):
    target = tmp_path / "clusters.h5ad"
    target.write_text("earlier results")
    with pytest.raises(OutputExistsError):
        small_file(target)
    assert target.read_text() == "earlier results"
    small_file(target, overwrite=True)
    assert anndata.read_h5ad(target).n_obs == 3


def test_h5ad_is_written_when_pandas_gives_text_its_string_dtype(tmp_path):
    # pandas 3 does so by default; anndata refuses to write such columns unless told to
    with pd.option_context("future.infer_string", True):
        raw = np.array([[1.0, 10.0], [2.0, 20.0]], dtype=np.float32)
        var = channel_table(["Nd142Di", "Time"], {"Nd142Di": "CD19"}, {}, ["Nd142Di"])
        obs = pd.DataFrame(
            {"cluster_name": pd.Categorical(["T cells", "B cells"]), "note": ["a", "b"]}
        )
        populations = pd.DataFrame({"population": ["T cells", "B cells"], "F": [0.9, 0.8]})
        assert pd.api.types.is_string_dtype(var["channel"].dtype) and var["channel"].dtype != object
        write_h5ad(
            tmp_path / "clusters.h5ad", raw, raw, obs, var, uns={"f": {"table": populations}}
        )
    adata = anndata.read_h5ad(tmp_path / "clusters.h5ad")
    assert list(adata.var_names) == ["CD19", "Time"]
    assert list(adata.var["channel"]) == ["Nd142Di", "Time"]
    assert list(adata.obs["cluster_name"]) == ["T cells", "B cells"]
    assert list(adata.obs["note"]) == ["a", "b"]
    assert list(adata.uns["f"]["table"]["population"]) == ["T cells", "B cells"]
