"""``report.html``: one self-contained page per analysis, readable offline in any browser.

The sections a cytometrist checks a clustering with: the cluster x marker median heatmap,
cluster sizes per well, each cluster on the two markers that set it apart, the F-measure
against manual gates (when there are labels) and the settings and timings. Figures are
drawn with matplotlib's Agg backend and embedded as base64 PNG images; the page links to
nothing outside itself."""

import base64
import html
import io
import json
import math
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cytomoe.core.evaluation.fmeasure import Evaluation

if TYPE_CHECKING:
    from matplotlib.figure import Figure  # imported only where a report is drawn

DENSITY_EVENTS = 50_000  # events drawn (evenly spaced) for the background of density plots
DENSITY_BINS = 96
DENSITY_SMOOTHING = 1.0  # Gaussian sigma, in bins
CLUSTER_FLOOR = 0.15  # a cluster's density is drawn where its square root exceeds this share
_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1150px;
       color: #222; line-height: 1.4; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.25em; border-bottom: 1px solid #ccc; padding-bottom: 0.2em;
     margin-top: 2em; }
.meta { color: #555; }
table { border-collapse: collapse; margin: 0.5em 0; font-size: 0.9em; }
th, td { border: 1px solid #ddd; padding: 0.2em 0.6em; text-align: left; }
th { background: #f3f3f3; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
img { max-width: 100%; height: auto; display: block; margin: 0.5em 0; }
.scores span { display: inline-block; margin-right: 1.5em; font-size: 1.1em; }
"""


def write_html_report(
    path: str | Path,
    report: dict,
    values: pd.DataFrame,
    clusters: np.ndarray,
    names: Sequence[str],
    wells: Sequence[str],
    evaluation: Evaluation | None = None,
) -> None:
    """Write the page for one analysis.

    ``report`` is the content of ``report.json``; ``values`` the transformed events on the
    clustering markers (columns named by display name); ``clusters`` one cluster id per event
    with ``names`` its display names; ``wells`` the well of each event, in plate order."""
    clusters = np.asarray(clusters)
    sizes = np.bincount(clusters, minlength=len(names))
    medians = cluster_medians(values, clusters, len(names))
    sections = [
        _section(
            "Cluster x marker medians",
            "Median of the arcsinh-transformed values of each cluster's events; the colour "
            "runs from the lowest to the highest cluster median of each marker.",
            _image(_median_heatmap(medians, names, sizes)),
        ),
        _section(
            "Cluster sizes",
            "Share of each well's events in each cluster.",
            _image(_well_bars(clusters, names, wells)) + _size_table(names, sizes),
        ),
        _section(
            "Each cluster on its two most distinctive markers",
            "Grey: all events; colour: the cluster's events. The markers are those on which "
            "the cluster's mean lies furthest from the mean of all other events, in standard "
            "deviations of the marker.",
            _image(_density_grid(values, clusters, names)),
        ),
    ]
    if evaluation is not None:
        sections.append(_evaluation_section(evaluation, len(names)))
    sections.append(_settings_section(report))
    title = f"cytomoe report: {_plate_title(report)}"
    page = (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>"
        f"<p class='meta'>{report['n_events']:,} events, {report['n_clusters']} clusters, "
        f"{len(values.columns)} markers &middot; cytomoe {html.escape(report['cytomoe_version'])}"
        f" &middot; {time.strftime('%Y-%m-%d %H:%M')}</p>" + "".join(sections) + "</body></html>\n"
    )
    Path(path).write_text(page, encoding="utf-8")


def cluster_medians(values: pd.DataFrame, clusters: np.ndarray, n_clusters: int) -> pd.DataFrame:
    """Median of each marker (columns) in each cluster (rows, NaN for an empty cluster)."""
    medians = values.groupby(np.asarray(clusters)).median()
    return medians.reindex(range(n_clusters))


def distinctive_markers(values: pd.DataFrame, clusters: np.ndarray, n_clusters: int) -> list:
    """For each cluster, the two markers (columns of ``values``) on which its mean lies
    furthest from the mean of all other events, in standard deviations of all events."""
    groups = values.groupby(np.asarray(clusters))
    sums = groups.sum().reindex(range(n_clusters), fill_value=0)
    counts = groups.size().reindex(range(n_clusters), fill_value=0).to_numpy()[:, None]
    total = values.sum().to_numpy()
    own = sums.to_numpy() / np.maximum(counts, 1)
    others = (total - sums.to_numpy()) / np.maximum(len(values) - counts, 1)
    spread = values.std().replace(0, 1.0).fillna(1.0).to_numpy()
    distance = np.nan_to_num(np.abs(own - others) / spread)
    order = np.argsort(-distance, axis=1, kind="stable")[:, :2]
    return [[values.columns[i] for i in row] for row in order]


# --------------------------------------------------------------------------- figures
def _figure(width: float, height: float, layout: str | None = "constrained") -> "Figure":
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=100, layout=layout)


def _image(figure: "Figure") -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f"<img alt='figure' src='data:image/png;base64,{encoded}'>"


def _cluster_colors(n: int) -> list:
    from matplotlib import colormaps

    palette = colormaps["tab20"].colors + colormaps["tab20b"].colors
    return [palette[i % len(palette)] for i in range(n)]


def _median_heatmap(medians: pd.DataFrame, names: Sequence[str], sizes: np.ndarray):
    low, high = medians.min(), medians.max()
    scaled = ((medians - low) / (high - low).replace(0, 1)).to_numpy()
    n_clusters, n_markers = scaled.shape
    figure = _figure(max(6.0, 0.42 * n_markers + 3.5), max(2.5, 0.32 * n_clusters + 1.8))
    axes = figure.add_subplot()
    image = axes.imshow(np.ma.masked_invalid(scaled), cmap="RdYlBu_r", aspect="auto", vmin=0)
    axes.set_xticks(range(n_markers), list(medians.columns), rotation=90, fontsize=9)
    total = max(int(sizes.sum()), 1)
    axes.set_yticks(
        range(n_clusters),
        [f"{n}  {s / total:.1%}" for n, s in zip(names, sizes, strict=True)],
        fontsize=9,
    )
    if n_clusters * n_markers <= 400:
        for (row, column), value in np.ndenumerate(medians.to_numpy()):
            if not math.isnan(value):
                shade = scaled[row, column]
                axes.text(
                    column,
                    row,
                    f"{round(value, 1) + 0.0:.1f}",  # + 0.0: no "-0.0"
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if shade < 0.15 or shade > 0.85 else "black",
                )
    figure.colorbar(image, ax=axes, shrink=0.6, label="median, lowest to highest cluster")
    return figure


def cluster_shares_per_well(
    clusters: np.ndarray, n_clusters: int, wells: Sequence[str]
) -> pd.DataFrame:
    """Percentage of each well's events (rows, in order of first appearance, i.e. plate
    order) in each cluster (columns)."""
    wells = np.asarray(wells, dtype=object)
    counts = pd.crosstab(
        pd.Categorical(wells, categories=pd.unique(wells)),
        pd.Categorical(clusters, categories=range(n_clusters)),
        dropna=False,
    )
    return counts.div(counts.sum(axis=1).replace(0, 1), axis=0) * 100


def _well_bars(clusters: np.ndarray, names: Sequence[str], wells: Sequence[str]):
    from matplotlib.collections import PolyCollection
    from matplotlib.patches import Patch

    shares = cluster_shares_per_well(clusters, len(names), wells)
    colors = _cluster_colors(len(names))
    figure = _figure(10.0, max(2.0, 0.28 * len(shares) + 1.5))
    axes = figure.add_subplot()
    right = shares.cumsum(axis=1).to_numpy()
    left = right - shares.to_numpy()
    rows, columns = np.nonzero(shares.to_numpy() > 0)
    top, bottom = rows - 0.4, rows + 0.4
    x0, x1 = left[rows, columns], right[rows, columns]
    boxes = np.stack([[x0, top], [x1, top], [x1, bottom], [x0, bottom]]).transpose(2, 0, 1)
    axes.add_collection(  # one collection: a plate of wells x clusters draws quickly
        PolyCollection(boxes, facecolors=[colors[c] for c in columns], linewidths=0)
    )
    axes.set_yticks(range(len(shares)), [str(w) for w in shares.index], fontsize=8)
    axes.set_ylim(len(shares) - 0.5, -0.5)
    axes.set_xlim(0, 100)
    axes.set_xlabel("% of the well's events")
    axes.legend(
        handles=[Patch(color=c, label=n) for c, n in zip(colors, names, strict=True)],
        loc="upper left",
        bbox_to_anchor=(1.01, 1),
        fontsize=8,
        ncols=1 if len(names) <= 24 else 2,
        frameon=False,
    )
    return figure


def _density_grid(values: pd.DataFrame, clusters: np.ndarray, names: Sequence[str]):
    from matplotlib import colormaps

    columns = 4
    rows = math.ceil(len(names) / columns)
    height = 2.75 * rows
    figure = _figure(11.0, height, layout=None)  # constrained layout is slow for many axes
    figure.subplots_adjust(
        left=0.06, right=0.98, bottom=0.55 / height, top=1 - 0.35 / height, wspace=0.3, hspace=0.45
    )
    step = max(1, len(values) // DENSITY_EVENTS)
    background = values.iloc[::step]
    low, high = values.quantile(0.001), values.quantile(0.999)
    pad = (high - low).replace(0, 1.0) * 0.03
    edges = {m: np.linspace(low[m] - pad[m], high[m] + pad[m], DENSITY_BINS + 1) for m in values}
    cluster_cmap = colormaps["plasma"].with_extremes(bad=(0, 0, 0, 0))
    pairs = distinctive_markers(values, clusters, len(names))
    for cluster, (name, pair) in enumerate(zip(names, pairs, strict=True)):
        axes = figure.add_subplot(rows, columns, cluster + 1)
        x, y = (pair + pair)[:2] if len(pair) == 1 else pair
        bins = [edges[x], edges[y]]
        extent = (bins[0][0], bins[0][-1], bins[1][0], bins[1][-1])
        everything = np.log1p(_density(background[x], background[y], bins))
        axes.imshow(
            everything.T,
            origin="lower",
            extent=extent,
            aspect="auto",
            cmap="Greys",
            vmax=np.percentile(everything, 99),
        )
        members = values[clusters == cluster]
        own = np.sqrt(_density(members[x], members[y], bins))
        axes.imshow(
            np.ma.masked_where(own <= CLUSTER_FLOOR * own.max(), own).T,
            origin="lower",
            extent=extent,
            aspect="auto",
            cmap=cluster_cmap,
            vmin=0,
        )
        share = len(members) / max(len(values), 1)
        axes.set_title(f"{name}  {share:.1%}", fontsize=9)
        axes.set_xlabel(x, fontsize=8)
        axes.set_ylabel(y, fontsize=8)
        axes.tick_params(labelsize=7)
    return figure


def _density(x: pd.Series, y: pd.Series, bins: list[np.ndarray]) -> np.ndarray:
    """Smoothed event counts on the grid ``bins``."""
    from scipy.ndimage import gaussian_filter

    counts, _, _ = np.histogram2d(x, y, bins=bins)
    return gaussian_filter(counts, DENSITY_SMOOTHING)


def _confusion_heatmap(evaluation: Evaluation, n_clusters: int):
    confusion = evaluation.confusion.reindex(columns=range(n_clusters), fill_value=0)
    shares = confusion.div(confusion.sum(axis=1), axis=0).to_numpy() * 100
    n_rows, n_columns = shares.shape
    figure = _figure(max(5.0, 0.4 * n_columns + 3.5), max(2.5, 0.32 * n_rows + 1.8))
    axes = figure.add_subplot()
    image = axes.imshow(shares, cmap="Blues", vmin=0, vmax=100, aspect="auto")
    axes.set_xticks(range(n_columns), [str(c) for c in confusion.columns], fontsize=8)
    axes.set_yticks(range(n_rows), [str(p) for p in confusion.index], fontsize=8)
    axes.set_xlabel("cluster")
    axes.set_ylabel("manual population")
    if n_rows * n_columns <= 600:
        for (row, column), value in np.ndenumerate(shares):
            if value >= 0.5:
                axes.text(
                    column,
                    row,
                    f"{value:.0f}",
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if value > 60 else "black",
                )
    figure.colorbar(image, ax=axes, shrink=0.6, label="% of the population's events")
    return figure


# --------------------------------------------------------------------------- sections
def _section(title: str, note: str, body: str) -> str:
    return f"<h2>{html.escape(title)}</h2><p>{html.escape(note)}</p>{body}"


def _table(header: Sequence[str], rows: Sequence[Sequence]) -> str:
    def cell(value: object) -> str:
        if isinstance(value, float):
            return f"<td class='num'>{value:.3f}</td>"
        if isinstance(value, int | np.integer):
            return f"<td class='num'>{value:,}</td>"
        return f"<td>{html.escape(str(value))}</td>"

    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(cell(v) for v in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _size_table(names: Sequence[str], sizes: np.ndarray) -> str:
    total = max(int(sizes.sum()), 1)
    return _table(
        ["cluster", "events", "% of events"],
        [(n, int(s), f"{s / total:.2%}") for n, s in zip(names, sizes, strict=True)],
    )


def _evaluation_section(evaluation: Evaluation, n_clusters: int) -> str:
    scores = (
        "<p class='scores'>"
        f"<span>F-measure <b>{evaluation.f_measure:.3f}</b></span>"
        f"<span>FlowCAP-I F-measure <b>{evaluation.f_measure_flowcap:.3f}</b></span>"
        f"<span>NMI <b>{evaluation.nmi:.3f}</b></span>"
        f"<span>ARI <b>{evaluation.ari:.3f}</b></span>"
        f"<span>labelled events <b>{evaluation.n_labelled:,}</b></span></p>"
    )
    table = _table(
        ["population", "events", "matched cluster", "precision", "recall", "F1"],
        [
            (
                r.population,
                int(r.size),
                "none" if pd.isna(r.cluster) else int(r.cluster),
                float(r.precision),
                float(r.recall),
                float(r.f1),
            )
            for r in evaluation.populations.itertuples()
        ],
    )
    return _section(
        "F-measure against the manual gates",
        "Each manual population matched one to one to a cluster (Hungarian assignment); the "
        "heatmap shows where each population's events went.",
        scores + table + _image(_confusion_heatmap(evaluation, n_clusters)),
    )


def _settings_section(report: dict) -> str:
    settings = report["settings"]
    markers = _table(
        ["channel", "marker", "arcsinh cofactor"],
        [
            (channel, name, _plain(settings["cofactors"].get(channel), none="linear"))
            for channel, name in report["markers"].items()
        ],
    )
    model = _table(["setting", "value"], [(k, _plain(v)) for k, v in settings["model"].items()])
    other = _table(
        ["setting", "value"],
        [
            ("compensation", "on" if settings["compensate"] else "off"),
            ("manual labels", _label_source(settings["labels"])),
            ("device", settings["device"]),
            ("inputs", ", ".join(Path(p).name for p in report["inputs"])),
        ],
    )
    timings = _table(["step", "seconds"], [(k, float(v)) for k, v in report["timings"].items()])
    return (
        "<h2>Settings and timings</h2><h3>Markers used for clustering</h3>"
        + markers
        + "<h3>Model</h3>"
        + model
        + "<h3>Data</h3>"
        + other
        + "<h3>Timings</h3>"
        + timings
    )


def _plain(value: object, none: str = "none") -> str:
    if value is None:
        return none
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def _label_source(labels: dict | None) -> str:
    if labels is None:
        return "none"
    where = {"column": "column", "file": "file", "gates": "gates in"}[labels["kind"]]
    return f"{where} {Path(labels['value']).name}"


def _plate_title(report: dict) -> str:
    inputs = [Path(p) for p in report["inputs"]]
    parents = {p.parent.name for p in inputs}
    if len(inputs) > 1 and len(parents) == 1:
        return f"{parents.pop()} ({len(inputs)} samples)"
    return ", ".join(p.name for p in inputs[:3]) + (" ..." if len(inputs) > 3 else "")
