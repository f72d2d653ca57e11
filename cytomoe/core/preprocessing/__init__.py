"""From instrument units to what the model clusters on: the panel (which channels are
markers, their display names and arcsinh cofactors) and the arcsinh transform."""
