"""cytomoe: MoE-Sim-VAE clustering of flow and mass cytometry plates."""

__version__ = "0.1.0"
