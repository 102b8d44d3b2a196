"""keras_embedding under tf.distribute: mirrored, multi-worker, parameter servers.

Each scenario runs in fresh processes (`tests/_distribute_worker.py`),
because logical devices and cluster connections are process-wide and
permanent. The workers measure; the assertions are here.
"""

from __future__ import annotations

import json
import pathlib
import re
import socket
import subprocess
import sys
from typing import Any

import pytest
from _distribute_worker import free_ports
from _launch import PORT_ATTEMPTS, TIMEOUT_S, ports_env, run_workers

from keras_embedding._compat import IS_KERAS3

# Single-device training on the same global batches is the truth.
TOLERANCE = 1e-5

pytestmark = pytest.mark.slow

SCALING_OUT = pathlib.Path(__file__).resolve().parents[1] / "docs" / "scaling-out.md"


# Each scenario's processes as one env each, given the ports picked for them.
def check_matches_single_device(result: dict[str, Any], fit: bool = True) -> None:
    """Training under the strategy equals training on one device."""
    assert result["replicas"] == 2
    assert result["trained_with"] == ("fit" if fit else "custom loop")
    assert result["table_trained"]
    assert result["dropout_mattered"]
    for dropout in (0.0, 0.5):
        measured = result[f"dropout_{dropout}"]
        # With dropout on this only holds if every replica drops the rows that
        # one device would drop for the whole global batch.
        assert measured["max_abs_diff"] <= TOLERANCE, (dropout, measured)
        # The table's gradient is reduced as IndexedSlices, not a dense
        # (input_dim, output_dim) tensor.
        assert measured["reduced_types"], "no reduction of the table's gradient"
        assert set(measured["reduced_types"]) == {"IndexedSlices"}, measured


@pytest.fixture(scope="module")
def mirrored(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp_path = tmp_path_factory.mktemp("mirrored")
    return run_workers("mirrored", tmp_path, lambda _: [{}])[0]


def test_mirrored_fit_matches_single_device(mirrored: dict[str, Any]) -> None:
    check_matches_single_device(mirrored)


def test_mirrored_replicas_drop_the_same_rows(mirrored: dict[str, Any]) -> None:
    masks = mirrored["masks"]
    for step_masks in masks:
        first, second = step_masks
        assert first == second
        # Rows are really dropped and kept at rate 0.5.
        assert 0 < sum(first) < len(first)
    # A new mask every step.
    assert len({tuple(m[0]) for m in masks}) == len(masks)


def test_multi_worker_mirrored_fit_matches_single_device(
    tmp_path: pathlib.Path,
) -> None:
    def envs(ports: list[int]) -> list[dict[str, str]]:
        cluster = {"worker": [f"127.0.0.1:{port}" for port in ports]}
        return [
            {
                "TF_CONFIG": json.dumps(
                    {"cluster": cluster, "task": {"type": "worker", "index": index}}
                )
            }
            for index in range(2)
        ]

    results = run_workers("mwms", tmp_path, envs, ports=2)
    for result in results:
        # Keras 3's own fit cannot run under this strategy (keras#20585), so
        # there the workers train with the custom loop Keras documents.
        check_matches_single_device(result, fit=not IS_KERAS3)


@pytest.fixture(scope="module")
def parameter_servers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp_path = tmp_path_factory.mktemp("ps")
    # 1 worker and 2 parameter servers.
    return run_workers("ps", tmp_path, ports_env, ports=3)[0]


@pytest.mark.skipif(IS_KERAS3, reason="Keras 3 has no parameter-server training")
def test_sharded_table_keeps_the_one_table_api(
    parameter_servers: dict[str, Any],
) -> None:
    api = parameter_servers["api"]
    assert api["type"] == "ShardedVariable"
    assert api["W_is_embeddings"]
    # Split along the vocabulary, one shard on each parameter server.
    assert [shape for shape, _ in api["shards"]] == [[12, 4], [12, 4]]
    assert {device.split("/device")[0] for _, device in api["shards"]} == {
        "/job:ps/replica:0/task:0",
        "/job:ps/replica:0/task:1",
    }
    # weights=, set_weights/get_weights and layer.W speak in whole tables.
    assert api["weights_arg"] == 0.0
    assert api["set_get"] == 0.0
    assert api["W_numpy"] == 0.0
    assert "the layer expects (24, 4)" in api["bad_shape_error"]


@pytest.mark.skipif(IS_KERAS3, reason="Keras 3 has no parameter-server training")
def test_sharded_lookup_goes_shard_by_shard(parameter_servers: dict[str, Any]) -> None:
    graph = parameter_servers["api"]
    # One gather per shard, no full read of any shard (which a concatenation
    # of the shards would need), and a sparse gradient for each shard.
    assert graph["gathers"] == 2
    assert graph["full_reads"] == []
    assert graph["gradient_types"] == ["IndexedSlices", "IndexedSlices"]


@pytest.mark.skipif(IS_KERAS3, reason="Keras 3 has no parameter-server training")
def test_cluster_coordinator_fit_matches_single_device(
    parameter_servers: dict[str, Any],
) -> None:
    # Dropout on: the step counter on the parameter servers advances once per
    # step, so the masks are those of single-device training.
    assert parameter_servers["fit_max_abs_diff"] <= TOLERANCE
    assert parameter_servers["dropout_mattered"]


@pytest.mark.skipif(IS_KERAS3, reason="Keras 3 has no parameter-server training")
def test_checkpoint_restores_into_other_shard_counts(
    parameter_servers: dict[str, Any],
) -> None:
    restore = parameter_servers["restore"]
    assert restore["3_shards"]["shards"] == 3
    assert restore["1_device"]["shards"] == 1
    for measured in restore.values():
        assert measured["max_abs_diff"] == 0.0


@pytest.mark.skipif(not IS_KERAS3, reason="tf_keras supports parameter servers")
def test_keras3_parameter_servers_point_to_tf_keras(
    parameter_servers: dict[str, Any],
) -> None:
    message = parameter_servers["keras3_error"]
    assert message is not None, "building under ParameterServerStrategy passed"
    assert "TF_USE_LEGACY_KERAS=1" in message
    assert "tf_keras" in message


def scaling_out_examples() -> list[str]:
    """The python blocks of docs/scaling-out.md."""
    return re.findall(r"```python\n(.*?)```", SCALING_OUT.read_text(), flags=re.S)


@pytest.mark.parametrize("example", scaling_out_examples())
def test_scaling_out_example_runs(example: str, tmp_path: pathlib.Path) -> None:
    # Each example sets up its own strategy (one even picks the Keras), so
    # each gets a fresh process.
    script = tmp_path / "example.py"
    script.write_text(example)
    for _ in range(PORT_ATTEMPTS):
        completed = subprocess.run(
            [sys.executable, str(script)],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
        )
        # The parameter-server example picks its own ports, which another
        # process may take first; a new run picks new ones.
        if "Could not start gRPC server" not in completed.stderr:
            break
    assert completed.returncode == 0, completed.stderr[-3000:]


def test_a_taken_port_is_retried_on_new_ports(tmp_path: pathlib.Path) -> None:
    # The first pick hands the cluster a port that a listening socket holds,
    # as when another process binds a port between its pick and its use.
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = holder.getsockname()[1]
        picks: list[list[int]] = []

        def pick(count: int) -> list[int]:
            ports = free_ports(count)
            if not picks:
                ports[0] = taken
            picks.append(ports)
            return ports

        result = run_workers("cluster", tmp_path, ports_env, 3, pick)[0]
    assert len(picks) == 2
    assert "port taken" in (tmp_path / "try0" / "0.log").read_text()
    started = result["cluster"]
    assert started["worker"] == [f"127.0.0.1:{picks[1][0]}"]
    assert started["ps"] == [f"127.0.0.1:{port}" for port in picks[1][1:]]


def test_mirrored_activity_penalty_matches_single_device(
    tmp_path: pathlib.Path,
) -> None:
    # Each replica sums the penalty over its share of the batch, and Keras
    # divides each replica's losses by the number of replicas: without the
    # layer's correction the penalty would be halved on 2 replicas.
    result = run_workers("mirrored_activity", tmp_path, lambda _: [{}])[0]
    losses = result["evaluate"]
    penalty = losses["single"] - losses["unregularized"]
    assert penalty > 0.05 * losses["single"], losses
    assert abs(losses["replicated"] - losses["single"]) <= TOLERANCE * losses["single"]
    assert result["penalty_mattered"]
    assert result["max_abs_diff"] <= TOLERANCE
