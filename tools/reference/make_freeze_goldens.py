#!/usr/bin/env python3
"""What ms-swift 4.6's full fine-tuning trains under --freeze_parameters_ratio,
--freeze_parameters(_regex) and --trainable_parameters(_regex): its own freeze_parameters and
activate_parameters run on fixture models of tests/data/hf, one entry per (arch, setting) with
the parameter names (transformers' order), their sizes and the trainable names after:
tests/data/train/freeze_parameters.json, the reference of src/train/freeze.cpp.

    .venv-ref/bin/python tools/reference/make_freeze_goldens.py
"""
import json
import os

import torch
from transformers import AutoModelForCausalLM
from swift.utils.transformers_utils import activate_parameters, freeze_parameters

SETTINGS = [
    dict(ratio=0.3),
    dict(ratio=0.5, trainable=["model.layers.0."]),
    dict(ratio=0.999),
    dict(freeze=["model.embed_tokens", "lm_head"]),
    dict(freeze_regex=r"layers\.1\..*(mlp|experts)"),
    dict(ratio=1.0, trainable_regex=r"norm"),
    dict(ratio=0.2, freeze=["model.norm"], trainable=["model.layers.1.self_attn"], trainable_regex=r"^lm_head"),
]


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    out = {}
    for arch in ("qwen3", "llama", "gemma2", "qwen3_moe", "glm4", "deepseek_v3"):
        model = AutoModelForCausalLM.from_pretrained(os.path.join(root, "tests", "data", "hf", arch), dtype=torch.float32)
        names = [n for n, _ in model.named_parameters()]
        sizes = [p.numel() for p in model.parameters()]
        cases = []
        for s in SETTINGS:
            model.requires_grad_(True)
            freeze_parameters(model, s.get("ratio", 0.0), s.get("freeze", []), s.get("freeze_regex"))
            if s.get("trainable") or s.get("trainable_regex"):
                activate_parameters(model, s.get("trainable", []), s.get("trainable_regex"))
            cases.append(dict(setting=s, trainable=[n for n, p in model.named_parameters() if p.requires_grad]))
        out[arch] = dict(parameters=names, numels=sizes, cases=cases)
    path = os.path.join(root, "tests", "data", "train", "freeze_parameters.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=0)
        f.write("\n")
    print(f"wrote {path}: {len(out)} models x {len(SETTINGS)} settings")


if __name__ == "__main__":
    main()
