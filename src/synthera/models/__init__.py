"""Generators: one module per model; `base` holds the protocol, `registry` the names."""
