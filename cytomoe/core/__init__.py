"""Everything that computes. Never imports Qt: usable from scripts and notebooks."""
