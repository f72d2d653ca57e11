"""One analysis from plate to exported clusters (``pipeline``), its settings as a versioned
TOML file (``analysis_file``), and many plates at once (``batch`` on a local or Dask
``scheduler``). The CLI commands and the app call into this layer."""
