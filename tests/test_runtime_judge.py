"""Verdict rules over recorded observations (pure Python: runs without torch)."""

from __future__ import annotations

from blyan_lint.runtime.judge import Judge
from blyan_lint.runtime.judge_mixed import changed_ops
from blyan_lint.runtime.plan import Plan, Target


def test_ops_that_keep_their_dtypes_are_not_a_change_even_if_their_counts_differ():
    # A BF16 Llama has FP32 RMSNorm/RoPE ops with and without the construct; a longer
    # generation in one run changes counts, never dtypes.
    without = {"mm|bfloat16": 30, "pow|float32": 10, "rsqrt|float32": 10}
    with_it = {"mm|bfloat16": 36, "pow|float32": 12, "rsqrt|float32": 12}
    assert changed_ops(with_it, without) == []


def test_an_op_whose_result_dtype_moves_is_a_change():
    changed = changed_ops({"mm|float16": 15, "pow|float32": 5}, {"mm|bfloat16": 15, "pow|float32": 5})
    assert changed == [{"op": "mm", "with": {"float16": 15}, "without": {"bfloat16": 15}}]


def _plan(code: str) -> Plan:
    return Plan(0, code, 3, 5, Target("recipe", "train", None, 1, 9), ("gpu",))


def test_an_8bit_optimizer_on_tensors_below_min_8bit_size_is_unresolved_not_refuted():
    optimizer = {
        "kind": "optimizer",
        "class": "bitsandbytes.optim.adamw.AdamW",
        "state_dtypes": {"float32": 42},
        "optim_bits": 8,
        "min_8bit_size": 4096,
        "largest": 1024,
    }
    record = {"env": "gpu", "neutral": False, "ok": True, "optimizer": optimizer}
    verdict = Judge(_plan("BLY401"), [record], "/p/x.py", False, None).run()
    assert verdict.verdict == "unresolved" and "min_8bit_size=4096" in verdict.observation
    optimizer["state_dtypes"] = {"uint8": 28, "float32": 14}
    assert Judge(_plan("BLY401"), [record], "/p/x.py", False, None).run().verdict == "confirmed"


def test_a_replay_that_failed_is_unresolved_with_the_error():
    record = {"env": "gpu", "neutral": False, "ok": False, "error": {"type": "OutOfMemoryError", "message": "CUDA"}}
    verdict = Judge(_plan("BLY103"), [record], "/p/x.py", False, None).run()
    assert verdict.verdict == "unresolved" and "out of GPU memory" in verdict.observation


def _run(neutral: bool, ops: dict, error: dict | None) -> dict:
    record = {"env": "gpu", "neutral": neutral, "ok": error is None, "ops": ops, "events": []}
    if error:
        record["error"] = error
    return record


def test_runs_that_stop_at_the_same_failure_compare_their_traces_up_to_it():
    stop = {"type": "NotImplementedError", "message": "unscale", "where": "/p/x.py:8"}
    plan = Plan(0, "BLY201", 3, 5, Target("recipe", "train", None, 1, 9), ("gpu",), True)
    records = [_run(False, {"mm|float16": 4}, stop), _run(True, {"mm|bfloat16": 4}, stop)]
    verdict = Judge(plan, records, "/p/x.py", False, None).run()
    assert verdict.verdict == "confirmed" and "same failure" in verdict.observation
    elsewhere = dict(stop, where="/p/x.py:6")
    records = [_run(False, {"mm|float16": 4}, stop), _run(True, {"mm|bfloat16": 4}, elsewhere)]
    assert Judge(plan, records, "/p/x.py", False, None).run().verdict == "unresolved"
