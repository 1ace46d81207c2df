"""LocalProcessBackend: each job runs in its own worker process on this machine.

A dispatcher thread in the server claims queued jobs (up to `max_workers` at once), runs
each in its own `python -m synthera.server.jobs.worker` process, terminates the ones whose
cancel was requested, and records the fate of any worker that exits without finishing its
job (killed, out of memory): the job fails with that reason and can be retried. Once jobs
have been run, one spare worker waits with its imports done, so the next job starts at once.

When the server stops, running workers are stopped and their jobs go back to the queue.
When it starts, running jobs left by a previous server are checked: one whose worker still
lives (it writes its own result) is left alone; one whose worker is gone, or silent for
`heartbeat_timeout_s`, fails with the reason.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from synthera.server.config import Settings
from synthera.server.jobs import store

log = logging.getLogger("synthera.server")
HOST = socket.gethostname()
TICK_S = 0.5
STOP_GRACE_S = 5.0


def worker_name(pid: int) -> str:
    return f"{HOST}:{pid}"


def exit_reason(returncode: int) -> str:
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        hint = " (out of memory?)" if name == "SIGKILL" else ""
        return f"the worker process was killed by {name}{hint} before it finished; retry the job"
    return f"the worker process exited with code {returncode} before it finished; retry the job"


def local_worker_alive(worker: str | None) -> bool | None:
    """Whether a worker named host:pid on this machine still runs; None if not ours to see."""
    if not worker or ":" not in worker:
        return None
    host, _, pid_text = worker.rpartition(":")
    if host != HOST or not pid_text.isdigit():
        return None
    try:
        cmdline = Path(f"/proc/{pid_text}/cmdline").read_bytes()
    except OSError:
        return False
    return b"synthera.server.jobs.worker" in cmdline


class LocalProcessBackend:
    def __init__(self, settings: Settings, factory: sessionmaker[Session]) -> None:
        self.settings = settings
        self.factory = factory
        self._procs: dict[str, subprocess.Popen[bytes]] = {}
        self._spare: subprocess.Popen[bytes] | None = None
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    # ---- JobBackend -----------------------------------------------------------------

    def start(self) -> None:
        self._recover()
        self._thread = threading.Thread(target=self._loop, name="synthera-jobs", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        with self._lock:
            procs = dict(self._procs)
            self._procs.clear()
        if self._spare is not None:
            self._close_spare(self._spare)
            self._spare = None
        for proc in procs.values():
            with contextlib.suppress(ProcessLookupError):
                proc.terminate()
        for job_id, proc in procs.items():
            try:
                proc.wait(timeout=STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            store.requeue(self.factory, job_id, "the server stopped; job queued again")

    def wake(self) -> None:
        self._wake.set()

    # ---- the dispatcher ---------------------------------------------------------------

    @property
    def running(self) -> dict[str, int]:
        """Job id → worker pid, for the jobs this server runs now."""
        with self._lock:
            return {job_id: proc.pid for job_id, proc in self._procs.items()}

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                self.tick()
            except Exception:  # a database hiccup must not end the dispatcher
                log.exception("job dispatcher error")
            self._wake.wait(TICK_S)
            self._wake.clear()

    def tick(self) -> None:
        self._reap()
        self._stop_cancelled()
        self._fail_lost()
        self._start_queued()

    def _reap(self) -> None:
        with self._lock:
            ended = {j: p for j, p in self._procs.items() if p.poll() is not None}
            for job_id in ended:
                del self._procs[job_id]
        for job_id, proc in ended.items():
            cancelled = job_id in store.cancel_requested_ids(self.factory, [job_id])
            if cancelled:
                store.finish(self.factory, job_id, store.CANCELLED)
            else:
                store.finish(self.factory, job_id, store.FAILED, error=exit_reason(proc.returncode))

    def _stop_cancelled(self) -> None:
        with self._lock:
            procs = dict(self._procs)
        for job_id in store.cancel_requested_ids(self.factory, list(procs)):
            with contextlib.suppress(ProcessLookupError):
                procs[job_id].terminate()

    def _fail_lost(self) -> None:
        """Running jobs that no live worker will finish (left by a server that died)."""
        mine = set(self.running)
        for job in store.running_jobs(self.factory):
            if job.id in mine:
                continue
            alive = local_worker_alive(job.worker)
            if alive is False:
                reason = f"its worker ({job.worker}) is gone: the server stopped while it ran"
            elif store.is_stale(job, self.settings.heartbeat_timeout_s):
                reason = f"its worker ({job.worker}) stopped reporting"
            else:
                continue
            store.finish(self.factory, job.id, store.FAILED, error=f"{reason}; retry the job")

    def _start_queued(self) -> None:
        free = self.settings.max_workers - len(self.running)
        if free <= 0 or self._stopping.is_set():
            return
        for job_id in store.queued_ids(self.factory, free):
            if not store.claim(self.factory, job_id, worker_name(os.getpid())):
                continue
            proc = self._spawn(job_id)
            store.set_worker(self.factory, job_id, worker_name(proc.pid))
            with self._lock:
                self._procs[job_id] = proc

    def _spawn(self, job_id: str) -> subprocess.Popen[bytes]:
        """The job's process: the warm spare if one is ready; a new spare is started after."""
        spare, self._spare = self._spare, None
        proc = None
        if spare is not None and spare.poll() is None and spare.stdin is not None:
            try:
                spare.stdin.write(f"{job_id}\n".encode())
                spare.stdin.close()
                proc = spare
            except OSError:
                self._close_spare(spare)
        if proc is None:
            proc = self._popen(job_id, stdin=subprocess.DEVNULL)
        if not self._stopping.is_set():
            self._spare = self._popen("--wait", stdin=subprocess.PIPE)
        return proc

    def _popen(self, argument: str, stdin: int) -> subprocess.Popen[bytes]:
        env = {**os.environ, **self.settings.worker_environment()}
        return subprocess.Popen(
            [sys.executable, "-m", "synthera.server.jobs.worker", argument],
            env=env,
            stdin=stdin,
            start_new_session=True,  # Ctrl-C on the server stops workers through stop()
        )

    @staticmethod
    def _close_spare(spare: subprocess.Popen[bytes]) -> None:
        """An idle spare ends by itself when its input closes."""
        with contextlib.suppress(OSError):
            if spare.stdin is not None:
                spare.stdin.close()
        try:
            spare.wait(timeout=STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            spare.kill()
            spare.wait()

    def _recover(self) -> None:
        """At start: settle the running jobs a previous server left (see module doc)."""
        self._fail_lost()
