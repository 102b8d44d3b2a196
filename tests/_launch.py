"""Starting test worker processes: one process per role, retried on new
ports when a TF server finds its port taken.

The workers (`_distribute_worker.py`, `_optimizers_worker.py`) measure; the
tests assert.
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import pytest
from _distribute_worker import PORT_TAKEN, PORTS_ENV, free_ports

DISTRIBUTE_WORKER = pathlib.Path(__file__).with_name("_distribute_worker.py")
# Generous: a scenario takes seconds, but CI shares 2 cores between processes.
TIMEOUT_S = 240
# A taken port costs one attempt; three in a row would mean something else.
PORT_ATTEMPTS = 3

Envs = Callable[[list[int]], list[dict[str, str]]]


def run_workers(
    scenario: str,
    tmp_path: pathlib.Path,
    envs: Envs,
    ports: int = 0,
    pick_ports: Callable[[int], list[int]] = free_ports,
    worker: pathlib.Path = DISTRIBUTE_WORKER,
) -> list[dict[str, Any]]:
    """Runs one worker process per env, all at once, and returns their findings.

    `worker` is the script each process runs. `ports` fresh ports are picked
    for each attempt and handed to `envs`. If a worker's server finds its
    port taken (by a process that bound it after it was picked), every
    worker of the attempt is stopped and the scenario starts again on new
    ports, up to `PORT_ATTEMPTS` times. Processes still
    running after `TIMEOUT_S` are killed (a hung collective must fail the
    test, not the CI job).
    """
    for attempt in range(PORT_ATTEMPTS):
        procs = _start_workers(
            worker, scenario, tmp_path / f"try{attempt}", envs(pick_ports(ports))
        )
        timed_out = _wait_for_workers(procs)
        if not any(proc.returncode == PORT_TAKEN for proc, _, _ in procs):
            break
    else:
        pytest.fail(f"{scenario}: a port was taken on all {PORT_ATTEMPTS} attempts")
    failures = [f"pid {proc.pid} timed out after {TIMEOUT_S}s" for proc in timed_out]
    results = []
    for index, (proc, out, log) in enumerate(procs):
        if proc.returncode != 0 or not out.exists():
            tail = log.read_text()[-3000:]
            failures.append(f"worker {index} exited {proc.returncode}:\n{tail}")
        else:
            results.append(json.loads(out.read_text()))
    if failures:
        pytest.fail("\n".join(failures))
    return results


Worker = tuple[subprocess.Popen, pathlib.Path, pathlib.Path]


def _start_workers(
    worker: pathlib.Path,
    scenario: str,
    folder: pathlib.Path,
    envs: list[dict[str, str]],
) -> list[Worker]:
    """Starts one worker per env; each writes `folder`/<index>.json and .log."""
    folder.mkdir(parents=True)
    procs = []
    for index, extra_env in enumerate(envs):
        out, log = folder / f"{index}.json", folder / f"{index}.log"
        with log.open("w") as log_file:
            proc = subprocess.Popen(
                [sys.executable, str(worker), scenario, str(out)],
                env={**os.environ, **extra_env},
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )
        procs.append((proc, out, log))
    return procs


def _wait_for_workers(procs: list[Worker]) -> list[subprocess.Popen]:
    """Waits until every worker exits, or one found its port taken, or timeout.

    Then kills whatever still runs (the peers of a worker that could not bind
    would wait for it forever) and returns the processes killed at timeout.
    """
    deadline = time.monotonic() + TIMEOUT_S
    running = [proc for proc, _, _ in procs]
    while running and time.monotonic() < deadline:
        if any(proc.returncode == PORT_TAKEN for proc, _, _ in procs):
            break
        time.sleep(0.1)
        running = [proc for proc in running if proc.poll() is None]
    port_taken = any(proc.returncode == PORT_TAKEN for proc, _, _ in procs)
    for proc in running:
        proc.kill()
        proc.wait()
    return [] if port_taken else running


def ports_env(ports: list[int]) -> list[dict[str, str]]:
    """One process hosting the in-process cluster on `ports`."""
    return [{PORTS_ENV: ",".join(map(str, ports))}]
