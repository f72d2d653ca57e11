"""Judging and looking at clusters: manual labels from columns, files or gates (FlowJo,
Gating-ML, gates drawn in the app), the F-measure against them, and 2-D densities for the
gating plots."""
