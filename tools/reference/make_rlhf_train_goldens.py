"""Trainer goldens for `swift rlhf` from ms-swift 4.6 itself (TRL 0.29.1, transformers 5.17,
peft 0.20): each case runs ms-swift's own `swift rlhf` CLI on a tiny random model and keeps every
value it logs per step, so that tests/cli/test_cli_rlhf.cpp can run swift.cpp's `swift rlhf` with
the same argument list and compare step by step.

Models: `swift create-model --preset tiny --seed 7` (qwen3 with the Qwen3 tokenizer, llama with
the Llama 3 tokenizer; same seed, same bytes on both libtorch builds; case.json keeps the sha256).
LoRA cases start both sides from the same PEFT adapter (adapter_init/: PEFT's init with lora_B
drawn from a fixed seed, so the policy differs from the reference at step 1), given as
`--adapters`; ms-swift then trains that adapter and uses the base with it switched off as the
reference, as swift.cpp does. Full cases start from the model itself (reference: a frozen copy).

Writes OUT/ (default tests/data/rlhf/train; --heldout: tests/data/rlhf/heldout with another
model seed and other rows):
  prefs.jsonl, kto.jsonl       the rows (generated here, deterministic)
  <case>/case.json             create_model argv, model_sha256, dataset, adapters, args (the
                               `swift rlhf` argv without --model/--dataset/--output_dir/--adapters),
                               versions
  <case>/adapter_init/         LoRA cases
  <case>/steps.jsonl           ms-swift's train records (logging.jsonl), one per step
  <case>/final.safetensors     LoRA cases: the trained adapter (PEFT names)

Usage: .venv-ref/bin/python tools/reference/make_rlhf_train_goldens.py [--swift build/bin/swift]
           [--out DIR] [--heldout] [--cases substr,...] [--check]
--check reruns ms-swift and compares with the files in OUT instead of writing them.
"""
import argparse
import glob
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ASSETS = os.environ.get("SWIFT_TEST_ASSETS", os.path.expanduser("~/.cache/swift-cpp/test-assets"))
VENV_BIN = os.path.dirname(os.path.abspath(sys.executable))

COMMON = ["--torch_dtype", "float32", "--max_steps", "10", "--per_device_train_batch_size", "2",
          "--gradient_accumulation_steps", "2", "--lr_scheduler_type", "cosine", "--warmup_steps", "2",
          "--max_grad_norm", "1.0", "--weight_decay", "0.1", "--logging_steps", "1", "--eval_strategy", "no",
          "--save_strategy", "steps", "--save_steps", "100", "--dataset_shuffle", "false",
          "--split_dataset_ratio", "0", "--seed", "42", "--data_seed", "42", "--lora_dropout", "0",
          "--report_to", "none", "--dataloader_num_workers", "0", "--max_length", "256", "--use_hf", "true"]
ARCH = {"qwen3": ("qwen3", ["--model_type", "qwen3", "--template", "qwen3"]),
        "llama": ("llama3", ["--model_type", "llama", "--template", "llama3"])}
LR = {"lora": "1e-3", "full": "1e-4"}

# (name, arch, tuner, dataset, extra args)
CASES = [("qwen3_dpo_%s_lora" % t, "qwen3", "lora", "prefs", ["--rlhf_type", "dpo", "--loss_type", t]
          + (["--label_smoothing", "0.1"] if t == "robust" else []))
         for t in ["sigmoid", "hinge", "ipo", "exo_pair", "nca_pair", "robust", "bco_pair", "sppo_hard", "aot",
                   "aot_unpaired", "discopop", "apo_zero", "apo_down", "sft"]] + [
    ("qwen3_dpo_mpo_lora", "qwen3", "lora", "prefs",
     ["--rlhf_type", "dpo", "--loss_type", "sigmoid", "bco_pair", "sft", "--loss_weights", "0.8", "0.2", "1.0"]),
    ("qwen3_dpo_rpo_lora", "qwen3", "lora", "prefs", ["--rlhf_type", "dpo", "--rpo_alpha", "0.5"]),
    ("qwen3_dpo_ld_lora", "qwen3", "lora", "prefs", ["--rlhf_type", "dpo", "--ld_alpha", "0.5"]),
    ("qwen3_dpo_smooth_lora", "qwen3", "lora", "prefs", ["--rlhf_type", "dpo", "--label_smoothing", "0.2"]),
    ("qwen3_dpo_beta_lora", "qwen3", "lora", "prefs", ["--rlhf_type", "dpo", "--beta", "0.3"]),
    ("llama_dpo_sigmoid_lora", "llama", "lora", "prefs", ["--rlhf_type", "dpo"]),
    ("qwen3_dpo_sigmoid_full", "qwen3", "full", "prefs", ["--rlhf_type", "dpo"]),
    ("llama_dpo_ipo_full", "llama", "full", "prefs", ["--rlhf_type", "dpo", "--loss_type", "ipo"]),
    ("qwen3_cpo_lora", "qwen3", "lora", "prefs", ["--rlhf_type", "cpo"]),
    ("llama_cpo_full", "llama", "full", "prefs", ["--rlhf_type", "cpo"]),
    ("qwen3_simpo_lora", "qwen3", "lora", "prefs", ["--rlhf_type", "simpo"]),
    ("qwen3_orpo_lora", "qwen3", "lora", "prefs", ["--rlhf_type", "orpo"]),
    ("llama_orpo_full", "llama", "full", "prefs", ["--rlhf_type", "orpo"]),
    ("qwen3_kto_lora", "qwen3", "lora", "kto", ["--rlhf_type", "kto"]),
    ("qwen3_kto_desirable_lora", "qwen3", "lora", "kto", ["--rlhf_type", "kto", "--desirable_weight", "1.5"]),
    ("llama_kto_full", "llama", "full", "kto", ["--rlhf_type", "kto"]),
]
HELDOUT = [("llama_dpo_sigmoid_lora", "llama", "lora", "prefs", ["--rlhf_type", "dpo"]),
           ("qwen3_orpo_full", "qwen3", "full", "prefs", ["--rlhf_type", "orpo"]),
           ("qwen3_kto_lora", "qwen3", "lora", "kto", ["--rlhf_type", "kto"])]

SUBJECTS = ["rivers", "owls", "bread", "winter", "maps", "jazz", "ferns", "trains", "tea", "comets", "bees",
            "glass", "salt", "kites", "moss", "violins", "deserts", "clocks", "whales", "paper"]


def make_rows(seed):
    import random
    rng = random.Random(seed)
    prefs, kto = [], []
    for i in range(32):
        s = SUBJECTS[(i * 7 + seed) % len(SUBJECTS)]
        msgs = []
        if i % 5 == 0:
            msgs.append({"role": "system", "content": "You answer briefly."})
        msgs.append({"role": "user", "content": f"Tell me something about {s}" + "?" * (1 + i % 2)})
        good = f"{s.capitalize()} are " + " ".join(rng.choice(["quite", "very", "rather", "truly"])
                                                   for _ in range(1 + i % 4)) + " interesting."
        bad = "I " + " ".join(rng.choice(["do", "not", "really", "know"]) for _ in range(1 + (i * 3) % 5)) + "."
        prefs.append({"messages": msgs + [{"role": "assistant", "content": good}], "rejected_response": bad})
        label = rng.random() < 0.55
        kto.append({"messages": msgs + [{"role": "assistant", "content": good if label else bad}], "label": label})
    return prefs, kto


def write_jsonl(path, rows):
    with open(path, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


def sha256(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def sh(cmd, env=None, log=None):
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if log:
        open(log, "w").write(p.stdout + p.stderr)
    if p.returncode != 0:
        print(" ".join(cmd), "\n", (p.stdout + p.stderr)[-4000:])
        raise SystemExit(f"command failed (exit {p.returncode})")
    return p


def make_adapter(model_dir, out, seed):
    import torch
    import peft
    import transformers as tf
    m = tf.AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    cfg = peft.LoraConfig(r=8, lora_alpha=16, lora_dropout=0.0, bias="none", task_type="CAUSAL_LM",
                          target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj",
                                          "down_proj"])
    torch.manual_seed(seed)
    pm = peft.get_peft_model(m, cfg)
    g = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for n, p in pm.named_parameters():
            if "lora_B" in n:
                p.copy_(torch.randn(p.shape, generator=g) * 0.02)
    pm.save_pretrained(out)


def versions():
    import peft
    import torch
    import transformers
    import trl
    import swift
    return {"ms_swift": swift.__version__, "trl": trl.__version__, "torch": torch.__version__,
            "transformers": transformers.__version__, "peft": peft.__version__}


def train_records(run):
    recs = [json.loads(l) for l in open(os.path.join(run, "logging.jsonl"), encoding="utf-8") if l.strip()]
    return [r for r in recs if "loss" in r and "learning_rate" in r]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--swift", default=os.path.join(ROOT, "build/bin/swift"))
    ap.add_argument("--out", default="")
    ap.add_argument("--heldout", action="store_true")
    ap.add_argument("--cases", default="")
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    out = a.out or os.path.join(ROOT, "tests/data/rlhf", "heldout" if a.heldout else "train")
    model_seed = 13 if a.heldout else 7
    cases = HELDOUT if a.heldout else CASES
    if a.cases:
        cases = [c for c in cases if any(s in c[0] for s in a.cases.split(","))]
    work = tempfile.mkdtemp(prefix="swift_rlhf_goldens_")
    env = dict(os.environ, HF_HUB_OFFLINE="1", MODELSCOPE_OFFLINE="1", OMP_NUM_THREADS="1",
               CUDA_VISIBLE_DEVICES="")
    os.makedirs(out, exist_ok=True)
    prefs, kto = make_rows(101 if a.heldout else 0)
    data = {"prefs": os.path.join(out, "prefs.jsonl"), "kto": os.path.join(out, "kto.jsonl")}
    if not a.check:
        write_jsonl(data["prefs"], prefs)
        write_jsonl(data["kto"], kto)
    ver = versions()
    fails = 0
    try:
        models = {}
        for arch, (tok, _) in ARCH.items():
            create = ["--tokenizer", os.path.join(ASSETS, "tokenizers", tok), "--preset", "tiny",
                      "--model_type", arch, "--seed", str(model_seed)]
            d = os.path.join(work, arch)
            sh([a.swift, "create-model"] + create + ["--output_dir", d])
            models[arch] = (d, ["--tokenizer", tok] + create[2:], sha256(os.path.join(d, "model.safetensors")))
        for name, arch, tuner, ds, extra in cases:
            mdir, create, sha = models[arch]
            cdir = os.path.join(out, name)
            os.makedirs(cdir, exist_ok=True)
            args = extra + ["--tuner_type", tuner, "--learning_rate", LR[tuner]] + ARCH[arch][1] + COMMON
            adapters = None
            if tuner == "lora":
                adapters = "adapter_init"
                if not a.check:
                    shutil.rmtree(os.path.join(cdir, "adapter_init"), ignore_errors=True)
                    make_adapter(mdir, os.path.join(cdir, "adapter_init"), 1234)
            run_out = os.path.join(work, "runs", name)
            cmd = [os.path.join(VENV_BIN, "swift"), "rlhf", "--model", mdir, "--dataset", data[ds],
                   "--output_dir", run_out] + (["--adapters", os.path.join(cdir, adapters)] if adapters else []) + args
            sh(cmd, env=env, log=os.path.join(work, name + ".log"))
            run = sorted(glob.glob(os.path.join(run_out, "v*")))[-1]
            steps = train_records(run)
            if a.check:
                old = [json.loads(l) for l in open(os.path.join(cdir, "steps.jsonl"))]
                worst = max(abs(x[k] - y[k]) / max(abs(y[k]), 1e-6) for x, y in zip(steps, old) for k in y
                            if isinstance(y[k], float) and k != "train_speed(s/it)")
                ok = len(old) == len(steps) and worst <= 1e-6
                fails += not ok
                print(f"{name} max_rel_err={worst:.3g} tol=1e-6 {'PASS' if ok else 'FAIL'}", flush=True)
                continue
            write_jsonl(os.path.join(cdir, "steps.jsonl"), steps)
            if tuner == "lora":
                ck = sorted(glob.glob(os.path.join(run, "checkpoint-*")), key=lambda p: int(p.split("-")[-1]))[-1]
                shutil.copy(os.path.join(ck, "adapter_model.safetensors"), os.path.join(cdir, "final.safetensors"))
            case = {"create_model": create, "model_sha256": sha, "dataset": os.path.basename(data[ds]),
                    "adapters": adapters, "args": args, **ver,
                    "notes": "ms-swift's own `swift rlhf` on CPU; steps.jsonl = its logging.jsonl train records"}
            json.dump(case, open(os.path.join(cdir, "case.json"), "w"), indent=1)
            print(f"{name}: {len(steps)} steps, loss {steps[0]['loss']:.6f} -> {steps[-1]['loss']:.6f}", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if fails else 0)


if __name__ == "__main__":
    main()
