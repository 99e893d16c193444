#!/usr/bin/env python3
"""Learning rates of transformers' get_scheduler, step by step, for the cases the C++ schedules
(src/train/lr_schedule.cpp) are tested on: tests/data/train/lr_schedules.json.

Run in the reference environment (scripts/reference-setup.sh):
    .venv-ref/bin/python tools/reference/make_lr_schedule_goldens.py
"""
import json
import os
import sys

import torch
import transformers
from transformers.optimization import get_scheduler

CASES = [
    # (type, warmup, total, lr, kwargs)
    ("linear", 0, 30, 1e-4, {}),
    ("linear", 3, 30, 1e-4, {}),
    ("cosine", 0, 30, 1e-4, {}),
    ("cosine", 5, 30, 2e-4, {}),
    ("cosine", 4, 17, 1e-5, {"num_cycles": 1.5}),
    ("cosine_with_restarts", 2, 40, 1e-4, {"num_cycles": 3}),
    ("polynomial", 3, 25, 1e-3, {"lr_end": 1e-5, "power": 2.0}),
    ("polynomial", 0, 10, 1e-4, {}),
    ("constant", 0, 10, 3e-4, {}),
    ("constant_with_warmup", 4, 10, 3e-4, {}),
    ("inverse_sqrt", 5, 30, 1e-3, {}),
    ("inverse_sqrt", 0, 30, 1e-3, {"timescale": 7}),
    ("cosine_with_min_lr", 3, 30, 1e-4, {"min_lr": 1e-6}),
    ("cosine_with_min_lr", 0, 20, 1e-4, {"min_lr_rate": 0.1}),
    ("cosine_warmup_with_min_lr", 4, 30, 1e-4, {"min_lr_rate": 0.05}),
    ("cosine_warmup_with_min_lr", 4, 30, 1e-4, {"min_lr": 1e-6, "warmup_lr_rate": 0.1}),
    ("warmup_stable_decay", 3, 30, 1e-4, {"num_decay_steps": 10}),
    ("warmup_stable_decay", 4, 30, 1e-4,
     {"num_decay_steps": 12, "num_stable_steps": 8, "warmup_type": "cosine",
      "decay_type": "1-sqrt", "min_lr_ratio": 0.1}),
]


def main():
    out = {"transformers": transformers.__version__, "torch": torch.__version__, "cases": []}
    for kind, warmup, total, lr, kwargs in CASES:
        p = torch.nn.Parameter(torch.zeros(1))
        opt = torch.optim.SGD([p], lr=lr)
        sched = get_scheduler(kind, opt, num_warmup_steps=warmup, num_training_steps=total,
                              scheduler_specific_kwargs=dict(kwargs))
        lrs = [sched.get_last_lr()[0]]
        for _ in range(total + 3):  # a few steps past the end too
            opt.step()
            sched.step()
            lrs.append(sched.get_last_lr()[0])
        out["cases"].append({"type": kind, "warmup_steps": warmup, "total_steps": total,
                             "learning_rate": lr, "kwargs": kwargs, "lrs": lrs})
    # Warmup steps as ms-swift resolves them: --warmup_ratio r becomes transformers' float
    # warmup_steps r (swift/trainers/arguments.py), then TrainingArguments.get_warmup_steps.
    from transformers import TrainingArguments
    out["warmup"] = []
    for total in (1, 7, 30, 100, 1234):
        for steps, ratio in ((0, 0.0), (5, 0.0), (0, 0.05), (0, 0.1), (0, 0.333), (0, 0.999)):
            args = TrainingArguments(output_dir="/tmp/swift-lr-goldens", warmup_steps=steps or ratio,
                                     report_to=[])
            out["warmup"].append({"total_steps": total, "warmup_steps": steps,
                                  "warmup_ratio": ratio, "result": args.get_warmup_steps(total)})
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    path = os.path.join(root, "tests", "data", "train", "lr_schedules.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(f"wrote {path}: {len(out['cases'])} schedules")


if __name__ == "__main__":
    sys.exit(main())
