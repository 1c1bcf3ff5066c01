"""course_utils._parallel: worker processes change the time, never the results or their order."""

import multiprocessing
import os

import pytest

from course_utils._parallel import check_n_jobs, run_tasks


def _pid_and_square(value):
    return os.getpid(), value * value


def test_results_come_back_in_the_order_of_the_tasks():
    tasks = [(v,) for v in range(7)]
    serial = run_tasks(_pid_and_square, tasks, 1)
    parallel = run_tasks(_pid_and_square, tasks, 2)
    assert [square for _, square in parallel] == [square for _, square in serial] == [v * v for v in range(7)]
    assert {pid for pid, _ in serial} == {os.getpid()}
    assert os.getpid() not in {pid for pid, _ in parallel}


def test_prepare_runs_before_forking_only():
    calls = []
    run_tasks(_pid_and_square, [(1,), (2,)], 2, prepare=lambda: calls.append("parallel"))
    run_tasks(_pid_and_square, [(1,), (2,)], 1, prepare=lambda: calls.append("serial"))
    forks = multiprocessing.get_start_method() == "fork"
    assert calls == (["parallel"] if forks else [])


@pytest.mark.parametrize("n_jobs", [0, 1.5, "2", True])
def test_n_jobs_is_checked(n_jobs):
    with pytest.raises((ValueError, TypeError), match="n_jobs"):
        check_n_jobs(n_jobs)
