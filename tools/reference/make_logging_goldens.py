#!/usr/bin/env python3
"""logging.jsonl lines as ms-swift 4.6 writes them (swift.trainers.patcher.add_train_message and
append_to_jsonl), for fixed trainer logs and clocks: tests/data/train/logging_records.json, the
reference of src/train/run_log.cpp.

    .venv-ref/bin/python tools/reference/make_logging_goldens.py
"""
import json
import os
import tempfile
import types

import swift.trainers.patcher as patcher
from swift.utils import append_to_jsonl, format_time

CASES = [
    # trainer logs, global_step, max_steps, start_step, elapsed seconds, max memory GiB
    ({"loss": 2.3456789012345, "grad_norm": 1.23456789e-05, "learning_rate": 9.999999999e-05,
      "epoch": 0.03333333333333333}, 1, 30, 0, 2.4999, 0.0),
    ({"loss": 0.1, "grad_norm": 3.0, "learning_rate": 0.0, "epoch": 1.0}, 30, 30, 0, 3725.5, 1.23456),
    ({"loss": 1.5, "grad_norm": 0.5, "learning_rate": 5e-05, "epoch": 0.5,
      "token_acc": 0.123456789123}, 15, 30, 10, 7.2, 0.0),
    ({"eval_loss": 1.987654321987, "eval_runtime": 0.5432, "eval_samples_per_second": 36.82,
      "eval_steps_per_second": 18.41, "epoch": 2.0}, 60, 100, 0, 90061.5, 0.0),
    ({"train_runtime": 12.3456, "train_samples_per_second": 2.43, "train_steps_per_second": 2.43,
      "total_flos": 1234.0, "train_loss": 1.1111111111111, "epoch": 1.0}, 30, 30, 0, 12.5, 0.0),
]
TIMES = [0, 0.4, 0.5, 1.5, 2.5, 59.5, 59.6, 60, 3599.5, 3600, 86399.5, 86400, 90061.5, 1e7]


def main():
    out = {"format_time": [[t, format_time(t)] for t in TIMES], "records": []}
    for logs, step, max_steps, start_step, elapsed, mem in CASES:
        state = types.SimpleNamespace(global_step=step, max_steps=max_steps)
        patcher.time = types.SimpleNamespace(time=lambda: 1000.0 + elapsed)
        patcher.get_max_reserved_memory = lambda: mem
        given = dict(logs)
        patcher.add_train_message(logs, state, 1000.0, start_step)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "logging.jsonl")
            append_to_jsonl(path, logs)
            with open(path, encoding="utf-8") as f:
                line = f.read()
        out["records"].append({"logs": given, "global_step": step, "max_steps": max_steps,
                               "start_step": start_step, "elapsed": elapsed,
                               "max_memory_gib": mem, "line": line})
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    path = os.path.join(root, "tests", "data", "train", "logging_records.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
