#!/usr/bin/env python3
"""Which checkpoint folders survive --save_total_limit, as transformers' rotate_checkpoints
decides (the most recent and the best are protected): tests/data/train/checkpoint_rotation.json.

    .venv-ref/bin/python tools/reference/make_rotation_goldens.py
"""
import json
import os
import tempfile

from transformers.trainer_utils import rotate_checkpoints

CASES = [
    # existing checkpoint steps (plus stray names), save_total_limit, best step or None
    ([5, 10, 15, 20], 2, None),
    ([5, 10, 15, 20], 2, 5),
    ([5, 10, 15, 20], 1, 10),
    ([5, 10, 15, 20], 1, 20),
    ([5, 10, 15, 20], 3, 15),
    ([100, 20, 3, 1000], 2, None),
    ([5, 10], 0, None),
    ([5, 10], 5, None),
    ([2, 4, 6, 8, 10, 12], 3, 4),
]
# Not checkpoints, and left alone by both. (HF also counts and may delete "checkpoint-10-merged";
# we never do: see src/train/checkpoints.h.)
STRAYS = ["checkpoint-final", "notes", "checkpoint-"]


def main():
    out = []
    for steps, limit, best in CASES:
        with tempfile.TemporaryDirectory() as d:
            for s in steps:
                os.makedirs(os.path.join(d, f"checkpoint-{s}"))
            for name in STRAYS:
                os.makedirs(os.path.join(d, name))
            rotate_checkpoints(d, save_total_limit=limit,
                               best_model_checkpoint=os.path.join(d, f"checkpoint-{best}") if best else None)
            left = sorted(os.listdir(d))
        out.append({"steps": steps, "strays": STRAYS, "save_total_limit": limit, "best": best,
                    "left": left})
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    path = os.path.join(root, "tests", "data", "train", "checkpoint_rotation.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
