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
