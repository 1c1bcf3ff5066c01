"""Helpers for notebooks run headless: record what a lesson teaches, run kernels quietly.

A lesson's ``parameters`` cell holds ``record_path = ""``. At the end, the lesson
calls :func:`record_results` with the numbers its invariant is about; when
``record_path`` is set (by a test, through papermill), they are written there as
JSON, so the test reads values rather than parsing printed text.

:func:`kernel_manager_class` is the kernel manager that the course's headless
runs (``make course``, ``make notebooks``, the grader) give nbclient and
papermill, so that starting and stopping a kernel prints nothing on stderr.
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path

import numpy as np

__all__ = ["record_results", "kernel_manager_class"]


@lru_cache(maxsize=1)
def kernel_manager_class():
    """jupyter_client's ``AsyncKernelManager`` with two settings of its own, for headless runs.

    Each one removes a message that the course's headless runs printed on stderr for every
    notebook, at its source:

    * *"Kernel is running over TCP without encryption"* (ipykernel 7's warning at start-up):
      jupyter_client (8.10 and later) can provision CurveZMQ keys for a kernel whose
      kernelspec declares ``supported_encryption: ["curve"]`` (ipykernel's does), but
      only when ``transport_encryption`` is ``"auto"`` or ``"required"``; its default
      is ``"disabled"``. This class defaults to ``"auto"`` where pyzmq has CurveZMQ,
      so the kernel's sockets are encrypted and ipykernel has nothing to warn about.
    * *"KeyboardInterrupt caught in kernel"* (ipykernel's log line at shut-down):
      ``shutdown_kernel`` first interrupts the kernel (SIGINT to its process group)
      in case it is busy, then asks it to shut down. A kernel that is handling a
      message when the signal lands logs that line. nbclient shuts a kernel down
      only after the last cell has finished (and interrupts a cell that runs past
      its timeout itself), so this class sends no interrupt while shutting down;
      a kernel that does not stop when asked is still killed after
      ``shutdown_wait_time`` seconds.

    Returns
    -------
    type
        A subclass of ``jupyter_client.manager.AsyncKernelManager``; pass it as
        ``kernel_manager_class`` to nbclient or papermill.
    """
    import zmq
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

    namespace = {"__doc__": "AsyncKernelManager for the course's headless runs (see kernel_manager_class).",
                 "__module__": __name__}

    async def _async_interrupt_kernel(self):
        if self.shutting_down:  # set by shutdown_kernel before it interrupts; see kernel_manager_class
            return
        await AsyncKernelManager._async_interrupt_kernel(self)

    namespace["_async_interrupt_kernel"] = _async_interrupt_kernel
    if "transport_encryption" in AsyncKernelManager.class_traits() and zmq.has("curve"):
        namespace["_transport_encryption_default"] = default("transport_encryption")(lambda self: "auto")
    return type("CourseKernelManager", (AsyncKernelManager,), namespace)


def _plain(value):
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def record_results(record_path, **values):
    """Write ``values`` as JSON to ``record_path``; do nothing when it is empty.

    Parameters
    ----------
    record_path : str
        Where to write; ``""`` (the default in every lesson) writes nothing.
    **values
        JSON-serialisable values (NumPy scalars and arrays are converted).

    Returns
    -------
    dict
        The values as written.
    """
    if not isinstance(record_path, (str, Path)):
        raise TypeError(f"record_path must be a str, got {type(record_path).__name__}")
    plain = _plain(values)
    if str(record_path):
        Path(record_path).write_text(json.dumps(plain, indent=2, sort_keys=True), encoding="utf-8")
    return plain
