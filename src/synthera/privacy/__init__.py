"""Differential privacy: the privacy spec, DP-SGD glue (Opacus), accounting of the whole
pipeline, the DP downstream classifier and the empirical audit."""
