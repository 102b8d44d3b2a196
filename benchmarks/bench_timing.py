"""Interleaved wall-clock timing with medians over rounds.

Variants that are compared are timed in the same process and in alternation:
round r runs every variant once (its order rotated by r so no variant is
always first), so slow drifts in machine load hit all of them alike. Each
variant's sample is `inner` back-to-back calls, with `inner` chosen so one
sample lasts at least `min_sample_s`, which keeps timer resolution and
dispatch jitter small next to what is measured.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import tensorflow as tf

# One call of a benchmarked function: gets the call index (to cycle inputs)
# and returns something holding the result tensor(s).
Call = Callable[[int], Any]
Key = TypeVar("Key", bound=Hashable)


@dataclass
class Timing:
    """Per-call seconds of one variant: one entry per round."""

    per_call_s: list[float] = field(default_factory=list)
    inner: int = 1

    @property
    def median_s(self) -> float:
        """Median seconds per call over the rounds."""
        return statistics.median(self.per_call_s)

    def quantile_s(self, q: float) -> float:
        """The q-quantile of seconds per call over the rounds."""
        return quantile(self.per_call_s, q)


def quantile(values: list[float], q: float) -> float:
    """The q-quantile (0 <= q <= 1) of `values`, linear between order statistics."""
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def sync(result: Any) -> None:
    """Blocks until `result` is computed, whatever device it is on.

    Kernels on a GPU run asynchronously; copying one element of the last
    result back to the host waits for everything queued before it on the
    stream, at the cost of one tiny copy per sample.
    """
    tensor = tf.nest.flatten(result)[0]
    if isinstance(tensor, tf.IndexedSlices):
        tensor = tensor.values
    tf.reshape(tensor, [-1])[:1].numpy()


def interleave(
    calls: Mapping[Key, Call],
    rounds: int,
    min_sample_s: float,
    warmup: int = 2,
) -> dict[Key, Timing]:
    """Times every call in `calls`, interleaved, after `warmup` calls each.

    Args:
        calls: variant key -> function of the call index.
        rounds: number of samples per variant (the median is over these).
        min_sample_s: lower bound on the duration of one sample.
        warmup: untimed calls per variant first (tracing, XLA compilation,
            allocator and cache warm-up).

    Returns:
        Variant key -> its `Timing`.
    """
    timings = {name: Timing() for name in calls}
    for name, call in calls.items():
        for i in range(warmup):
            sync(call(i))
        start = time.perf_counter()
        sync(call(warmup))
        single = time.perf_counter() - start
        timings[name].inner = max(1, math.ceil(min_sample_s / max(single, 1e-9)))
    names = list(calls)
    for r in range(rounds):
        shift = r % len(names)
        for name in [*names[shift:], *names[:shift]]:
            call, inner = calls[name], timings[name].inner
            start = time.perf_counter()
            result = None
            for i in range(inner):
                result = call(i)
            sync(result)
            timings[name].per_call_s.append((time.perf_counter() - start) / inner)
    return timings
