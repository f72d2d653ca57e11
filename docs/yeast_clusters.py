"""Draw docs/yeast_clusters.png: every well of the yeast plate (two fluorescence channels),
clustered by cytomoe with the defaults a user gets, one panel per well coloured by cluster.

    python docs/yeast_clusters.py [PLATE_FOLDER]

PLATE_FOLDER defaults to the shared data's plates/yeast beside the checkout.
"""

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from cytomoe.core.analysis.pipeline import fit_model  # noqa: E402
from cytomoe.core.io.plate import Plate  # noqa: E402
from cytomoe.core.model.settings import ModelSettings  # noqa: E402
from cytomoe.core.preprocessing.panel import Panel  # noqa: E402
from cytomoe.core.preprocessing.transform import arcsinh  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def main() -> int:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO.parent / "shared/data/plates/yeast"
    plate = Plate.open(folder)
    panel = Panel.default_for(plate.samples, plate.channels)
    events = plate.events(compensate_spillover=panel.compensate)
    markers = panel.selected
    cofactors = {m: panel.cofactors[m] for m in markers}
    model = fit_model(events, panel, ModelSettings(), plate.samples[0].spillover)
    clusters = model.labels_
    values = arcsinh(events[markers].to_numpy(), markers, cofactors)
    wells = list(dict.fromkeys(events["well"]))
    columns = 6
    rows = -(-len(wells) // columns)
    figure, axes = plt.subplots(
        rows, columns, figsize=(2.2 * columns, 2.2 * rows), sharex=True, sharey=True
    )
    colours = plt.get_cmap("tab10" if model.n_clusters_ <= 10 else "tab20")
    for axis, well in zip(axes.flat, wells, strict=False):
        cells = (events["well"] == well).to_numpy()
        axis.scatter(
            values[cells, 0],
            values[cells, 1],
            c=[colours(c % colours.N) for c in clusters[cells]],
            s=2,
            linewidths=0,
        )
        axis.set_title(well, fontsize=9)
    for axis in axes.flat[len(wells) :]:
        axis.set_visible(False)
    for axis in axes[-1]:
        axis.set_xlabel(f"asinh({markers[0]})", fontsize=8)
    for axis in axes[:, 0]:
        axis.set_ylabel(f"asinh({markers[1]})", fontsize=8)
    counts = np.bincount(clusters, minlength=model.n_clusters_)
    figure.suptitle(
        f"Yeast plate, {len(wells)} wells: {model.n_clusters_} clusters "
        f"(cells per cluster: {', '.join(str(c) for c in counts)})",
        fontsize=10,
    )
    figure.tight_layout()
    figure.savefig(REPO / "docs" / "yeast_clusters.png", dpi=90)
    print(f"{model.n_clusters_} clusters; docs/yeast_clusters.png written")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
