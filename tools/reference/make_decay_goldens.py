#!/usr/bin/env python3
"""The parameters the HF Trainer applies weight decay to (Trainer.get_decay_parameter_names) for
every fixture model in tests/data/hf, with and without a LoRA adapter wrapped around it (peft):
tests/data/train/decay_parameters.json, the reference of src/train/param_groups.cpp.

    .venv-ref/bin/python tools/reference/make_decay_goldens.py
"""
import json
import os

import torch
from transformers import AutoModelForCausalLM, Trainer


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    hf = os.path.join(root, "tests", "data", "hf")
    out = {}
    for arch in sorted(os.listdir(hf)):
        d = os.path.join(hf, arch)
        if not os.path.isfile(os.path.join(d, "config.json")):
            continue
        model = AutoModelForCausalLM.from_pretrained(d, dtype=torch.float32)
        names = [n for n, _ in model.named_parameters()]
        decay = Trainer.get_decay_parameter_names(None, model)
        entry = {"parameters": names, "decay": decay}
        ad = os.path.join(d, "adapter")
        if os.path.isfile(os.path.join(ad, "adapter_config.json")):
            from peft import PeftModel
            pm = PeftModel.from_pretrained(model, ad)
            entry["lora_parameters"] = [n for n, _ in pm.named_parameters()]
            entry["lora_decay"] = Trainer.get_decay_parameter_names(None, pm)
        out[arch] = entry
    path = os.path.join(root, "tests", "data", "train", "decay_parameters.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=0)
        f.write("\n")
    print(f"wrote {path}: {len(out)} models")


if __name__ == "__main__":
    main()
