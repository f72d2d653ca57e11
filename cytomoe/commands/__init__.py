"""One module per `cytomoe` subcommand: each has `configure(parser)` and `main(args) -> int`."""
