"""MoE-Sim-VAE: the scikit-learn-style estimator (``estimator.MoESimVAE``), its network, the
Canberra-UMAP similarity it reproduces, the training loop, the compute device, and the model
settings that analysis files, the CLI and the app share."""
