"""agents.executors without Ray: the serial and process executors, retries and failures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from agents.executors import ExecutorError, run_jobs


def square_unless_three(x: int) -> int:
    if x == 3:
        raise ValueError("job three is bad")
    return x * x


def dies_the_first_time(x: int, marker: str) -> int:
    """Kills its worker process on the first call with ``x == 1`` (``marker`` notes the call)."""
    if x == 1 and not Path(marker).exists():
        Path(marker).write_text("died once")
        os._exit(3)
    return x + 100


def fails_the_first_time(x: int, marker: str) -> int:
    if not Path(marker).exists():
        Path(marker).write_text("failed once")
        raise RuntimeError("transient")
    return x


@pytest.mark.parametrize("executor", ["serial", "process"])
def test_run_jobs__a_raising_job_is_retried_once_then_reported_and_the_rest_finish(executor):
    seen = []
    outcomes = run_jobs(
        square_unless_three, [(x,) for x in range(5)], executor, workers=2, on_done=seen.append
    )
    assert [o.args for o in outcomes] == [(x,) for x in range(5)]  # the jobs' order
    assert [o.value for o in outcomes] == [0, 1, 4, None, 16]
    bad = outcomes[3]
    assert not bad.ok and bad.attempts == 2
    assert bad.error == "ValueError: job three is bad"
    assert all(o.ok and o.attempts == 1 for i, o in enumerate(outcomes) if i != 3)
    assert len(seen) == 5  # on_done saw every job once, the failed one too


@pytest.mark.parametrize("executor", ["serial", "process"])
def test_run_jobs__a_transient_failure_is_made_good_by_the_retry(executor, tmp_path):
    [outcome] = run_jobs(fails_the_first_time, [(7, str(tmp_path / "m"))], executor)
    assert outcome.ok and outcome.value == 7 and outcome.attempts == 2
    assert outcome.first_error == "RuntimeError: transient"


def test_run_jobs__a_dead_worker_process_is_replaced_and_its_job_retried(tmp_path):
    marker = str(tmp_path / "died")
    outcomes = run_jobs(dies_the_first_time, [(x, marker) for x in range(4)], "process", 2)
    assert [o.value for o in outcomes] == [100, 101, 102, 103]
    assert outcomes[1].attempts == 2 and "BrokenProcessPool" in outcomes[1].first_error


def test_run_jobs__no_retries_reports_the_first_failure():
    [outcome] = run_jobs(square_unless_three, [(3,)], "serial", retries=0)
    assert outcome.attempts == 1 and outcome.error.startswith("ValueError")


def test_run_jobs__unknown_executor_and_an_address_without_ray_are_clear_errors():
    with pytest.raises(ExecutorError, match="unknown executor 'dask'"):
        run_jobs(square_unless_three, [(1,)], "dask")
    with pytest.raises(ExecutorError, match="needs the ray executor"):
        run_jobs(square_unless_three, [(1,)], "process", address="10.0.0.1:6379")
