"""Tasks run side by side in worker processes, for the grids that repeat one computation per seed.

Every grid of the course takes ``n_jobs`` and returns the same rows whatever its
value: each task reads only its own seed's split, and the results come back in
the order of the tasks.
"""

from __future__ import annotations

from ._validation import check_number

__all__ = ["check_n_jobs", "run_tasks"]


def check_n_jobs(n_jobs):
    """``n_jobs`` as an int: a positive number of processes, or negative for all cores but ``|n_jobs| - 1``."""
    if check_number(n_jobs, "n_jobs", integer=True) == 0:
        raise ValueError("n_jobs must be a positive number of processes, or negative for all cores but |n_jobs| - 1")
    return int(n_jobs)


def run_tasks(function, tasks, n_jobs, prepare=None):
    """``[function(*task) for task in tasks]``, in up to ``n_jobs`` worker processes when more than one.

    The workers are a ``multiprocessing.Pool`` started the platform's default way:
    forked on Linux, where a worker is ready in milliseconds with everything the
    notebook has already imported and computed, spawned elsewhere. joblib's
    default (loky) spawns fresh interpreters that import scikit-learn again: on two
    cores that took about as long as the work it shared out. joblib's own
    ``multiprocessing`` backend forks too, but the kernel that used it sometimes
    took two seconds longer to shut down. ``prepare()``, when given, fills this
    process's caches before it forks, so that the workers inherit them instead of
    each computing them again (and they are there for later calls). Results come
    back in the order of ``tasks``.

    Parameters
    ----------
    function : callable
        Importable by name (a module-level function), so that spawned workers find it.
    tasks : list of tuple
        The arguments of each call.
    n_jobs : int
        Worker processes (-1: one per core); 1 runs the tasks here, one after another.
    prepare : callable, default=None
        Called with no arguments before forking (not before spawning, where the
        workers could not inherit what it computes).

    Returns
    -------
    list
        ``function(*task)`` for each task, in order.
    """
    import multiprocessing

    from joblib import effective_n_jobs

    tasks = list(tasks)
    processes = min(effective_n_jobs(check_n_jobs(n_jobs)), len(tasks))
    if processes <= 1:
        return [function(*task) for task in tasks]
    context = multiprocessing.get_context()
    if prepare is not None and context.get_start_method() == "fork":
        prepare()
    with context.Pool(processes) as pool:
        return pool.starmap(function, tasks, chunksize=1)
