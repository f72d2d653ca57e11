"""The colour maps report.html draws with, as small anchor tables: no plotting library needed.

A continuous map is its anchors evenly spaced from 0 to 1, linearly interpolated between;
a listed map is its colours in order. The tables were read once from matplotlib 3.x and
match its colour maps to within a few 1/255 steps."""

import numpy as np

# ColorBrewer (Cynthia Brewer, Penn State), Apache-2.0-style licence: matplotlib's own tables.
_RD_YL_BU = (
    "#a50026 #d73027 #f46d43 #fdae61 #fee090 #ffffbf #e0f3f8 #abd9e9 #74add1 #4575b4 #313695"
)
_BLUES = "#f7fbff #deebf7 #c6dbef #9ecae1 #6baed6 #4292c6 #2171b5 #08519c #08306b"
_GREYS = "#ffffff #f0f0f0 #d9d9d9 #bdbdbd #969696 #737373 #525252 #252525 #000000"
# matplotlib's perceptually uniform plasma (van der Walt and Smith), CC0: 17 of its 256 colours.
_PLASMA = (
    "#0d0887 #310597 #4c02a1 #6600a7 #7e03a8 #9511a1 #aa2395 #bc3587 #cc4778 #da5a6a #e66c5c "
    "#f0804e #f89540 #fdac33 #fdc527 #f8df25 #f0f921"
)
# matplotlib's listed colours after Tableau's category palettes (tab20, tab20b).
_TAB20 = (
    "#1f77b4 #aec7e8 #ff7f0e #ffbb78 #2ca02c #98df8a #d62728 #ff9896 #9467bd #c5b0d5 "
    "#8c564b #c49c94 #e377c2 #f7b6d2 #7f7f7f #c7c7c7 #bcbd22 #dbdb8d #17becf #9edae5"
)
_TAB20B = (
    "#393b79 #5254a3 #6b6ecf #9c9ede #637939 #8ca252 #b5cf6b #cedb9c #8c6d31 #bd9e39 "
    "#e7ba52 #e7cb94 #843c39 #ad494a #d6616b #e7969c #7b4173 #a55194 #ce6dbd #de9ed6"
)
CONTINUOUS = {"RdYlBu": _RD_YL_BU, "Blues": _BLUES, "Greys": _GREYS, "plasma": _PLASMA}
LISTED = {"tab20": _TAB20, "tab20b": _TAB20B}


def _rgb(table: str) -> np.ndarray:
    """The colours of a table as rows of red, green, blue in 0..1."""
    return np.array([[int(c[i : i + 2], 16) / 255 for i in (1, 3, 5)] for c in table.split()])


def colormap(name: str, fractions: np.ndarray) -> np.ndarray:
    """RGBA (0..1, opaque) of the continuous map ``name`` at ``fractions``, clipped to 0..1;
    ``name`` ending in ``_r`` runs the map backwards, as in matplotlib."""
    reverse = name.endswith("_r")
    anchors = _rgb(CONTINUOUS[name.removesuffix("_r")])
    if reverse:
        anchors = anchors[::-1]
    fractions = np.clip(np.asarray(fractions, dtype=np.float64), 0.0, 1.0)
    positions = np.linspace(0.0, 1.0, len(anchors))
    channels = [np.interp(fractions, positions, anchors[:, i]) for i in range(3)]
    return np.stack([*channels, np.ones_like(fractions)], axis=-1)


def listed_colors(name: str) -> list[str]:
    """The colours of the listed map ``name``, as ``#rrggbb``."""
    return LISTED[name].split()
