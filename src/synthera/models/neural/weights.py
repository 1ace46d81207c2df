"""Module weights <-> NumPy arrays, so models save as safetensors and never as pickles."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch

from synthera.errors import ModelFileError


def module_to_arrays(module: torch.nn.Module) -> dict[str, np.ndarray]:
    """Every parameter and buffer of `module` as a CPU NumPy array, by state-dict name."""
    return {
        name: tensor.detach().cpu().numpy().copy() for name, tensor in module.state_dict().items()
    }


def arrays_into_module(
    module: torch.nn.Module, arrays: Mapping[str, np.ndarray], what: str
) -> None:
    """Load `arrays` into `module`, refusing missing, extra or mis-shaped tensors."""
    expected = module.state_dict()
    missing = sorted(set(expected) - set(arrays))
    extra = sorted(set(arrays) - set(expected))
    if missing or extra:
        raise ModelFileError(
            f"{what} weights do not fit the network: missing {missing[:3]}, unexpected {extra[:3]}"
        )
    state: dict[str, torch.Tensor] = {}
    for name, target in expected.items():
        array = np.asarray(arrays[name])
        if array.size == 1 and target.numel() == 1:  # scalars may come back as shape (1,)
            array = array.reshape(tuple(target.shape))
        if tuple(array.shape) != tuple(target.shape):
            raise ModelFileError(
                f"{what} weight {name!r} has shape {array.shape}, expected {tuple(target.shape)}"
            )
        state[name] = torch.as_tensor(array, dtype=target.dtype)
    module.load_state_dict(state)
