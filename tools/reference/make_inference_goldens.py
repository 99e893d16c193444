"""Regenerates the inference goldens of tests/data from the pinned reference stack and compares
them with the committed ones (the default), or writes them into a new folder (--out).

  tests/data/hf/<arch>/    tiny models: weights (recipe + seed in manifest.json), logits, padded
                           logits, 10 greedy ids, loss and gradients; PEFT LoRA (and DoRA for
                           llama) adapters with their logits, gradients and merged logits
  tests/data/e2e/<name>/   tiny models with real vocabularies: the chat prompt transformers renders
                           and the greedy response (needs the tokenizer files, see --tokenizers)

The outputs are computed from the committed weights and adapters; the weights themselves are
rebuilt from the recipe and compared bit for bit (a mismatch there is reported, not fatal, since
it only means another torch draws differently; the goldens are what the tests use).

Usage: python tools/reference/make_inference_goldens.py [--data tests/data] [--archs a,b]
           [--tokenizers DIR] [--out DIR]
Exit code 1 when a golden differs beyond its tolerance.
"""
import argparse
import json
import os
import shutil
import sys
import tempfile

import torch
import transformers as tf
from safetensors.torch import load_file, save_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Report, deterministic, wide_init  # noqa: E402

# Tolerances: float32 CPU, but another torch may pick other kernels (sum order).
LOGIT_RTOL = 2e-5
GRAD_RTOL = 1e-4
LOSS_ATOL = 1e-5


def load_model(d):
    m = tf.AutoModelForCausalLM.from_pretrained(d, attn_implementation="eager", dtype=torch.float32)
    m.generation_config.eos_token_id = None
    m.generation_config.pad_token_id = 0
    return m.eval()


def outputs(model, g):
    """What golden*.safetensors hold, for the inputs stored in the committed golden.safetensors."""
    ids, labels = g["input_ids"], g["labels"]
    out = {}
    model.zero_grad(set_to_none=True)
    with torch.no_grad():
        out["logits"] = model(input_ids=ids).logits.float()
        out["logits_padded"] = model(input_ids=g["input_ids_padded"],
                                     attention_mask=g["attention_mask_padded"],
                                     position_ids=g["position_ids_padded"]).logits.float()
        gen = model.generate(ids[:1], max_new_tokens=10, do_sample=False, eos_token_id=None,
                             pad_token_id=0)
        out["greedy_ids"] = gen[0, ids.shape[1]:]
    res = model(input_ids=ids, labels=labels)
    res.loss.backward()
    out["loss"] = res.loss.detach().reshape(1)
    for n, p in model.named_parameters():
        if p.requires_grad and p.grad is not None:
            out["grad." + n] = p.grad.detach().float()
    return out


def compare(rep, prefix, got, want, keys=None):
    keys = sorted(want) if keys is None else keys
    for k in keys:
        if k not in got:
            if k.startswith(("input_ids", "labels", "attention_mask", "position_ids")):
                continue
            rep.equal(f"{prefix} {k} present", False, True)
            continue
        w = want[k]
        if k in ("greedy_ids",):
            rep.tensor(f"{prefix} {k}", got[k], w, exact=True)
        elif k == "loss":
            rep.tensor(f"{prefix} {k}", got[k], w, atol=LOSS_ATOL)
        elif k.startswith("grad."):
            rep.tensor(f"{prefix} {k}", got[k], w, rtol=GRAD_RTOL, atol=1e-7)
        elif k == "logits_padded" and "_mask" in want:
            m = want["_mask"].bool()
            rep.tensor(f"{prefix} {k}", got[k][m], w[m], rtol=LOGIT_RTOL)
        else:
            rep.tensor(f"{prefix} {k}", got[k], w, rtol=LOGIT_RTOL)


def check_arch(rep, d, out_dir):
    import peft

    arch = os.path.basename(d)
    man = json.load(open(os.path.join(d, "manifest.json")))
    seed = man["seed"]
    # 1. weights from the recipe
    torch.manual_seed(seed)
    cfg = tf.AutoConfig.from_pretrained(d)
    fresh = tf.AutoModelForCausalLM.from_config(cfg, attn_implementation="eager", dtype=torch.float32)
    wide_init(fresh, seed)
    committed = load_file(os.path.join(d, "model.safetensors"))
    # through save_pretrained: transformers fuses MoE experts in memory and saves them per expert
    tmp = tempfile.mkdtemp()
    try:
        fresh.save_pretrained(tmp, safe_serialization=True)
        sd = load_file(os.path.join(tmp, "model.safetensors"))
    finally:
        shutil.rmtree(tmp)
    same = sorted(sd) == sorted(committed) and all(torch.equal(sd[k], committed[k]) for k in sd)
    print(f"{'ok  ' if same else 'note'} {arch} weights from recipe seed {seed}: "
          f"{'bit-identical' if same else 'differ (goldens still computed from committed weights)'}")
    # 2. base goldens from the committed weights
    want = load_file(os.path.join(d, "golden.safetensors"))
    want["_mask"] = want["attention_mask_padded"].unsqueeze(-1).expand_as(want["logits_padded"])
    model = load_model(d)
    got = outputs(model, want)
    compare(rep, arch, got, want, [k for k in sorted(want) if k != "_mask"])
    if out_dir:
        od = os.path.join(out_dir, arch)
        shutil.copytree(d, od, dirs_exist_ok=True)
        keep = {k: want[k] for k in ("input_ids", "labels", "input_ids_padded",
                                    "attention_mask_padded", "position_ids_padded")}
        keep.update(got)
        save_file({k: v.contiguous() for k, v in keep.items()}, os.path.join(od, "golden.safetensors"))
    # 3. adapters
    for sub, golden in (("adapter", "golden_lora"), ("dora", "golden_dora")):
        ad = os.path.join(d, sub)
        if not os.path.isdir(ad):
            continue
        w = load_file(os.path.join(d, golden + ".safetensors"))
        w["_mask"] = want["_mask"]
        pm = peft.PeftModel.from_pretrained(load_model(d), ad, is_trainable=True).eval()
        g2 = outputs(pm, want)
        g2 = {k: v for k, v in g2.items() if not k.startswith("grad.") or "lora_" in k}
        merged = pm.merge_and_unload()
        with torch.no_grad():
            g2["merged_logits"] = merged(input_ids=want["input_ids"]).logits.float()
        compare(rep, f"{arch}/{sub}", g2, w, [k for k in sorted(w) if k != "_mask"])
        if out_dir:
            save_file({k: v.contiguous() for k, v in g2.items()},
                      os.path.join(out_dir, arch, golden + ".safetensors"))


def check_e2e(rep, d, tokdir, out_dir):
    name = os.path.basename(d)
    tokname = name.replace("_e2e", "")
    work = tempfile.mkdtemp()
    try:
        for f in os.listdir(d):
            shutil.copy(os.path.join(d, f), work)
        src = os.path.join(tokdir, tokname)
        for f in ("tokenizer.json", "tokenizer_config.json"):
            shutil.copy(os.path.join(src, f), work)
        model = tf.AutoModelForCausalLM.from_pretrained(work, attn_implementation="eager",
                                                        dtype=torch.float32).eval()
        tok = tf.AutoTokenizer.from_pretrained(work)
        gen_cfg = json.load(open(os.path.join(d, "generation_config.json")))
        eos = gen_cfg["eos_token_id"]
        pad = json.load(open(os.path.join(d, "config.json")))["pad_token_id"]
        kw = {"enable_thinking": False} if tokname == "qwen3" else {}
        rows = [json.loads(line) for line in open(os.path.join(d, "e2e_golden.jsonl"), encoding="utf-8")]
        out_rows = []
        for i, r in enumerate(rows):
            text = tok.apply_chat_template(r["messages"], tokenize=False, add_generation_prompt=True, **kw)
            ids = tok(text, add_special_tokens=False, return_tensors="pt").input_ids
            with torch.no_grad():
                o = model.generate(ids, max_new_tokens=16, do_sample=False, eos_token_id=eos, pad_token_id=pad)
            new = o[0, ids.shape[1]:].tolist()
            resp = tok.decode(new, skip_special_tokens=True)
            rep.equal(f"{name}[{i}] prompt_text", text, r["prompt_text"])
            rep.equal(f"{name}[{i}] prompt_ids", ids[0].tolist(), r["prompt_ids"])
            rep.equal(f"{name}[{i}] response_ids", new, r["response_ids"])
            rep.equal(f"{name}[{i}] response", resp, r["response"])
            out_rows.append({"messages": r["messages"], "prompt_text": text, "prompt_ids": ids[0].tolist(),
                             "response_ids": new, "response": resp})
        if out_dir:
            od = os.path.join(out_dir, "e2e", name)
            shutil.copytree(d, od, dirs_exist_ok=True)
            with open(os.path.join(od, "e2e_golden.jsonl"), "w", encoding="utf-8") as f:
                for r in out_rows:
                    f.write(json.dumps(r, ensure_ascii=False) + "\n")
    finally:
        shutil.rmtree(work)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default="tests/data")
    ap.add_argument("--archs", default="")
    ap.add_argument("--tokenizers", default=os.path.join(
        os.environ.get("SWIFT_TEST_ASSETS", os.path.expanduser("~/.cache/swift-cpp/test-assets")), "tokenizers"))
    ap.add_argument("--out", default="", help="write the regenerated goldens here (never over --data)")
    ap.add_argument("--no-e2e", action="store_true")
    a = ap.parse_args()
    if a.out and os.path.realpath(a.out) == os.path.realpath(a.data):
        sys.exit("--out must not be the committed folder: compare first, then copy what you mean to")
    deterministic()
    rep = Report()
    hf = os.path.join(a.data, "hf")
    archs = a.archs.split(",") if a.archs else sorted(
        x for x in os.listdir(hf) if os.path.isfile(os.path.join(hf, x, "golden.safetensors")))
    for arch in archs:
        check_arch(rep, os.path.join(hf, arch), a.out and os.path.join(a.out, "hf"))
    if not a.no_e2e:
        e2e = os.path.join(a.data, "e2e")
        for name in sorted(os.listdir(e2e)):
            if not os.path.isdir(os.path.join(a.tokenizers, name.replace("_e2e", ""))):
                print(f"skip {name}: no tokenizer under {a.tokenizers} (run scripts/fetch-test-assets.sh)")
                continue
            check_e2e(rep, os.path.join(e2e, name), a.tokenizers, a.out)
    print(f"versions: torch {torch.__version__}, transformers {tf.__version__}")
    sys.exit(rep.summary("inference goldens"))


if __name__ == "__main__":
    main()
