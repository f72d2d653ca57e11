"""``report.html``: one self-contained page per analysis, readable offline in any browser.

The sections a cytometrist checks a clustering with: the cluster x marker median heatmap,
cluster sizes per well, each cluster on the two markers that set it apart, the F-measure
against manual gates (when there are labels) and the settings and timings. The heatmaps and
the bars of cluster shares per well are HTML (coloured table cells and divs: quick to write
and to read, values selectable). Each density plot is an inline SVG: frame, ticks and labels
as vector lines and text (sharp at any zoom, selectable), its two density layers composited
into one small PNG (Pillow) embedded as a data URI. No plotting library is needed, and the
page links to nothing outside itself."""

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

from cytomoe.core.analysis.colour_maps import colormap, listed_colors

if TYPE_CHECKING:
    from cytomoe.core.evaluation.fmeasure import Evaluation

DENSITY_EVENTS = 50_000  # most events drawn (evenly spaced) per density: all, or one cluster
DENSITY_BINS = 96
DENSITY_SMOOTHING = 1.0  # Gaussian sigma, in bins
CLUSTER_FLOOR = 0.15  # a cluster's density is drawn where its square root exceeds this share
PANEL_SIZE = (270, 250)  # one density plot in SVG units, about CSS pixels on a full-width page
PLOT_AREA = (50, 22, 212, 186)  # left, top, width, height of its axes inside the panel
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
.scores span { display: inline-block; margin-right: 1.5em; font-size: 1.1em; }
.wide { overflow-x: auto; }
table.heat { font-size: 0.8em; }
table.heat th, table.heat td { padding: 0.1em 0.4em; white-space: nowrap; }
table.heat td.cell { border: 1px solid #fff; text-align: center; min-width: 2.4em;
                     font-variant-numeric: tabular-nums; }
table.heat td.matched { outline: 2px solid #222; outline-offset: -2px; }
table.heat th { vertical-align: bottom; }
table.heat th.column { text-align: center; }
table.heat th.column span { display: inline-block; writing-mode: vertical-rl;
                            transform: rotate(180deg); }
.legend { font-size: 0.85em; color: #444; display: flex; flex-wrap: wrap;
          align-items: center; gap: 0.3em 1em; margin: 0.3em 0 0.8em; }
.legend i { display: inline-block; width: 0.9em; height: 0.9em; margin-right: 0.3em;
            vertical-align: -0.1em; }
.legend i.ramp { width: 8em; }
.wells { display: grid; grid-template-columns: max-content 1fr max-content; gap: 1px 0.5em;
         align-items: center; font-size: 0.75em; line-height: 1.1; margin-bottom: 1em; }
.wells .bar { display: flex; height: 0.95em; background: #eee; }
.wells .bar span { display: block; height: 100%; }
.wells .axis { display: flex; justify-content: space-between; color: #666; }
.wells .num { text-align: right; font-variant-numeric: tabular-nums; }
.densities { display: grid; grid-template-columns: repeat(4, minmax(0, 1fr)); gap: 0.8em 1em; }
.densities svg { display: block; width: 100%; height: auto; overflow: visible;
                 break-inside: avoid; }
.densities text { fill: #222; }
.densities .frame { fill: none; stroke: #222; stroke-width: 0.8; }
.densities line { stroke: #222; stroke-width: 0.8; }
"""


def write_html_report(
    path: str | Path,
    report: dict,
    values: pd.DataFrame,
    clusters: np.ndarray,
    names: Sequence[str],
    wells: Sequence[str],
    evaluation: "Evaluation | None" = None,
) -> None:
    """Write the page for one analysis.

    ``report`` is the content of ``report.json``; ``values`` the transformed events on the
    clustering markers (columns named by display name); ``clusters`` one cluster id per event
    with ``names`` its display names; ``wells`` the well of each event, in plate order."""
    clusters = np.asarray(clusters)
    sizes = np.bincount(clusters, minlength=len(names))
    medians = cluster_medians(values, clusters, len(names))
    colors = _cluster_colors(len(names))
    sections = [
        _section(
            "Cluster x marker medians",
            "Median of the arcsinh-transformed values of each cluster's events; the colour "
            "runs from the lowest to the highest cluster median of each marker.",
            _median_table(medians, names, sizes),
        ),
        _section(
            "Cluster sizes",
            "Share of each well's events in each cluster (hover over a bar for its cluster "
            "and share); the number after a bar is the well's events.",
            _well_bars(clusters, names, wells, colors) + _size_table(names, sizes),
        ),
        _section(
            "Each cluster on its two most distinctive markers",
            "Grey: all events; colour: the cluster's events. The markers are those on which "
            "the cluster's mean lies furthest from the mean of all other events, in standard "
            "deviations of the marker.",
            _density_grid(values, clusters, names, sizes),
        ),
    ]
    if evaluation is not None:
        sections.append(_evaluation_section(evaluation, names))
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
    events = values.to_numpy(dtype=np.float64)  # numpy: pandas' reductions are slower at 1M
    clusters = np.asarray(clusters)
    sums = np.stack(
        [np.bincount(clusters, weights=m, minlength=n_clusters) for m in events.T], axis=1
    )
    counts = np.bincount(clusters, minlength=n_clusters)[:, None]
    own = sums / np.maximum(counts, 1)
    others = (sums.sum(axis=0) - sums) / np.maximum(len(events) - counts, 1)
    spread = events.std(axis=0, ddof=1) if len(events) > 1 else np.ones(events.shape[1])
    spread[(spread == 0) | np.isnan(spread)] = 1.0
    distance = np.nan_to_num(np.abs(own - others) / spread)
    order = np.argsort(-distance, axis=1, kind="stable")[:, :2]
    return [[values.columns[i] for i in row] for row in order]


def cluster_shares_per_well(
    clusters: np.ndarray, n_clusters: int, wells: Sequence[str]
) -> pd.DataFrame:
    """Percentage of each well's events (rows, in order of first appearance, i.e. plate
    order) in each cluster (columns)."""
    counts = _cluster_counts_per_well(clusters, n_clusters, wells)
    return counts.div(counts.sum(axis=1).replace(0, 1), axis=0) * 100


def _cluster_counts_per_well(
    clusters: np.ndarray, n_clusters: int, wells: Sequence[str]
) -> pd.DataFrame:
    codes, plate_order = pd.factorize(np.asarray(wells, dtype=object))  # first appearance
    counts = np.bincount(
        codes * n_clusters + np.asarray(clusters), minlength=len(plate_order) * n_clusters
    )
    return pd.DataFrame(
        counts.reshape(len(plate_order), n_clusters), index=plate_order, columns=range(n_clusters)
    )


# --------------------------------------------------------------------------- colours
def _hex(rgba: Sequence[float]) -> str:
    red, green, blue = (round(255 * c) for c in rgba[:3])
    return f"#{red:02x}{green:02x}{blue:02x}"


def _heat_cell(text: str, rgba: Sequence[float], extra_class: str = "") -> str:
    """A table cell coloured ``rgba`` with ``text`` in white on dark colours, black on light."""
    red, green, blue = rgba[:3]
    ink = "#fff" if 0.299 * red + 0.587 * green + 0.114 * blue < 0.5 else "#000"
    classes = f"cell {extra_class}".strip()
    return f"<td class='{classes}' style='background:{_hex(rgba)};color:{ink}'>{text}</td>"


def _ramp(name: str) -> str:
    """A swatch of the colormap ``name`` from its low to its high end."""
    stops = ",".join(_hex(c) for c in colormap(name, np.linspace(0, 1, 9)))
    return f"<i class='ramp' style='background:linear-gradient(to right,{stops})'></i>"


def _cluster_colors(n: int) -> list[str]:
    palette = listed_colors("tab20") + listed_colors("tab20b")
    return [palette[i % len(palette)] for i in range(n)]


# --------------------------------------------------------------------------- heatmaps
def _column_header(label: str) -> str:
    return f"<th class='column'><span>{html.escape(label)}</span></th>"


def _median_table(medians: pd.DataFrame, names: Sequence[str], sizes: np.ndarray) -> str:
    low, high = medians.min(), medians.max()
    scaled = ((medians - low) / (high - low).replace(0, 1)).to_numpy()
    colors = colormap("RdYlBu_r", np.nan_to_num(scaled))
    total = max(int(sizes.sum()), 1)
    header = (
        "<tr><th>cluster</th><th>% of events</th>"
        + "".join(_column_header(str(m)) for m in medians.columns)
        + "</tr>"
    )
    rows = []
    for row, (name, size) in enumerate(zip(names, sizes, strict=True)):
        cells = "".join(
            "<td></td>"  # an empty cluster has no median
            if math.isnan(value)
            else _heat_cell(f"{round(value, 1) + 0.0:.1f}", colors[row, column])  # no "-0.0"
            for column, value in enumerate(medians.iloc[row])
        )
        rows.append(
            f"<tr><th>{html.escape(name)}</th><td class='num'>{size / total:.1%}</td>{cells}</tr>"
        )
    legend = (
        f"<p class='legend'><span>{_ramp('RdYlBu_r')}each marker's lowest to highest "
        "cluster median</span></p>"
    )
    return f"<div class='wide'><table class='heat'>{header}{''.join(rows)}</table></div>{legend}"


def _confusion_table(evaluation: "Evaluation", names: Sequence[str]) -> str:
    confusion = evaluation.confusion.reindex(columns=range(len(names)), fill_value=0)
    shares = confusion.div(confusion.sum(axis=1), axis=0).to_numpy() * 100
    colors = colormap("Blues", shares / 100)
    matched = {
        str(r.population): int(r.cluster)
        for r in evaluation.populations.itertuples()
        if not pd.isna(r.cluster)
    }
    header = "<tr><th>manual population</th>" + "".join(map(_column_header, names)) + "</tr>"
    rows = []
    for row, population in enumerate(confusion.index):
        cells = "".join(
            _heat_cell(
                f"{value:.0f}" if value >= 0.5 else "",
                colors[row, column],
                "matched" if matched.get(str(population)) == column else "",
            )
            for column, value in enumerate(shares[row])
        )
        rows.append(f"<tr><th>{html.escape(str(population))}</th>{cells}</tr>")
    legend = (
        f"<p class='legend'><span>{_ramp('Blues')}0 to 100 % of the population's events"
        "</span><span>outlined: the cluster matched to the population</span></p>"
    )
    return f"<div class='wide'><table class='heat'>{header}{''.join(rows)}</table></div>{legend}"


def _well_bars(
    clusters: np.ndarray, names: Sequence[str], wells: Sequence[str], colors: Sequence[str]
) -> str:
    counts = _cluster_counts_per_well(clusters, len(names), wells)
    events = counts.sum(axis=1)
    shares = counts.div(events, axis=0) * 100  # a well has events, or it would not be listed
    labels = [html.escape(n, quote=True) for n in names]
    rows = [
        "<span></span><span class='axis'><span>0 %</span><span>100 %</span></span>"
        "<span class='num'>events</span>"
    ]
    for well, well_shares, well_events in zip(
        shares.index, shares.to_numpy(), events.to_numpy(), strict=True
    ):
        segments = "".join(
            f"<span style='width:{share:.3f}%;background:{colors[cluster]}' "
            f"title='{labels[cluster]}: {share:.1f} %'></span>"
            for cluster, share in enumerate(well_shares)
            if share > 0
        )
        rows.append(
            f"<span>{html.escape(str(well))}</span><span class='bar'>{segments}</span>"
            f"<span class='num'>{well_events:,}</span>"
        )
    legend = "".join(
        f"<span><i style='background:{c}'></i>{html.escape(n)}</span>"
        for c, n in zip(colors, names, strict=True)
    )
    return f"<p class='legend'>{legend}</p><div class='wells'>{''.join(rows)}</div>"


# --------------------------------------------------------------------------- density plots
def _subsample_step(n_events: int) -> int:
    """The step that takes at most DENSITY_EVENTS of ``n_events``, evenly spaced."""
    return max(1, math.ceil(n_events / DENSITY_EVENTS))


def _density_grid(
    values: pd.DataFrame, clusters: np.ndarray, names: Sequence[str], sizes: np.ndarray
) -> str:
    """Each cluster over all events on its two distinctive markers, four plots a row."""
    events = values.to_numpy(dtype=np.float64)  # one array for all panels: no frame per cluster
    background = events[:: _subsample_step(len(events))]
    low, high = np.quantile(background, [0.001, 0.999], axis=0)
    pad = np.where(high > low, high - low, 1.0) * 0.03
    edges = np.linspace(low - pad, high + pad, DENSITY_BINS + 1, axis=1)  # marker x edges
    column = {marker: i for i, marker in enumerate(values.columns)}
    # the events of cluster c are by_cluster[starts[c]:starts[c + 1]], in event order
    by_cluster = np.argsort(clusters, kind="stable")
    starts = np.concatenate([[0], np.cumsum(sizes)])
    background_density = {}  # clusters share marker pairs
    pairs = distinctive_markers(values, clusters, len(names))
    panels = []
    for cluster, (name, pair) in enumerate(zip(names, pairs, strict=True)):
        x, y = column[pair[0]], column[pair[-1]]  # one marker only: drawn against itself
        bins = [edges[x], edges[y]]
        if (x, y) not in background_density:
            background_density[x, y] = np.log1p(_density(background[:, x], background[:, y], bins))
        members = by_cluster[starts[cluster] : starts[cluster + 1]]
        drawn = members[:: _subsample_step(len(members))]
        own = np.sqrt(_density(events[drawn, x], events[drawn, y], bins))
        panels.append(
            _density_panel(
                _density_pixels(background_density[x, y], own),
                f"{name}\u2002{sizes[cluster] / max(len(events), 1):.1%}",  # SVG keeps en spaces
                (str(pair[0]), str(pair[-1])),
                (bins[0][[0, -1]], bins[1][[0, -1]]),
            )
        )
    return f"<div class='densities'>{''.join(panels)}</div>"


def _density(x: np.ndarray, y: np.ndarray, bins: list[np.ndarray]) -> np.ndarray:
    """Smoothed event counts on the grid ``bins``."""
    from scipy.ndimage import gaussian_filter

    counts, _, _ = np.histogram2d(x, y, bins=bins)
    return gaussian_filter(counts, DENSITY_SMOOTHING)


def _density_pixels(everything: np.ndarray, own: np.ndarray) -> np.ndarray:
    """RGB pixels (rows top down) of a cluster's density ``own`` in plasma, where it is above
    CLUSTER_FLOOR of its peak, over the density of ``everything`` in greys (white to black up
    to its 99th percentile). Both are indexed [x bin, y bin]."""
    lowest, saturated = everything.min(), np.percentile(everything, 99)
    greys = colormap("Greys", (everything - lowest) / max(saturated - lowest, 1e-12))
    peak = own.max()
    shown = own > CLUSTER_FLOOR * peak  # nothing where the cluster has no events
    layers = np.where(shown[..., None], colormap("plasma", own / max(peak, 1e-12)), greys)
    return np.round(layers[..., :3] * 255).astype(np.uint8).transpose(1, 0, 2)[::-1]


def _png_uri(pixels: np.ndarray) -> str:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(pixels)).save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _density_panel(
    pixels: np.ndarray,
    title: str,
    markers: tuple[str, str],
    ranges: tuple[Sequence[float], Sequence[float]],
) -> str:
    """One plot as SVG: the density image in a frame with ticks, tick labels, the marker
    names (x, y) and a title, all as vector text that stays sharp when zoomed or printed."""
    width, height = PANEL_SIZE
    left, top, plot_width, plot_height = PLOT_AREA
    bottom, (x_low, x_high), (y_low, y_high) = top + plot_height, *ranges
    middle_x, middle_y = left + plot_width / 2, top + plot_height / 2
    label = f"{title}: {markers[1]} against {markers[0]}"
    parts = [
        f"<svg viewBox='0 0 {width} {height}' role='img' "
        f"aria-label='{html.escape(label, quote=True)}'>",
        f"<image x='{left}' y='{top}' width='{plot_width}' height='{plot_height}' "
        f"preserveAspectRatio='none' href='{_png_uri(pixels)}'/>",
        f"<rect class='frame' x='{left}' y='{top}' width='{plot_width}' height='{plot_height}'/>",
    ]
    for value, tick in _ticks(x_low, x_high):
        at = left + (value - x_low) / (x_high - x_low) * plot_width
        parts.append(
            f"<line x1='{at:.1f}' y1='{bottom}' x2='{at:.1f}' y2='{bottom + 4}'/>"
            + _svg_text(tick, 11, f"x='{at:.1f}' y='{bottom + 15}' text-anchor='middle'")
        )
    for value, tick in _ticks(y_low, y_high):
        at = bottom - (value - y_low) / (y_high - y_low) * plot_height
        parts.append(
            f"<line x1='{left - 4}' y1='{at:.1f}' x2='{left}' y2='{at:.1f}'/>"
            + _svg_text(tick, 11, f"x='{left - 6}' y='{at:.1f}' dy='0.35em' text-anchor='end'")
        )
    parts += [
        _svg_text(title, 13, f"x='{middle_x}' y='{top - 8}' text-anchor='middle'", width),
        _svg_text(
            markers[0], 12, f"x='{middle_x}' y='{height - 4}' text-anchor='middle'", plot_width
        ),
        _svg_text(
            markers[1],
            12,
            f"transform='translate(12 {middle_y}) rotate(-90)' text-anchor='middle'",
            plot_height,
        ),
        "</svg>",
    ]
    return "".join(parts)


def _svg_text(text: str, size: int, placement: str, room: float | None = None) -> str:
    """SVG text of ``size`` units at ``placement``, narrowed to ``room`` when an estimate of
    its width (0.55 of the size a character, about right for a sans-serif font) exceeds it:
    a long cluster name stays inside its own plot."""
    fit = ""
    if room is not None and len(text) * 0.55 * size > room:
        fit = f" textLength='{room}' lengthAdjust='spacingAndGlyphs'"
    return f"<text font-size='{size}' {placement}{fit}>{html.escape(text)}</text>"


def _ticks(low: float, high: float, most: int = 5) -> list[tuple[float, str]]:
    """Tick values in ``low``..``high`` with their labels: the multiples of the smallest step
    of 1, 2 or 5 times a power of ten that puts at most ``most`` of them in the range (much as
    matplotlib's MaxNLocator with steps [1, 2, 5, 10]), so that an axis has 2 to 5 ticks."""
    power = 10.0 ** math.floor(math.log10((high - low) / most))
    for step in (power, 2 * power, 5 * power, 10 * power):  # the last always fits
        first, last = math.ceil(low / step - 1e-9), math.floor(high / step + 1e-9)
        if last - first < most:
            break
    decimals = max(0, -math.floor(math.log10(step) + 1e-9))
    return [
        (i * step, f"{i * step:.{decimals}f}".replace("-", "\u2212"))  # a true minus sign
        for i in range(first, last + 1)
    ]


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


def _evaluation_section(evaluation: "Evaluation", names: Sequence[str]) -> str:
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
        scores + table + _confusion_table(evaluation, names),
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
