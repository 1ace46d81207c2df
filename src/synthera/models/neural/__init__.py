"""PyTorch pieces shared by the neural generators (CTGAN, TVAE), one job per module.

- `device`: which torch device a model runs on (`"auto"`: CUDA when present).
- `randomness`: a torch.Generator seeded from our NumPy generator, and seeded dropout.
- `weights`: module parameters <-> NumPy arrays, for safetensors model files.
- `layout`: the encoder's output spans as index tensors, the per-span activations.
- `sampler`: training-by-sampling (CTGAN) without Python loops: condition vectors and
  matching training rows drawn for a whole batch at once, on the device.
- `training`: the epoch loop, per-epoch losses, progress and early stopping callbacks.
- `fidelity`: a cheap marginal-fidelity score in the encoded space (early stopping).
- `collapse`: the mode-collapse check run after fitting.
"""
