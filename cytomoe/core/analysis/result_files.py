"""The files that take an analysis beyond cytomoe: ``clusters.h5ad`` for scanpy and the
scverse tools, and ``report.html``, a page to read in any browser, offline.

Both describe the events as the model saw them: compensated when the panel asks for it and
arcsinh transformed with the panel's cofactors."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cytomoe.core.analysis.html_report import write_html_report
from cytomoe.core.io.anndata_export import channel_table, write_h5ad
from cytomoe.core.io.plate import EVENT, SAMPLE, WELL
from cytomoe.core.preprocessing.transform import arcsinh

if TYPE_CHECKING:
    from cytomoe.core.analysis.pipeline import AnalysisResult

ANNDATA_FILE, HTML_REPORT_FILE = "clusters.h5ad", "report.html"


def cluster_names(result: AnalysisResult, given: Mapping[int, str] | None = None) -> list[str]:
    """``cluster 03``, or ``cluster 03 (CD4 T cells)`` for a cluster that a user named
    (``given``) or, failing that, that the F-measure matched to a manual population."""
    matched = {}
    if result.evaluation is not None:
        table = result.evaluation.populations.dropna(subset=["cluster"])
        matched = dict(zip(table["cluster"].astype(int), table["population"], strict=True))
    matched.update(given or {})
    return [
        f"cluster {c:02d}" + (f" ({matched[c]})" if c in matched else "")
        for c in range(result.model.n_clusters_)
    ]


def given_names(report: dict) -> dict[int, str]:
    """The cluster names a user gave, as ``report.json`` records them."""
    return {int(c): name for c, name in report.get("cluster_names", {}).items()}


def write_result_files(result: AnalysisResult, report: dict, folder: Path) -> None:
    """Write ``clusters.h5ad`` and ``report.html`` into ``folder``; ``report`` is the
    content of ``report.json``."""
    channels = result.plate.channels
    transformed = arcsinh(result.events[channels].to_numpy(), channels, result.panel.cofactors)
    names = cluster_names(result, given_names(report))
    write_anndata(result, report, folder / ANNDATA_FILE, transformed, names)
    selected = [channels.index(c) for c in result.panel.selected]
    write_html_report(
        folder / HTML_REPORT_FILE,
        report,
        pd.DataFrame(
            transformed[:, selected],
            columns=[result.panel.display_name(c) for c in result.panel.selected],
        ),
        result.clusters,
        names,
        result.events[WELL],
        result.evaluation,
    )


def write_anndata(
    result: AnalysisResult,
    report: dict,
    path: Path,
    transformed: np.ndarray | None = None,
    names: list[str] | None = None,
    overwrite: bool = False,
) -> None:
    """Every event as one observation of an AnnData file (module docstring); ``transformed``
    and ``names`` when the caller has them already."""
    channels, panel = result.plate.channels, result.panel
    if transformed is None:
        transformed = arcsinh(result.events[channels].to_numpy(), channels, panel.cofactors)
    names = cluster_names(result, given_names(report)) if names is None else names
    ids = [str(c) for c in range(result.model.n_clusters_)]
    obs = pd.DataFrame(
        {
            "sample": pd.Categorical.from_codes(
                result.events[SAMPLE].to_numpy(), [s.name for s in result.plate.samples]
            ),
            "well": pd.Categorical(
                result.events[WELL], categories=list(dict.fromkeys(result.plate.wells))
            ),
            "event": result.events[EVENT].to_numpy(),
            "cluster": pd.Categorical.from_codes(result.clusters, ids),
            "cluster_name": pd.Categorical.from_codes(result.clusters, names),
            "cluster_probability": result.probability,
        }
    )
    if result.truth is not None:
        truth = result.truth.reset_index(drop=True)
        obs["label"] = pd.Categorical(np.where(truth.isna(), None, truth.astype(str)))
    # Cofactors are per channel in var: HDF5 reads a "/" in a channel name as a subgroup.
    settings = {k: v for k, v in report["settings"].items() if k != "cofactors"}
    uns = {
        "cytomoe": {
            **{key: report[key] for key in ("cytomoe_version", "inputs", "n_clusters", "timings")},
            "settings": settings,
        }
    }
    if result.evaluation is not None:
        evaluation = result.evaluation
        confusion = pd.DataFrame(  # HDF5 wants text for the names of rows and columns
            evaluation.confusion.to_numpy(),
            index=pd.Index(evaluation.confusion.index.astype(str), name="population"),
            columns=evaluation.confusion.columns.astype(str),
        )
        uns["f_measure"] = {
            **{k: v for k, v in evaluation.to_dict().items() if k != "populations"},
            "populations": evaluation.populations.astype({"cluster": "float64"}),
            "confusion": confusion,
        }
    write_h5ad(
        path,
        transformed,
        result.events[channels].to_numpy(),
        obs,
        channel_table(channels, panel.markers, panel.cofactors, panel.selected),
        latent=result.model.transform(result.events) if result.latent is None else result.latent,
        uns=uns,
        overwrite=overwrite,
    )
