"""The `cytomoe` command line itself: global flags, subcommands."""

from cytomoe.cli import COMMANDS, build_parser


def test_debug_is_accepted_after_the_subcommand():
    args = build_parser().parse_args(["info", "plate", "--debug"])
    assert args.debug is True


def test_debug_before_the_subcommand_is_kept():
    args = build_parser().parse_args(["--debug", "info", "plate"])
    assert args.debug is True


def test_debug_is_off_unless_asked():
    args = build_parser().parse_args(["info", "plate"])
    assert args.debug is False


def test_every_listed_subcommand_is_built():
    parser = build_parser()
    (subparsers,) = [a for a in parser._actions if a.dest == "command"]
    assert set(subparsers.choices) == set(COMMANDS)


def test_gui_without_a_display_analyses_the_given_path_into_a_new_folder(monkeypatch, tmp_path):
    from cytomoe.commands import gui

    calls = []
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(gui, "has_display", lambda: False)
    monkeypatch.setattr("cytomoe.cli.main", lambda argv: calls.append(argv) or 0)
    (tmp_path / "cytomoe-plateA").mkdir()  # an earlier result is never reused
    args = build_parser().parse_args(["gui", "plateA"])
    assert gui.main(args) == 0
    assert calls == [["run", "plateA", "--out", "cytomoe-plateA-2"]]


def test_gui_without_a_display_and_without_paths_runs_the_demo(monkeypatch):
    from cytomoe.commands import gui

    calls = []
    monkeypatch.setattr(gui, "has_display", lambda: False)
    monkeypatch.setattr("cytomoe.cli.main", lambda argv: calls.append(argv) or 0)
    assert gui.main(build_parser().parse_args(["gui"])) == 0
    assert calls == [["demo"]]


def test_progress_in_a_log_file_is_a_line_per_stage_start_and_end():
    import io

    from cytomoe.commands.terminal import TerminalProgress
    from cytomoe.core.progress import Progress

    log = io.StringIO()  # not a terminal, like a cluster job's output file
    with TerminalProgress(stream=log) as progress:
        progress(Progress("embed", 0, 2, "Canberra-UMAP embedding"))
        progress(Progress("embed", 1, 2))
        progress(Progress("train", 10, 100))
    lines = log.getvalue().splitlines()
    assert len(lines) == 4
    assert "Similarity (UMAP) started: Canberra-UMAP embedding" in lines[0]
    assert "Similarity (UMAP) done in" in lines[1]
    assert "Training started" in lines[2] and "Training done in" in lines[3]


def test_progress_bars_show_the_step_and_the_stages_own_time_left(monkeypatch):
    import io

    from cytomoe.commands.terminal import TerminalProgress
    from cytomoe.core.progress import Progress

    screen = io.StringIO()
    monkeypatch.setattr(screen, "isatty", lambda: True, raising=False)
    with TerminalProgress(stream=screen) as progress:
        progress(Progress("embed", 0.5, 2, "Layout epoch 20 of 200", {"eta": 41.6}))
        shown = screen.getvalue()
    assert "Layout epoch 20 of 200" in shown and "left=42 s" in shown


def test_quiet_progress_writes_nothing():
    import io

    from cytomoe.commands.terminal import TerminalProgress
    from cytomoe.core.progress import Progress

    log = io.StringIO()
    with TerminalProgress(quiet=True, stream=log) as progress:
        progress(Progress("train", 1, 2))
    assert log.getvalue() == ""


def test_demo_keeps_its_outputs_in_a_named_folder(monkeypatch, tmp_path, capsys):
    from cytomoe.cli import main

    monkeypatch.chdir(tmp_path)
    quick = ["--iterations", "20", "--train-cells", "500", "--quiet"]
    assert main(["demo", *quick]) == 0
    assert "written to cytomoe-demo" in capsys.readouterr().out
    assert (tmp_path / "cytomoe-demo" / "report.json").is_file()
    assert main(["demo", *quick]) == 0  # a second demo never overwrites the first
    assert (tmp_path / "cytomoe-demo-2" / "report.json").is_file()


def program_run(tmp_path, *args: str):
    """`cytomoe ARGS` through ``program`` in a new process, with an exit handler of its own
    that leaves a file behind when it runs."""
    import subprocess
    import sys

    marker = tmp_path / "exit-handler-ran"
    script = (
        "import atexit, pathlib, sys\n"
        f"atexit.register(pathlib.Path({str(marker)!r}).write_text, 'yes')\n"
        "from cytomoe.cli import program\n"
        "sys.argv = ['cytomoe', *sys.argv[1:]]\n"
        "program()\n"
    )
    result = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True)
    return result, marker.is_file()


def test_the_program_ends_after_its_exit_handlers_with_its_output_delivered(tmp_path):
    from cytomoe.resources import resource_path

    demo = resource_path("demo/multicenter_pbmc_sample1_6k.csv")
    result, handler_ran = program_run(tmp_path, "info", str(demo))
    assert result.returncode == 0 and handler_ran
    assert "6000 events x 8 channels" in result.stdout  # buffered output reached the pipe

    result, handler_ran = program_run(tmp_path, "info", str(tmp_path / "missing.fcs"))
    assert result.returncode == 2 and handler_ran
    assert "missing.fcs" in result.stderr
