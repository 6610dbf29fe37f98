"""Run independent jobs (one function, many argument tuples) serially, in a process pool, or on Ray.

The comparison harness and the sweeps hand their (design, placer, seed) runs to :func:`run_jobs`;
the three executors give the same outcomes for the same jobs, only the wall time differs:

* ``serial``: one after the other in this process (debugging, profiling);
* ``process``: a local :class:`~concurrent.futures.ProcessPoolExecutor` of ``workers`` processes;
* ``ray``: one Ray task per job (:func:`connect_ray`: a local Ray started on this machine, or the
  cluster at ``address``), so that a grid spreads over every node of a cluster.

A job that raises, or whose worker process or node dies, is run once more (``retries``); if it
fails again its :class:`JobOutcome` carries the error text and the other jobs go on.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

EXECUTORS = ("process", "serial", "ray")


class ExecutorError(RuntimeError):
    """An executor that cannot run: an unknown name, or Ray missing or unreachable."""


@dataclass(frozen=True)
class JobOutcome:
    """What became of one job.

    Attributes:
        args: The job's positional arguments, as given.
        value: The function's return value (None when every attempt failed).
        error: Empty when the job succeeded; else the last attempt's error, one line.
        attempts: Runs made (1, or 2 after a retry).
        first_error: The error of a failed attempt that a retry then made good ("" if none).
    """

    args: tuple
    value: Any
    error: str
    attempts: int
    first_error: str = ""

    @property
    def ok(self) -> bool:
        """True when the job's last attempt returned."""
        return not self.error


def one_line(error: BaseException) -> str:
    """``Type: message`` of an exception, on one line (Ray's wrapped errors carry a traceback)."""
    cause = getattr(error, "cause", None)  # ray.exceptions.RayTaskError wraps the user's error
    shown = cause if isinstance(cause, BaseException) else error
    text = " ".join(str(shown).split()) or "(no message)"
    return f"{type(shown).__name__}: {text}"[:500]


def connect_ray(address: str | None = None, num_cpus: int | None = None) -> Any:
    """The ``ray`` module, connected: to the cluster at ``address`` (``"auto"``: the one started
    by ``ray start`` on this machine), else to a new local Ray of ``num_cpus`` CPUs (default: all
    of this machine's). An existing connection of this process is reused as it is.

    Raises:
        ExecutorError: Ray is not installed, or the cluster at ``address`` cannot be reached.
    """
    try:
        import ray
    except ImportError as error:
        raise ExecutorError(
            "the ray executor needs Ray: pip install -e '.[ray]' (included in '.[dev]')"
        ) from error
    if ray.is_initialized():
        return ray
    options: dict[str, Any] = {
        "include_dashboard": False,
        "configure_logging": False,
        "log_to_driver": False,
    }
    if address is None:
        options["num_cpus"] = num_cpus or os.cpu_count() or 1
    else:
        _check_reachable(address)
    try:
        ray.init(address=address, **options)
    except (ConnectionError, RuntimeError, ValueError) as error:
        where = f"the Ray cluster at {address!r}" if address else "a local Ray"
        raise ExecutorError(f"could not start or join {where}: {one_line(error)}") from error
    return ray


def _check_reachable(address: str, seconds: float = 5.0) -> None:
    """Raises :class:`ExecutorError` when nothing listens at a ``HOST:PORT`` address (Ray itself
    would retry for minutes); ``auto`` and ``ray://`` addresses are left to Ray."""
    import socket

    host, sep, port = address.rpartition(":")
    if not sep or "://" in address or not port.isdigit():
        return
    try:
        socket.create_connection((host, int(port)), timeout=seconds).close()
    except OSError as error:
        raise ExecutorError(
            f"no Ray cluster answers at {address!r} ({error.strerror or error}); start one with "
            "`ray start --head` there, or leave out the address to run Ray on this machine"
        ) from error


def run_jobs(
    function: Callable[..., Any],
    jobs: Sequence[tuple],
    executor: str = "process",
    workers: int = 2,
    address: str | None = None,
    retries: int = 1,
    on_done: Callable[[JobOutcome], None] | None = None,
) -> list[JobOutcome]:
    """Runs ``function(*job)`` for every job and returns the outcomes in the jobs' order.

    Args:
        function: A module-level function (process pool and Ray send it by reference) or a
            closure (Ray only; the serial executor runs anything).
        jobs: One argument tuple per job.
        executor: One of :data:`EXECUTORS`.
        workers: Processes of the ``process`` executor; for ``ray`` without ``address``, the
            CPUs of the local Ray it starts. Ignored by ``serial``.
        address: Ray cluster to join (``ray`` only); None starts Ray on this machine.
        retries: Extra attempts of a job that raised or whose worker died.
        on_done: Called with each job's final outcome as it arrives (progress bars).

    Raises:
        ExecutorError: ``executor`` is unknown or Ray cannot start (see :func:`connect_ray`).
    """
    if executor not in EXECUTORS:
        raise ExecutorError(f"unknown executor {executor!r}; choose one of {EXECUTORS}")
    if address is not None and executor != "ray":
        raise ExecutorError(
            f"an address is a Ray cluster's; it needs the ray executor, not {executor}"
        )
    run = {"serial": _run_serial, "process": _run_pool, "ray": _run_ray}[executor]
    outcomes: list[JobOutcome | None] = [None] * len(jobs)

    def done(index: int, outcome: JobOutcome) -> None:
        outcomes[index] = outcome
        if on_done is not None:
            on_done(outcome)

    run(function, [tuple(job) for job in jobs], max(1, workers), address, max(0, retries), done)
    missing = [i for i, o in enumerate(outcomes) if o is None]
    if missing:  # every executor reports every job; anything else is a bug here
        raise ExecutorError(f"internal error: no outcome for jobs {missing[:5]}")
    return outcomes


class _Attempts:
    """Counts attempts per job and decides, after a failure, between a retry and giving up."""

    def __init__(self, jobs: list[tuple], retries: int, done: Callable) -> None:
        self.jobs, self.retries, self.done = jobs, retries, done
        self.count = [0] * len(jobs)
        self.first = [""] * len(jobs)

    def start(self, index: int) -> None:
        self.count[index] += 1

    def succeeded(self, index: int, value: Any) -> None:
        self.done(
            index, JobOutcome(self.jobs[index], value, "", self.count[index], self.first[index])
        )

    def failed(self, index: int, error: BaseException) -> bool:
        """Records a failed attempt; True when the job should run again."""
        text = one_line(error)
        if self.count[index] <= self.retries:
            self.first[index] = self.first[index] or text
            return True
        outcome = JobOutcome(self.jobs[index], None, text, self.count[index], self.first[index])
        self.done(index, outcome)
        return False


def _run_serial(function, jobs, workers, address, retries, done) -> None:
    attempts = _Attempts(jobs, retries, done)
    for index, job in enumerate(jobs):
        while True:
            attempts.start(index)
            try:
                value = function(*job)
            except Exception as error:  # a job's failure is its row's, not the run's
                if attempts.failed(index, error):
                    continue
            else:
                attempts.succeeded(index, value)
            break


def _run_pool(function, jobs, workers, address, retries, done) -> None:
    from concurrent.futures.process import BrokenProcessPool

    attempts = _Attempts(jobs, retries, done)
    pools = [ProcessPoolExecutor(max_workers=workers)]
    pending: dict = {}  # future -> (job index, the pool it runs in)

    def submit(index: int) -> None:
        attempts.start(index)
        try:
            pending[pools[-1].submit(function, *jobs[index])] = (index, pools[-1])
        except BrokenProcessPool:  # it broke since its last result: start a new one
            pools.append(ProcessPoolExecutor(max_workers=workers))
            pending[pools[-1].submit(function, *jobs[index])] = (index, pools[-1])

    try:
        for index in range(len(jobs)):
            submit(index)
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                index, pool = pending.pop(future)
                error = future.exception()
                if error is None:
                    attempts.succeeded(index, future.result())
                    continue
                # A worker that died breaks its pool and fails every job still in it: retry
                # them in a new pool (once per broken pool, not once per failed job).
                if isinstance(error, BrokenProcessPool) and pool is pools[-1]:
                    pools.append(ProcessPoolExecutor(max_workers=workers))
                if attempts.failed(index, error):
                    submit(index)
    finally:
        for pool in pools:
            pool.shutdown()


def _run_ray(function, jobs, workers, address, retries, done) -> None:
    ray = connect_ray(address, workers)
    # Retries are counted here (max_retries=0), so that a raised error and a dead node are one
    # case and the outcome says how many attempts a job took.
    task = ray.remote(max_retries=0)(function)
    attempts = _Attempts(jobs, retries, done)
    pending = {}
    for index, job in enumerate(jobs):
        attempts.start(index)
        pending[task.remote(*job)] = index
    while pending:
        finished, _ = ray.wait(list(pending), num_returns=1)
        for ref in finished:
            index = pending.pop(ref)
            try:
                value = ray.get(ref)
            except Exception as error:  # RayTaskError, WorkerCrashedError, NodeDiedError, ...
                if attempts.failed(index, error):
                    attempts.start(index)
                    pending[task.remote(*jobs[index])] = index
            else:
                attempts.succeeded(index, value)
