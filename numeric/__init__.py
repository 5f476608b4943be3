"""Float work: training, float descent, SGD trajectories, import from PyTorch/NumPy, sweeps and plots.

The float counterpart of :mod:`symbolic`. Floats here search and train; every number that is reported
as a fact is recomputed exactly by :mod:`symbolic`. Nothing in :mod:`symbolic` or :mod:`proofs`
imports this package, so the exact side never depends on it (or on its optional dependencies).
"""
