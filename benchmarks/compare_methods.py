"""cytomoe against FlowSOM and k-means on every labelled sample (benchmarks/suite.py).

    python benchmarks/compare_methods.py --suite all [--seeds 1] [--ablation] [--write]
    python benchmarks/compare_methods.py --samples MC1 barcode --methods regions

Methods: cytomoe with the defaults a user gets; FlowSOM (10 x 10 grid) with 10 metaclusters
and with k = the number of gated populations; k-means with k = populations. ``--ablation``
adds (a) ``regions``: the populations of the similarity alone (Canberra-UMAP embedding and
its regions, no network; cells outside the training subsample take the region of their
nearest training cells) and (c) ``paper-kNN``: MoE-Sim-VAE trained on the paper's per-batch
kNN similarity without the regions (no anchor, no merging by region). Scores: the Weber &
Robinson F-measure (Hungarian one-to-one, unweighted over populations), NMI, ARI, number of
clusters, seconds of one clustering in-process (imports and compilation excluded).

Each result is appended to ``benchmarks/output/suite.csv`` as soon as it is measured, and a
(sample, method, seed) already there is not run again: a run resumes, and ``--table``
rebuilds the tables from the file alone. ``--write`` replaces the clusters section of
benchmarks/RESULTS.md with the tables of the methods and seeds just asked for.
"""

import argparse
import datetime
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from suite import SAMPLES, SEEDED_SAMPLES, Sample, load

from cytomoe.core.evaluation.fmeasure import evaluate
from cytomoe.core.model.estimator import MoESimVAE
from cytomoe.core.model.scaling import CytometryScaler

REPO = Path(__file__).resolve().parents[1]
OUTPUT = REPO / "benchmarks" / "output"
RESULTS = REPO / "benchmarks" / "RESULTS.md"
SECTION = "# cytomoe vs FlowSOM vs k-means"
ABLATION_SECTION = "# Ablation: regions, MoE-Sim-VAE, the paper's per-batch kNN"


def save_embedding(name: str, seed: int, rows: np.ndarray, source, clusters: np.ndarray) -> None:
    """Keep a run's embedding and regions, to explore region criteria without embedding again
    (benchmarks/region_criteria.py)."""
    (OUTPUT / "embeddings").mkdir(parents=True, exist_ok=True)
    np.savez(
        OUTPUT / "embeddings" / f"{name}_seed{seed}.npz",
        rows=rows,
        embedding=source.embedding_,
        regions=source.regions_,
        populations=source.populations_,
        clusters=clusters,
    )


def sweep_kept_embeddings(description: str, sweep, csv_name: str) -> pd.DataFrame:
    """``sweep(name, seed)``'s rows for every sample (``--samples``, ``--seed`` from the
    command line) whose embedding a run kept, written to benchmarks/output/``csv_name`` too
    (region_criteria.py, minimum_populations.py)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--samples", nargs="+", default=list(SAMPLES))
    args = parser.parse_args()
    tables = []
    for name in args.samples:
        if (OUTPUT / "embeddings" / f"{name}_seed{args.seed}.npz").exists():
            print(f"  {name} ...", file=sys.stderr, flush=True)
            tables.append(sweep(name, args.seed))
    table = pd.concat(tables)
    table.to_csv(OUTPUT / csv_name, index=False)
    return table


def run_cytomoe(sample: Sample, seed: int) -> np.ndarray:
    model = MoESimVAE(seed=seed, markers=sample.markers, cofactors=sample.cofactors)
    clusters = model.fit_predict(sample.events)
    save_embedding(sample.name, seed, model.training_rows_, model.similarity_, clusters)
    return clusters


class PaperKnnMoESimVAE(MoESimVAE):
    """MoE-Sim-VAE on the paper's per-batch kNN similarity of the Canberra-UMAP embedding
    (METHOD.md §2): no regions, so no anchor and no merging of experts by region."""

    def _similarity_source(self, y):
        source = super()._similarity_source(y)
        source.use_populations = False
        return source


def run_paper_knn(sample: Sample, seed: int) -> np.ndarray:
    model = PaperKnnMoESimVAE(seed=seed, markers=sample.markers, cofactors=sample.cofactors)
    return model.fit_predict(sample.events)


def run_regions(sample: Sample, seed: int) -> np.ndarray:
    """The similarity's populations alone, prepared on the training cells exactly as the
    estimator prepares them; every cell takes the majority region of its 15 nearest
    training cells that lie in a region (scaled markers)."""
    from sklearn.neighbors import KNeighborsClassifier

    model = MoESimVAE(seed=seed)
    source = model._similarity_source(None)
    rows, data, scaler = scaled_training_cells(model, sample)
    source.prepare(data, seed)
    inside = source.populations_ >= 0
    if not inside.any():
        return np.zeros(len(sample.events), dtype=np.int64)
    classifier = KNeighborsClassifier(n_neighbors=min(15, int(inside.sum())))
    classifier.fit(data[inside], source.populations_[inside])
    clusters = classifier.predict(scaler.transform(sample.events))
    save_embedding(sample.name, seed, rows, source, clusters)
    return clusters


def scaled_training_cells(
    model: MoESimVAE, sample: Sample
) -> tuple[np.ndarray, np.ndarray, CytometryScaler]:
    """The estimator's training subsample, scaled as it scales them, and the scaler."""
    from cytomoe.core.model.training import even_subsample

    rng = np.random.default_rng(model.seed)
    rows = even_subsample(np.zeros(len(sample.events), np.int64), model.n_train, rng)
    training = sample.events.iloc[rows]
    scaler = CytometryScaler(sample.markers, sample.cofactors).fit(training)
    return rows, scaler.transform(training), scaler


def _flowsom(sample: Sample, seed: int, k: int) -> np.ndarray:
    import flowsom

    result = flowsom.FlowSOM(
        sample.transformed(),
        cols_to_use=list(range(len(sample.markers))),
        n_clusters=k,
        xdim=10,
        ydim=10,
        seed=seed,
    )
    return result.get_cell_data().obs["metaclustering"].to_numpy()


def run_flowsom_10(sample: Sample, seed: int) -> np.ndarray:
    return _flowsom(sample, seed, 10)


def run_flowsom_populations(sample: Sample, seed: int) -> np.ndarray:
    return _flowsom(sample, seed, max(2, sample.n_populations))


def run_kmeans(sample: Sample, seed: int) -> np.ndarray:
    from sklearn.cluster import KMeans

    k = sample.n_populations
    return KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(sample.transformed())


METHODS = {
    "cytomoe": run_cytomoe,
    "FlowSOM k=10": run_flowsom_10,
    "FlowSOM k=pops": run_flowsom_populations,
    "k-means k=pops": run_kmeans,
    "regions": run_regions,
    "paper-kNN": run_paper_knn,
}
MAIN_METHODS = ["cytomoe", "FlowSOM k=10", "FlowSOM k=pops", "k-means k=pops"]
ABLATION_METHODS = ["regions", "cytomoe", "paper-kNN"]
COLUMNS = ["sample", "family", "method", "seed", "F", "NMI", "ARI", "clusters", "populations"]


def measure(sample: Sample, method: str, seed: int) -> dict:
    started = time.perf_counter()
    clusters = METHODS[method](sample, seed)
    seconds = time.perf_counter() - started
    score = evaluate(sample.truth, clusters)
    return {
        "sample": sample.name,
        "family": sample.family,
        "method": method,
        "seed": seed,
        "F": score.f_measure,
        "NMI": score.nmi,
        "ARI": score.ari,
        "clusters": len(np.unique(clusters)),
        "populations": sample.n_populations,
        "seconds": seconds,
    }


def run(jobs: list[tuple[str, str, int]], results: Path) -> pd.DataFrame:
    """Measure every (sample, method, seed) not yet in ``results``, appending each row."""
    done = pd.read_csv(results) if results.exists() else pd.DataFrame(columns=COLUMNS)
    have = set(zip(done["sample"], done["method"], done["seed"].astype(int), strict=True))
    loaded: dict[str, Sample] = {}
    for name, method, seed in jobs:
        if (name, method, seed) in have:
            continue
        if name not in loaded:
            loaded.clear()
            loaded[name] = load(name)
        print(f"  {name}: {method}, seed {seed} ...", file=sys.stderr, flush=True)
        row = pd.DataFrame([measure(loaded[name], method, seed)])
        print(row.to_string(index=False, header=False), file=sys.stderr, flush=True)
        row.to_csv(results, mode="a", header=not results.exists(), index=False)
    return pd.read_csv(results)


def per_sample_table(rows: pd.DataFrame, methods: list[str]) -> pd.DataFrame:
    """F (clusters) per sample and method, then each family's mean, the mean over the samples
    and the mean of the family means (each data set counts once), all over the samples that
    every method has run on."""
    rows = rows[rows["method"].isin(methods)]
    mean = rows.groupby(["family", "sample", "method"], sort=False).mean(numeric_only=True)
    f_table = mean["F"].unstack("method")[methods]
    clusters = mean["clusters"].unstack("method")[methods]
    populations = mean["populations"].groupby(level=[0, 1], sort=False).first()
    table = f_table.map(lambda v: f"{v:.3f}") + clusters.map(lambda c: f" ({c:.0f})")
    table = table.where(f_table.notna(), "not run")
    table.insert(0, "populations", populations.astype(int))
    f_table = f_table.dropna()  # the means compare the methods on the same samples
    family = f_table.groupby(level=0, sort=False).mean()
    family.index = pd.MultiIndex.from_tuples([(f, "family mean") for f in family.index])
    family_table = family.map(lambda v: f"{v:.3f}")
    family_table.insert(0, "populations", "")
    overall = pd.DataFrame(
        [f_table.mean(), family.mean()],
        index=pd.MultiIndex.from_tuples([("all", "mean"), ("all", "mean of family means")]),
    )
    overall_table = overall.map(lambda v: f"**{v:.3f}**")
    overall_table.insert(0, "populations", "")
    return pd.concat([table, family_table, overall_table]).reset_index(names=["family", "sample"])


def summary_table(rows: pd.DataFrame, methods: list[str]) -> pd.DataFrame:
    """Per method, over the samples every method has run on: mean F / NMI / ARI, median
    clusters / populations, mean seconds."""
    rows = rows[rows["method"].isin(methods)]
    complete = rows.groupby("sample")["method"].nunique() == len(methods)
    rows = rows[rows["sample"].isin(complete[complete].index)]
    per_sample = rows.groupby(["sample", "method"]).mean(numeric_only=True).reset_index()
    per_sample["ratio"] = per_sample["clusters"] / per_sample["populations"]
    grouped = per_sample.groupby("method")
    table = pd.DataFrame(
        {
            "samples": grouped.size(),
            "mean F": grouped["F"].mean().map("{:.3f}".format),
            "mean NMI": grouped["NMI"].mean().map("{:.3f}".format),
            "mean ARI": grouped["ARI"].mean().map("{:.3f}".format),
            "median clusters / populations": grouped["ratio"].median().map("{:.2f}".format),
            "mean seconds": grouped["seconds"].mean().map("{:.1f}".format),
        }
    ).reindex(methods)
    return table.reset_index(names="method")


def seeds_table(rows: pd.DataFrame, methods: list[str]) -> pd.DataFrame:
    """F mean ± sd over the seeds, per sample measured with more than one seed."""
    rows = rows[rows["method"].isin(methods)]
    seeded = rows.groupby("sample")["seed"].nunique()
    rows = rows[rows["sample"].isin(seeded[seeded > 1].index)]
    grouped = rows.groupby(["sample", "method"], sort=False)["F"]
    text = grouped.mean().map("{:.3f}".format) + " ± " + grouped.std(ddof=0).map("{:.3f}".format)
    text += " (" + grouped.size().astype(str) + ")"
    return text.unstack("method").reindex(columns=methods).reset_index()


def markdown(table: pd.DataFrame) -> str:
    lines = ["| " + " | ".join(map(str, table.columns)) + " |", "|" + "---|" * len(table.columns)]
    lines += ["| " + " | ".join(map(str, row)) + " |" for row in table.itertuples(index=False)]
    return "\n".join(lines)


def write_results(section: str, text: str) -> None:
    """Replace ``section`` of RESULTS.md (from its title to the next '# '), or append it."""
    old = RESULTS.read_text() if RESULTS.exists() else ""
    start = old.find(section)
    if start < 0:
        RESULTS.write_text(old + ("\n" if old else "") + text)
        return
    end = old.find("\n# ", start + len(section))
    RESULTS.write_text(old[:start] + text + (old[end:] if end >= 0 else ""))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", choices=["all"], help="every sample of benchmarks/suite.py")
    parser.add_argument("--samples", nargs="+", choices=list(SAMPLES), default=[])
    parser.add_argument("--methods", nargs="+", choices=list(METHODS))
    parser.add_argument("--ablation", action="store_true", help="regions, cytomoe, paper-kNN")
    parser.add_argument("--seeds", type=int, default=1, help="seeds for every sample")
    parser.add_argument(
        "--seeded", type=int, default=0, help=f"seeds for {', '.join(SEEDED_SAMPLES)}"
    )
    parser.add_argument("--results", type=Path, default=OUTPUT / "suite.csv")
    parser.add_argument("--table", action="store_true", help="only rebuild the tables")
    parser.add_argument("--write", action="store_true", help="write RESULTS.md")
    args = parser.parse_args()
    names = list(SAMPLES) if args.suite == "all" else args.samples
    methods = args.methods or (ABLATION_METHODS if args.ablation else MAIN_METHODS)
    jobs = [(n, m, s) for n in names for s in range(args.seeds) for m in methods]
    jobs += [
        (n, m, s)
        for n in SEEDED_SAMPLES
        if n in names
        for s in range(args.seeds, args.seeded)
        for m in methods
    ]
    args.results.parent.mkdir(parents=True, exist_ok=True)
    if args.table:
        rows = pd.read_csv(args.results)
    else:
        rows = run(jobs, args.results)
    rows = rows[rows["sample"].isin(names) & rows["method"].isin(methods)]
    single = rows[rows["seed"] == 0]
    tables = [
        ("F (clusters found) per sample, seed 0", per_sample_table(single, methods)),
        ("Summary over the samples, seed 0", summary_table(single, methods)),
    ]
    if rows["seed"].max() > 0:
        tables.append(("F over seeds (mean ± sd, number of seeds)", seeds_table(rows, methods)))
    text = "\n\n".join(f"{title}:\n\n{markdown(table)}" for title, table in tables)
    print(text)
    if args.write:
        command = "python benchmarks/compare_methods.py " + " ".join(sys.argv[1:])
        stamp = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
        section = ABLATION_SECTION if args.ablation else SECTION
        write_results(
            section,
            f"{section}\n\nMeasured up to {stamp} on a 2-core CPU machine shared with other "
            f"work:\n\n    {command}\n\n{text}\n",
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
