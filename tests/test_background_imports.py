"""torch and the output libraries are imported beside UMAP's layout, not before it."""

import subprocess
import sys


def run_python(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_nothing_on_the_way_to_the_embedding_imports_torch():
    # A fit stopped where the embedding starts: the settings, the network's size, the
    # training cells and the scaler are all done by then.
    code = """
import sys
import numpy as np
import cytomoe.commands.run, cytomoe.core.analysis.pipeline
from cytomoe.core.model import similarity
from cytomoe.core.model.estimator import MoESimVAE

class Embedding(Exception):
    pass

def prepare(self, *args, **kwargs):
    raise Embedding("torch" in sys.modules)

similarity.PopulationSimilarity.prepare = prepare
try:
    MoESimVAE(iterations=10).fit(np.random.default_rng(0).normal(size=(500, 4)))
except Embedding as stop:
    print(stop.args[0])
"""
    assert run_python(code) == "False"


def test_the_layout_imports_torch_anndata_and_the_compiled_kernels_beside_its_epochs():
    code = """
import sys
import numpy as np
from sklearn.neighbors import NearestNeighbors
from cytomoe.core.model.embedding import fuzzy_graph_from_neighbours, umap_layout

data = np.random.default_rng(0).normal(size=(300, 3)).astype(np.float32)
distances, indices = NearestNeighbors(n_neighbors=15).fit(data).kneighbors(data)
graph = fuzzy_graph_from_neighbours(indices, distances, 15)
names = (
    "torch", "anndata", "cytomoe.core.model.reachability_tree", "cytomoe.core.model.pair_kernels"
)
before = [name in sys.modules for name in names]
umap_layout(data, graph, 0)
print(before, [name in sys.modules for name in names])
"""
    assert run_python(code) == "[False, False, False, False] [True, True, True, True]"
