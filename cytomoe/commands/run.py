"""`cytomoe run INPUT... --out DIR`: cluster events with MoE-Sim-VAE and export the clusters."""

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

# Model options: option -> the MoESimVAE setting it overrides.
MODEL_OPTIONS = {
    "--experts": "n_experts",
    "--iterations": "iterations",
    "--train-cells": "n_train",
    "--seed": "seed",
    "--device": "device",
}

if TYPE_CHECKING:
    from cytomoe.core.analysis.analysis_file import AnalysisSettings, LabelSource
    from cytomoe.core.analysis.pipeline import AnalysisResult
    from cytomoe.core.model.estimator import MoESimVAE


class _SettingOption(argparse.Action):
    """Stores an option's value; its help ends with the setting's default, read from the
    estimator's signature only when help is shown (importing the estimator takes seconds,
    too long for every start of the command line)."""

    def __init__(self, option_strings: Sequence[str], dest: str, setting: str, **kwargs):
        self.setting = setting
        super().__init__(option_strings, dest, **kwargs)

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: object,
        option_string: str | None = None,
    ) -> None:
        setattr(namespace, self.dest, values)

    @property
    def help(self) -> str:
        from cytomoe.core.model.estimator import MoESimVAE

        default = MoESimVAE.setting_parameters()[self.setting].default
        return f"{self._help} (default {default})"

    @help.setter
    def help(self, text: str) -> None:
        self._help = text


def configure(parser: argparse.ArgumentParser) -> None:
    add_analysis_arguments(parser)
    parser.add_argument(
        "--out",
        required=True,
        type=Path,
        metavar="DIR",
        help="output folder (must not exist unless --overwrite)",
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace the outputs cytomoe wrote into DIR before (other files stay)",
    )


def add_analysis_arguments(parser: argparse.ArgumentParser, inputs: bool = True) -> None:
    """Arguments shared by `run` and `demo`: data, panel, labels and model settings."""
    if inputs:
        parser.add_argument(
            "inputs",
            nargs="*",
            metavar="INPUT",
            help="FCS files, plate folders or CSV/TSV event tables",
        )
        parser.add_argument(
            "--config",
            type=Path,
            metavar="ANALYSIS",
            help="analysis file (TOML) with inputs, panel, model and labels",
        )
        parser.add_argument(
            "--sample-sheet", type=Path, metavar="CSV", help="CSV of conditions per file or well"
        )
    data = parser.add_argument_group("panel")
    data.add_argument(
        "--markers",
        metavar="NAMES",
        help="comma-separated channels ($PnN) or markers ($PnS) to cluster on "
        "(default: every marker channel, leaving out scatter, time, DNA, "
        "beads, barcodes and viability)",
    )
    data.add_argument(
        "--cofactor",
        metavar="C|CH=C,...",
        help="arcsinh cofactor for all markers, or per channel "
        "(default: 5 for mass cytometry, 150 for fluorescence)",
    )
    data.add_argument(
        "--no-transform", action="store_true", help="the data is already transformed: no arcsinh"
    )
    data.add_argument(
        "--no-compensation", action="store_true", help="do not apply the files' spillover matrices"
    )
    add_rename_argument(data)
    add_label_arguments(parser)
    model = parser.add_argument_group("model")
    for option, kind, metavar, text in (
        ("--experts", int, "K", "number of experts, an upper bound on clusters"),
        ("--iterations", int, "N", "training iterations"),
        ("--train-cells", int, "N", "training cells, drawn evenly across wells"),
        ("--seed", int, "N", "random seed"),
        ("--device", str, "NAME", "auto, cpu, cuda, cuda:N or mps"),
    ):
        model.add_argument(
            option,
            type=kind,
            metavar=metavar,
            help=text,
            action=_SettingOption,
            setting=MODEL_OPTIONS[option],
        )
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def add_label_arguments(parser: argparse.ArgumentParser) -> None:
    """Where the manual labels come from (`run`, `demo` and `apply`)."""
    labels = parser.add_argument_group("manual labels (for the F-measure)")
    source = labels.add_mutually_exclusive_group()
    source.add_argument("--labels", metavar="COLUMN", help="column of the data holding labels")
    source.add_argument(
        "--labels-file", type=Path, metavar="FILE", help="file with one label per event"
    )
    source.add_argument(
        "--gates",
        type=Path,
        metavar="FILE",
        help="FlowJo workspace (.wsp) or Gating-ML (.xml): leaf gates",
    )
    labels.add_argument(
        "--unlabeled",
        nargs="+",
        default=[],
        metavar="VALUE",
        help="label values meaning 'not gated' besides NaN, empty, "
        "Unlabeled, Unknown and unassigned (e.g. 0)",
    )


def label_source(
    args: argparse.Namespace, current: "LabelSource | None" = None
) -> "LabelSource | None":
    """The label source the options name, else ``current`` (with --unlabeled applied)."""
    from cytomoe.core.analysis.analysis_file import LabelSource

    unlabeled = list(args.unlabeled)
    if args.labels:
        return LabelSource("column", args.labels, unlabeled)
    if args.labels_file:
        return LabelSource("file", str(args.labels_file), unlabeled)
    if args.gates:
        return LabelSource("gates", str(args.gates), unlabeled)
    if current is not None and unlabeled:
        current.unlabeled = unlabeled
    return current


def settings_from_arguments(args: argparse.Namespace) -> "AnalysisSettings":
    """An `AnalysisSettings` from an analysis file (if given) overridden by the options."""
    from dataclasses import replace

    from cytomoe.core.analysis.analysis_file import AnalysisSettings
    from cytomoe.core.errors import InputError
    from cytomoe.core.model.parameters import InvalidSetting

    settings = AnalysisSettings()
    if getattr(args, "config", None):
        from cytomoe.core.analysis.analysis_file import load_analysis

        settings = load_analysis(args.config)
    if getattr(args, "inputs", None):
        settings.inputs = [str(p) for p in args.inputs]
    if getattr(args, "sample_sheet", None):
        settings.sample_sheet = str(args.sample_sheet)
    given = {  # setting -> (option, value) for the model options on the command line
        setting: (option, getattr(args, option[2:].replace("-", "_")))
        for option, setting in MODEL_OPTIONS.items()
        if getattr(args, option[2:].replace("-", "_")) is not None
    }
    try:
        settings.model = replace(settings.model, **{k: v for k, (_, v) in given.items()})
    except InvalidSetting as error:
        raise InputError(f"{given[error.name][0]} {error.problem}.") from None
    settings.labels = label_source(args, settings.labels)
    if args.markers:
        settings.markers = [m.strip() for m in args.markers.split(",") if m.strip()]
    if args.cofactor:
        settings.cofactors = _cofactors(args.cofactor)
    if args.no_transform:
        settings.transform = False
    if args.no_compensation:
        settings.compensate = False
    if args.rename:
        settings.channel_names = channel_names(args.rename)
    return settings


def add_rename_argument(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    parser.add_argument(
        "--rename",
        metavar="OLD=NEW,...",
        help="rename channels ($PnN) on reading, e.g. 'PacificBlue-A=Pacific Blue-A' to "
        "match the names of a model or of other plates",
    )


def channel_names(text: str) -> dict[str, str]:
    """'OLD=NEW,OLD2=NEW2' as a mapping; anything else is refused in one sentence."""
    from cytomoe.core.errors import InputError

    names = {}
    for pair in (p for p in text.split(",") if p.strip()):
        old, equals, new = pair.partition("=")
        if not equals or not old.strip() or not new.strip():
            raise InputError(f"--rename takes OLD=NEW pairs separated by commas, not '{pair}'.")
        names[old.strip()] = new.strip()
    return names


def _cofactors(text: str) -> str | dict[str, str]:
    """'5' or 'CD3=5,CD4=150' (checked when the panel is resolved against the data)."""
    if "=" not in text:
        return text
    pairs = (pair.partition("=") for pair in text.split(",") if pair.strip())
    return {name.strip(): value.strip() for name, _, value in pairs}


def run_with_arguments(
    args: argparse.Namespace,
    settings: "AnalysisSettings",
    out_dir: Path,
    model: "MoESimVAE | None" = None,
) -> dict:
    """Check the output folder, then train (or use ``model``), assign, evaluate and write
    through the pipeline's one path; print what happened."""
    from cytomoe.commands.terminal import TerminalProgress
    from cytomoe.core.analysis.pipeline import build_report, run_analysis

    with TerminalProgress(args.quiet) as progress:
        result = run_analysis(settings, out_dir, args.overwrite, model, progress)
    for failure in result.plate.failures:
        print(f"skipped unreadable file: {failure}")
    report = build_report(result, settings)
    print_summary(report, result, out_dir)
    return report


def print_summary(report: dict, result: "AnalysisResult", out_dir: Path) -> None:
    sizes = report["cluster_sizes"]
    total = max(1, sum(sizes))
    print("panel (compensated):" if result.panel.compensate else "panel:")
    for line in result.panel.describe():
        print(f"  {line}")
    print(
        f"{report['n_events']} events from {len(result.plate.samples)} sample(s), "
        f"{len(report['markers'])} markers -> {report['n_clusters']} clusters "
        f"({', '.join(f'{100 * s / total:.1f}%' for s in sizes[:8])}"
        f"{', ...' if len(sizes) > 8 else ''})"
    )
    if "f_measure" in report:
        print(
            f"F-measure {report['f_measure']:.3f} (FlowCAP-I weighted "
            f"{report['f_measure_flowcap']:.3f}), NMI {report['nmi']:.3f}, "
            f"ARI {report['ari']:.3f} over {report['n_labelled']} labelled events"
        )
    timing = report["timings"]
    print(
        f"time: {sum(timing.values()):.1f} s ("
        + ", ".join(f"{k} {v:.1f} s" for k, v in timing.items())
        + ")"
    )
    print(f"written to {out_dir}")


def main(args: argparse.Namespace) -> int:
    settings = settings_from_arguments(args)
    run_with_arguments(args, settings, args.out)
    return 0
