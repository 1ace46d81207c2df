"""The default generator: an autoregressive network over tokenised columns.

`tokens` turns every column into integer tokens and back; `network` is the masked
network that predicts each column's token from the columns before it; `model` trains it
and samples from it behind the Synthesizer protocol.
"""

from synthera.models.autoregressive.model import AutoregressiveSynthesizer

__all__ = ["AutoregressiveSynthesizer"]
