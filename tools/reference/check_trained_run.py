"""What swift.cpp's training writes, read back by the Hugging Face stack (reference environment).

For each --model_types architecture: `swift create-model` makes a tiny random model with a real
tokenizer, `swift sft` trains it on tests/data/demo/self_cognition.jsonl three ways (LoRA, DoRA,
full), `swift rlhf --rlhf_type dpo` continues the LoRA on preference rows made of the same data
(--adapters and --ref_adapters the SFT checkpoint), and then:
  - PEFT loads the LoRA, DoRA and DPO checkpoints (PeftModel.from_pretrained) and transformers loads
    the full checkpoint (AutoModelForCausalLM / AutoTokenizer.from_pretrained); their logits,
    padded logits, loss, 10 greedy ids and (adapters) merged logits become goldens that
    `swift-parity model` checks swift.cpp against (logits |d| <= 1e-4 + 1e-4 |ref|);
  - TensorBoard's own reader (EventAccumulator) parses runs/ and its train/loss scalars equal
    logging.jsonl's losses;
  - logging.jsonl has ms-swift's keys and images/train_loss.png is a PNG.
Prints `<check> max_abs_err=<x> tol=<t> PASS|FAIL` lines; exits 0 iff all pass.

  .venv-ref/bin/python tools/reference/check_trained_run.py [--bin build/bin] [--keep DIR]
"""
import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ASSETS = os.environ.get("SWIFT_TEST_ASSETS", os.path.expanduser("~/.cache/swift-cpp/test-assets"))
TOKENIZER_OF = {"qwen3": "qwen3", "llama": "llama3", "qwen2": "qwen2.5"}
# ms-swift 4.6's train record (memory(GiB) only where a GPU has allocated some).
TRAIN_KEYS = ["loss", "grad_norm", "learning_rate", "token_acc", "epoch", "global_step/max_steps",
              "elapsed_time", "remaining_time", "train_speed(s/it)"]

fails = 0


def line(check, err, tol, ok):
    global fails
    fails += 0 if ok else 1
    print(f"{check} max_abs_err={err:.3g} tol={tol} {'PASS' if ok else 'FAIL'}", flush=True)


def sh(cmd, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if p.returncode != 0:
        print(" ".join(cmd), "\n", p.stdout[-3000:], p.stderr[-3000:])
        raise SystemExit(f"command failed (exit {p.returncode}): {cmd[:2]}")
    return p


def run_dir(out):
    runs = sorted(glob.glob(os.path.join(out, "v*-*")))
    if not runs:
        raise SystemExit(f"no v*- run folder under {out}")
    return runs[-1]


def last_checkpoint(run):
    ck = sorted(glob.glob(os.path.join(run, "checkpoint-*")), key=lambda p: int(p.rsplit("-", 1)[1]))
    if not ck:
        raise SystemExit(f"no checkpoint-* under {run}")
    return ck[-1]


def inputs(tok, rows):
    """Two chat prompts of the training set, cut to one length; a left-padded copy of them."""
    ids = [tok.apply_chat_template(r["messages"], tokenize=True, add_generation_prompt=False) for r in rows[:2]]
    ids = [i["input_ids"] if isinstance(i, dict) or hasattr(i, "keys") else i for i in ids]
    n = min(len(i) for i in ids)
    x = torch.tensor([i[:n] for i in ids], dtype=torch.int64)
    labels = x.clone()
    labels[:, : n // 2] = -100
    pad = 3
    xp = x.clone()
    xp[1, pad:] = x[1, : n - pad]
    xp[1, :pad] = 0
    mask = torch.ones_like(xp)
    mask[1, :pad] = 0
    pos = (mask.cumsum(-1) - 1).clamp(min=0)
    return dict(input_ids=x, labels=labels, input_ids_padded=xp, attention_mask_padded=mask,
                position_ids_padded=pos)


def outputs(model, g, merged=None):
    out = {}
    with torch.no_grad():
        out["logits"] = model(input_ids=g["input_ids"]).logits.float()
        out["logits_padded"] = model(input_ids=g["input_ids_padded"], attention_mask=g["attention_mask_padded"],
                                     position_ids=g["position_ids_padded"]).logits.float()
        gen = model.generate(g["input_ids"][:1], attention_mask=torch.ones_like(g["input_ids"][:1]),
                             max_new_tokens=10, do_sample=False, eos_token_id=None, pad_token_id=0)
        out["greedy_ids"] = gen[0, g["input_ids"].shape[1]:]
        out["loss"] = model(input_ids=g["input_ids"], labels=g["labels"]).loss.detach().reshape(1)
        if merged is not None:
            out["merged_logits"] = merged(input_ids=g["input_ids"]).logits.float()
    return out


def check_logs(name, run):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    recs = [json.loads(l) for l in open(os.path.join(run, "logging.jsonl"), encoding="utf-8")]
    train = [r for r in recs if "loss" in r and "eval_loss" not in r and "train_runtime" not in r]
    missing = [k for k in TRAIN_KEYS if train and k not in train[0]]
    line(f"{name} logging.jsonl train keys (missing: {missing or 'none'})", len(missing), "0", bool(train) and not missing)
    end = [r for r in recs if "train_runtime" in r]
    line(f"{name} logging.jsonl end record", 0 if end else 1, "0", bool(end))
    ea = EventAccumulator(os.path.join(run, "runs"))
    ea.Reload()
    tags = ea.Tags().get("scalars", [])
    ok = "train/loss" in tags
    err = float("inf")
    if ok:
        tb = {e.step: e.value for e in ea.Scalars("train/loss")}
        steps = [int(r["global_step/max_steps"].split("/")[0]) for r in train]
        err = max(abs(tb.get(s, float("inf")) - r["loss"]) for s, r in zip(steps, train))
        ok = len(tb) == len(train)
    line(f"{name} tensorboard reader: train/loss == logging.jsonl loss ({len(tags)} tags)", err, "1e-4",
         ok and err <= 1e-4 * max(1.0, max(abs(r["loss"]) for r in train)))
    png = os.path.join(run, "images", "train_loss.png")
    is_png = os.path.isfile(png) and open(png, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    line(f"{name} images/train_loss.png is a PNG", 0 if is_png else 1, "0", is_png)


def parity(a, name, pdir):
    p = subprocess.run([os.path.join(a.bin, "swift-parity"), "model", pdir], capture_output=True, text=True)
    for l in p.stdout.splitlines():
        if " PASS" in l or " FAIL" in l:
            print(f"{name}: {l.replace(pdir + ' ', '')}")
    line(f"{name} swift-parity model", p.returncode, "0", p.returncode == 0)
    if p.returncode != 0:
        print(p.stdout[-3000:], p.stderr[-3000:])


def check_arch(a, work, model_type):
    import peft
    import transformers as tf
    from safetensors.torch import save_file

    tokdir = os.path.join(ASSETS, "tokenizers", TOKENIZER_OF.get(model_type, model_type))
    if not os.path.isfile(os.path.join(tokdir, "tokenizer.json")):
        raise SystemExit(f"no tokenizer asset {tokdir} (bash scripts/fetch-test-assets.sh)")
    swift = os.path.join(a.bin, "swift")
    model = os.path.join(work, model_type, "model")
    sh([swift, "create-model", "--tokenizer", tokdir, "--output_dir", model, "--preset", "tiny",
        "--model_type", model_type, "--tie_word_embeddings", "false", "--seed", str(a.seed)])
    data = os.path.join(ROOT, "tests/data/demo/self_cognition.jsonl")
    rows = [json.loads(l) for l in open(data, encoding="utf-8")]
    base = ["sft", "--model", model, "--dataset", data, "--max_steps", "6", "--save_steps", "3",
            "--logging_steps", "1", "--eval_steps", "3", "--split_dataset_ratio", "0.25",
            "--seed", str(a.seed), "--data_seed", str(a.seed), "--report_to", "tensorboard"]
    runs = {}
    for tuner, extra in (("lora", ["--tuner_type", "lora", "--learning_rate", "5e-3", "--lora_rank", "8"]),
                         ("dora", ["--tuner_type", "lora", "--use_dora", "true", "--learning_rate", "5e-3"]),
                         ("full", ["--tuner_type", "full", "--learning_rate", "1e-3"])):
        out = os.path.join(work, model_type, tuner)
        sh([swift] + base + extra + ["--output_dir", out])
        runs[tuner] = run_dir(out)
        check_logs(f"{model_type}/{tuner}", runs[tuner])
    # DPO after the LoRA run (swift rlhf --adapters sft --ref_adapters sft): its adapter too.
    prefs = os.path.join(work, model_type, "prefs.jsonl")
    with open(prefs, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps({"messages": r["messages"], "rejected_response": "I am not sure."}) + "\n")
    sft_ck = last_checkpoint(runs["lora"])
    out = os.path.join(work, model_type, "dpo")
    sh([swift, "rlhf", "--rlhf_type", "dpo", "--model", model, "--dataset", prefs, "--adapters", sft_ck,
        "--ref_adapters", sft_ck, "--max_steps", "4", "--save_steps", "4", "--logging_steps", "1",
        "--learning_rate", "5e-3", "--seed", str(a.seed), "--output_dir", out])
    runs["dpo"] = run_dir(out)
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    ea = EventAccumulator(os.path.join(runs["dpo"], "runs"))
    ea.Reload()
    tags = set(ea.Tags().get("scalars", []))
    want = {"train/loss", "train/rewards/chosen", "train/rewards/rejected", "train/rewards/accuracies",
            "train/rewards/margins", "train/logps/chosen", "train/logps/rejected", "train/logits/chosen",
            "train/logits/rejected"}
    line(f"{model_type}/dpo tensorboard reader: TRL's DPO tags (missing: {sorted(want - tags) or 'none'})",
         len(want - tags), "0", want <= tags)

    tok = tf.AutoTokenizer.from_pretrained(model)
    g = inputs(tok, rows)

    def hf(d):
        m = tf.AutoModelForCausalLM.from_pretrained(d, dtype=torch.float32, attn_implementation="eager")
        m.generation_config.eos_token_id = None
        m.generation_config.pad_token_id = 0
        return m.eval()

    # Adapters: PEFT loads what swift.cpp saved.
    for tuner, sub, golden in (("lora", "adapter", "golden_lora"), ("dora", "dora", "golden_dora"),
                               ("dpo", "adapter", "golden_lora")):
        ck = last_checkpoint(runs[tuner])
        pdir = os.path.join(work, model_type, f"parity_{tuner}")
        os.makedirs(pdir)
        for f in os.listdir(model):  # copies: swift.cpp refuses symlinks leaving a model folder
            shutil.copy(os.path.join(model, f), os.path.join(pdir, f))
        shutil.copytree(ck, os.path.join(pdir, sub))
        pm = peft.PeftModel.from_pretrained(hf(model), ck).eval()
        cfg = json.load(open(os.path.join(ck, "adapter_config.json")))
        line(f"{model_type}/{tuner} PEFT loads {os.path.basename(ck)} (use_dora={cfg.get('use_dora')})", 0, "0",
             cfg.get("use_dora", False) == (tuner == "dora"))
        unmerged = outputs(pm, g)
        merged = peft.PeftModel.from_pretrained(hf(model), ck).eval().merge_and_unload()
        with torch.no_grad():
            unmerged["merged_logits"] = merged(input_ids=g["input_ids"]).logits.float()
        save_file({k: v.contiguous() for k, v in g.items()}, os.path.join(pdir, "golden.safetensors"))
        save_file({k: v.contiguous() for k, v in unmerged.items()}, os.path.join(pdir, golden + ".safetensors"))
        parity(a, f"{model_type}/{tuner}", pdir)

    # Full fine-tuning: transformers loads the checkpoint folder, tokenizer included.
    ck = last_checkpoint(runs["full"])
    pdir = os.path.join(work, model_type, "parity_full")
    os.makedirs(pdir)
    for f in os.listdir(ck):
        if os.path.isfile(os.path.join(ck, f)):
            shutil.copy(os.path.join(ck, f), os.path.join(pdir, f))
    tf.AutoTokenizer.from_pretrained(ck)
    full = hf(ck)
    base_model = hf(model)
    moved = max((p - q).abs().max().item() for p, q in zip(full.parameters(), base_model.parameters()))
    line(f"{model_type}/full transformers loads {os.path.basename(ck)}; weights moved by training", moved, ">0",
         moved > 0)
    golden = dict(g)
    golden.update(outputs(full, g))
    save_file({k: v.contiguous() for k, v in golden.items()}, os.path.join(pdir, "golden.safetensors"))
    parity(a, f"{model_type}/full", pdir)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default=os.path.join(ROOT, "build/bin"))
    ap.add_argument("--model_types", default="qwen3,llama")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--keep", default="", help="work folder to keep (default: a temporary one, removed)")
    a = ap.parse_args()
    a.bin = os.path.abspath(a.bin)
    torch.set_num_threads(1)
    work = a.keep or tempfile.mkdtemp(prefix="swift_trained_run_")
    if a.keep:
        shutil.rmtree(work, ignore_errors=True)
        os.makedirs(work)
    try:
        for mt in a.model_types.split(","):
            check_arch(a, work, mt)
    finally:
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(f"{'all checks pass' if fails == 0 else f'{fails} checks FAIL'}")
    sys.exit(1 if fails else 0)


if __name__ == "__main__":
    main()
