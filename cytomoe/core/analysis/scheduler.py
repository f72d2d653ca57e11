"""Dask distributed for batch runs: a local cluster of single-threaded worker processes, or
a running cluster reached through its scheduler address."""

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from cytomoe.core.errors import InputError


@contextmanager
def dask_client(workers: int = 2, scheduler: str | None = None) -> Iterator:
    """A ``distributed.Client``; the local cluster it starts is closed on exit.

    One thread per worker process: PyTorch and UMAP use their own threads, so Dask threads
    on top would only compete for the same cores.
    """
    from distributed import Client, LocalCluster

    if scheduler is not None:
        try:
            client = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError) as error:
            raise InputError(f"Cannot reach the Dask scheduler at {scheduler} ({error}).") from None
        try:
            yield client
        finally:
            client.close()
        return
    cluster = LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        silence_logs=logging.ERROR,
    )
    try:
        with Client(cluster) as client:
            yield client
    finally:
        cluster.close()
