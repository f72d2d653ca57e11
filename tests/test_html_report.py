"""report.html from plain data: the markers that set a cluster apart, and a page that needs
nothing outside itself, with its medians, per-well bars and confusion heatmap as HTML and
its density plots as SVG."""

import base64
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from cytomoe.core.analysis.html_report import (
    DENSITY_BINS,
    cluster_medians,
    cluster_shares_per_well,
    distinctive_markers,
    write_html_report,
)
from cytomoe.core.evaluation.fmeasure import evaluate

NAMES = ["cluster 00", "cluster 01", "cluster 02"]


def three_populations(n=600, seed=0):
    """Cluster 1 is high on CD19 and CD20, cluster 2 high on CD3 only."""
    rng = np.random.default_rng(seed)
    clusters = np.repeat([0, 1, 2], n // 3)
    markers = ["CD19", "CD20", "CD3", "CD4", "CD8"]
    values = pd.DataFrame(rng.normal(0.5, 0.3, (n, len(markers))), columns=markers)
    values.loc[clusters == 1, ["CD19", "CD20"]] += 4
    values.loc[clusters == 2, "CD3"] += 4
    return values, clusters


def report_dict(n_events):
    return {
        "cytomoe_version": "0.1.0",
        "inputs": ["plate/A1.fcs", "plate/A2.fcs"],
        "n_events": n_events,
        "n_clusters": 3,
        "markers": {"Nd142Di": "CD19"},
        "settings": {
            "model": {"iterations": 20},
            "cofactors": {"Nd142Di": 5.0},
            "compensate": False,
            "labels": None,
            "device": "cpu",
        },
        "timings": {"train": 1.5},
    }


def test_distinctive_markers_are_those_that_set_the_cluster_apart():
    values, clusters = three_populations()
    pairs = distinctive_markers(values, clusters, 3)
    assert sorted(pairs[1]) == ["CD19", "CD20"]
    assert pairs[2][0] == "CD3"


def write_page(path, wells, evaluation=None, values=None, clusters=None, names=NAMES) -> str:
    if values is None:
        values, clusters = three_populations()
    write_html_report(path, report_dict(len(values)), values, clusters, names, wells, evaluation)
    return path.read_text()


def row_cells(page: str, name: str) -> list[str]:
    """The texts of the data cells in the table row headed ``name``."""
    row = re.search(rf"<tr><th>{re.escape(name)}</th>(.*?)</tr>", page)
    assert row, f"no row {name}"
    return re.findall(r"<td[^>]*>([^<]*)</td>", row.group(1))


def well_bars(page: str) -> list[tuple[str, list[float]]]:
    """Each well of the per-well bars with the widths (%) of its segments."""
    block = re.search(r"<div class='wells'>(.*?)</div>", page).group(1)
    return [
        (well, [float(w) for w in re.findall(r"width:([\d.]+)%", segments)])
        for well, segments in re.findall(
            r"<span>([^<]+)</span><span class='bar'>(.*?)</span><span class='num'>", block
        )
    ]


def density_panels(page: str) -> list[str]:
    """The SVG of each density plot, in cluster order."""
    return re.findall(r"<svg .*?</svg>", page)


def panel_pixels(panel: str) -> np.ndarray:
    """The RGB pixels of the density image embedded in one plot."""
    encoded = re.search(r"href='data:image/png;base64,([^']*)'", panel).group(1)
    image = Image.open(io.BytesIO(base64.b64decode(encoded)))
    assert image.format == "PNG"
    return np.asarray(image.convert("RGB"))


def test_page_needs_nothing_outside_itself_and_embeds_one_image_per_plot(tmp_path):
    _, clusters = three_populations()
    truth = pd.Series(np.array(["B", "T", "NK"])[clusters])
    wells = np.where(np.arange(len(clusters)) % 2, "A2", "A1")
    page = write_page(tmp_path / "report.html", wells, evaluate(truth, clusters))
    assert not re.search(r"\bsrc\s*=", page)  # heatmaps and bars are HTML
    links = re.findall(r"""href\s*=\s*['"]([^'"]*)""", page)
    assert len(links) == len(NAMES)  # one density image a cluster, inside its SVG plot
    assert all(link.startswith("data:image/png;base64,") for link in links)
    assert not re.search(r"@import|url\(|<script|https?://", page)


def test_density_images_show_the_cluster_in_colour_over_all_events_in_grey(tmp_path):
    panels = density_panels(write_page(tmp_path / "report.html", ["A1"] * 600))
    assert len(panels) == len(NAMES)
    for panel in panels:
        pixels = panel_pixels(panel).astype(int)
        assert pixels.shape == (DENSITY_BINS, DENSITY_BINS, 3)
        spread = pixels.max(axis=2) - pixels.min(axis=2)
        assert (spread > 60).sum() > 20  # the cluster, in plasma
        assert ((spread == 0) & (pixels[..., 0] < 200)).sum() > 20  # other events, in grey


def test_density_plot_names_its_cluster_markers_and_round_ticks(tmp_path):
    panels = density_panels(write_page(tmp_path / "report.html", ["A1"] * 600))
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", panels[1])  # high on CD19 and CD20
    assert "cluster 01\u200233.3%" in texts
    assert {"CD19", "CD20"} <= set(texts)
    assert {"0", "2", "4"} <= set(texts)  # steps of 2 over about -0.5 to 5.5


def test_writing_a_report_does_not_import_matplotlib(tmp_path):
    script = f"""
import json, sys
import numpy as np, pandas as pd
from cytomoe.core.analysis.html_report import write_html_report
values = pd.DataFrame(np.random.default_rng(0).normal(size=(600, 3)), columns=["a", "b", "c"])
clusters = np.arange(600) % 3
write_html_report(sys.argv[1], json.loads(sys.argv[2]), values, clusters, {NAMES!r}, ["A1"] * 600)
assert "matplotlib" not in sys.modules, "writing report.html imported matplotlib"
"""
    path = tmp_path / "report.html"
    written = subprocess.run(
        [sys.executable, "-c", script, str(path), json.dumps(report_dict(600))],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parents[1],  # this checkout's cytomoe
    )
    assert written.returncode == 0, written.stderr
    assert len(density_panels(path.read_text())) == len(NAMES)


def test_median_table_shows_each_clusters_medians_in_its_row(tmp_path):
    values = pd.DataFrame(
        {"CD3": [0.0, 1.0, 2.0, 5.0, 7.0, 6.0], "CD19": [3.0, 3.0, 3.0, -1.0, 0.0, 1.0]}
    )
    clusters = np.array([0, 0, 0, 1, 1, 1])
    page = write_page(
        tmp_path / "report.html", ["A1"] * 6, values=values, clusters=clusters, names=NAMES
    )
    assert cluster_medians(values, clusters, 3).loc[1].tolist() == [6.0, 0.0]
    assert row_cells(page, "cluster 00") == ["50.0%", "1.0", "3.0"]
    assert row_cells(page, "cluster 01") == ["50.0%", "6.0", "0.0"]
    assert row_cells(page, "cluster 02") == ["0.0%", "", ""]  # empty: no median


def test_median_cells_are_coloured_per_marker_with_readable_text(tmp_path):
    values = pd.DataFrame({"CD3": [0.0, 2.0, 4.0], "CD19": [9.0, 8.0, 5.0]})
    page = write_page(
        tmp_path / "report.html", ["A1"] * 3, values=values, clusters=np.array([0, 1, 2])
    )
    cell = r"<td class='cell' style='background:(#[0-9a-f]{6});color:(#[0-9a-f]{3})'>"
    lowest_cd3 = re.search(rf"<th>cluster 00</th><td[^>]*>[^<]*</td>{cell}0.0<", page)
    highest_cd19 = re.search(rf"{cell}9.0<", page)
    middle_cd3 = re.search(rf"{cell}2.0<", page)
    assert lowest_cd3.groups() == ("#313695", "#fff")  # RdYlBu_r at 0: dark blue
    assert highest_cd19.groups() == ("#a50026", "#fff")  # RdYlBu_r at 1: dark red
    assert middle_cd3.group(2) == "#000"  # pale yellow
    assert "lowest to highest cluster median" in page


def test_report_without_labels_has_no_fmeasure_or_confusion_section(tmp_path):
    page = write_page(tmp_path / "report.html", ["A1"] * 600)
    assert "F-measure" not in page
    assert "manual population" not in page


def test_confusion_table_shows_where_each_populations_events_went(tmp_path):
    _, clusters = three_populations()
    truth = np.array(["B", "T", "NK"])[clusters]
    truth[:50] = "T"  # a quarter of cluster 0's events are T cells
    page = write_page(tmp_path / "report.html", ["A1"] * 600, evaluate(pd.Series(truth), clusters))
    assert "manual population" in page
    assert row_cells(page, "B") == ["100", "", ""]  # columns: clusters 00, 01, 02
    assert row_cells(page, "T") == ["20", "80", ""]  # 50 of 250 in cluster 00
    assert row_cells(page, "NK") == ["", "", "100"]
    matched = re.findall(r"<td class='cell matched'[^>]*>(\d+)<", page)
    assert matched == ["100", "100", "80"]  # rows B, NK, T: each outlines its match


def test_well_bars_list_wells_in_plate_order_and_fill_the_bar(tmp_path):
    values, clusters = three_populations(n=6)
    wells = ["B1", "B1", "B2", "B10", "B10", "B10"]
    page = write_page(
        tmp_path / "report.html", wells, values=values, clusters=np.array([0, 1, 1, 0, 0, 2])
    )
    bars = well_bars(page)
    assert [well for well, _ in bars] == ["B1", "B2", "B10"]
    assert bars[0][1] == [50, 50]
    assert bars[1][1] == [100]
    for _, widths in bars:
        assert sum(widths) == pytest.approx(100, abs=0.01)
    assert "title='cluster 02: 33.3 %'" in page


def test_names_are_escaped_in_cells_and_hover_titles(tmp_path):
    values, clusters = three_populations()
    names = ["<b>naive</b>", "CD4+ 'memory'", "cluster 02"]
    page = write_page(tmp_path / "report.html", ["A1"] * 600, names=names)
    assert "<b>naive" not in page
    assert "&lt;b&gt;naive&lt;/b&gt;" in page
    assert "title='CD4+ &#x27;memory&#x27;: 33.3 %'" in page


def test_cluster_shares_list_wells_in_plate_order_not_alphabetically():
    wells = ["B1", "B1", "B2", "B10", "B10", "B10"]
    shares = cluster_shares_per_well(np.array([0, 1, 1, 0, 0, 2]), 3, wells)
    assert list(shares.index) == ["B1", "B2", "B10"]
    assert shares.loc["B1"].tolist() == [50, 50, 0]
    assert shares.loc["B10", 0] == pytest.approx(200 / 3)
