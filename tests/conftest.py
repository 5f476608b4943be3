"""Fixtures shared by test modules."""

from __future__ import annotations

import warnings

import pytest


@pytest.fixture(scope="module")
def scheduler():
    """One LocalCluster of 2 worker processes per module (start-up costs a second or two), used by its
    address like a real cluster; skips where the optional dask extra is not installed."""
    import logging

    distributed = pytest.importorskip("distributed", reason="the optional dask extra is not installed")
    with warnings.catch_warnings():  # no dashboard, but its HTTP server still takes a port
        warnings.filterwarnings("ignore", message="Port .* is already in use")
        lc = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                      silence_logs=logging.CRITICAL)
    with lc:
        yield lc.scheduler_address
