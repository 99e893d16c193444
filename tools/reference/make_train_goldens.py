"""Training goldens from the Hugging Face Trainer + peft: per-step loss, grad norm and learning
rate, and the trained weights, for LoRA, DoRA and full fine-tuning of tiny fixture models
(tests/data/hf/<arch>), so that swift.cpp's trainer can be checked step by step.

Every run: float32 CPU, one thread, 30 optimizer steps, per-device batch 2 x gradient accumulation
2, fixed data order (no shuffling), no dropout, AdamW, linear warmup then cosine decay, gradient
clipping at 1.0 (active: the tiny models' gradients are larger), weight decay 0.1. The loss is
the token mean over all label tokens of the accumulation window (what the Trainer does when the
model takes num_items_in_batch, and what ms-swift does); micro-batches hold different numbers of
label tokens so that this matters.

Writes OUT/ (default tests/data/train):
  data.jsonl                     the 120 samples in training order: input_ids, labels (-100 masked)
  <arch>_<mode>/args.json        every setting, the adapter config, versions
  <arch>_<mode>/adapter_init/    the starting adapter (PEFT layout; lora and dora), so both sides
                                 start equal; full fine-tuning starts from tests/data/hf/<arch>
  <arch>_<mode>/steps.jsonl      per optimizer step: loss, grad_norm (before clipping),
                                 learning_rate (used by that step), label_tokens
  <arch>_<mode>/step4.safetensors, final.safetensors
                                 the trainable tensors after step 4 (the first at full rate;
                                 step 1 has rate 0) and after the last step
                                 (PEFT names for adapters, checkpoint names for full)
Usage: python tools/reference/make_train_goldens.py [--data tests/data] [--out DIR]
           [--archs qwen3,llama,qwen3_moe] [--modes lora,dora,full] [--seed 42] [--check]
--check recomputes and compares with the files in OUT instead of writing them.
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
from common import Report, deterministic  # noqa: E402

STEPS, BATCH, ACCUM, SEQ = 30, 2, 2, 16
# Warmup starts at learning rate 0, so step 1 moves nothing but the optimizer state: the early
# snapshot is taken after the last warmup step instead.
EARLY = 4
SEED = 42
SETTINGS = dict(max_steps=STEPS, per_device_train_batch_size=BATCH, gradient_accumulation_steps=ACCUM,
                lr_scheduler_type="cosine", warmup_steps=3, max_grad_norm=1.0, weight_decay=0.1,
                adam_beta1=0.9, adam_beta2=0.999, adam_epsilon=1e-8, optim="adamw_torch", seed=SEED)
LR = {"lora": 1e-3, "dora": 1e-3, "full": 1e-4}
# PEFT's all-linear also targets the fused expert tensors of transformers 5's MoE blocks (as
# target_parameters); DoRA has no such form there.
SKIP = {("qwen3_moe", "dora"): "peft 0.20 has no DoRA for fused MoE expert parameters"}
LORA = dict(r=8, lora_alpha=16, lora_dropout=0.0, target_modules="all-linear", bias="none")


def set_seed(seed):
    global SEED
    SEED = seed
    SETTINGS["seed"] = seed


def make_data(vocab):
    """120 samples of 16 ids; the first 2..10 positions are prompt (-100 labels)."""
    g = torch.Generator().manual_seed(SEED)
    rows = []
    for i in range(STEPS * BATCH * ACCUM):
        ids = torch.randint(3, vocab, (SEQ,), generator=g).tolist()
        prompt = 2 + (i * 5) % 9
        rows.append({"input_ids": ids, "labels": [-100] * prompt + ids[prompt:]})
    return rows


class Rows(torch.utils.data.Dataset):
    def __init__(self, rows):
        self.rows = rows

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, i):
        r = self.rows[i]
        return {"input_ids": torch.tensor(r["input_ids"]), "labels": torch.tensor(r["labels"]),
                "attention_mask": torch.ones(SEQ, dtype=torch.long)}


class Recorder(tf.TrainerCallback):
    """Per optimizer step: the learning rate the step uses (read before optimizer.step), and the
    trainable tensors after step EARLY."""

    def __init__(self, model):
        self.model = model
        self.lrs = []
        self.early = None

    def on_pre_optimizer_step(self, args, state, control, optimizer=None, **kw):
        opt = optimizer if optimizer is not None else kw.get("optimizer")
        self.lrs.append(opt.param_groups[0]["lr"])

    def on_step_end(self, args, state, control, **kw):
        if state.global_step == EARLY:
            self.early = trainable(self.model)


class SequentialTrainer(tf.Trainer):
    """Fixed data order, and the exact (unrounded) loss of every optimizer step."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.micro_losses = []

    def _get_train_sampler(self, *args, **kwargs):
        return torch.utils.data.SequentialSampler(self.train_dataset)

    def training_step(self, model, inputs, num_items_in_batch=None):
        loss = super().training_step(model, inputs, num_items_in_batch)
        self.micro_losses.append(float(loss.detach()))
        return loss


def trainable(model):
    if not hasattr(model, "peft_config"):
        # Full fine-tuning: the tensors as a checkpoint stores them (transformers fuses MoE
        # experts in memory and saves them per expert).
        tmp = tempfile.mkdtemp()
        try:
            model.save_pretrained(tmp, safe_serialization=True)
            files = sorted(f for f in os.listdir(tmp) if f.endswith(".safetensors"))
            out = {}
            for f in files:
                out.update(load_file(os.path.join(tmp, f)))
            return {k: v.float().contiguous() for k, v in out.items()}
        finally:
            shutil.rmtree(tmp)
    out = {}
    for n, p in model.named_parameters():
        if p.requires_grad:
            out[peft_name(n)] = p.detach().float().clone().contiguous()
    return out


def peft_name(n):
    # PEFT saves "base_model.model.<module>.lora_A.weight" (no adapter name).
    return n.replace(".lora_A.default.", ".lora_A.").replace(".lora_B.default.", ".lora_B.").replace(
        ".lora_magnitude_vector.default.weight", ".lora_magnitude_vector").replace(
        ".lora_magnitude_vector.default", ".lora_magnitude_vector")


def run(base_dir, mode, rows, work):
    import peft

    model = tf.AutoModelForCausalLM.from_pretrained(base_dir, attn_implementation="eager", dtype=torch.float32)
    lcfg = None
    if mode in ("lora", "dora"):
        torch.manual_seed(SEED)
        lcfg = peft.LoraConfig(use_dora=(mode == "dora"), **LORA)
        model = peft.get_peft_model(model, lcfg)
        model.save_pretrained(os.path.join(work, "adapter_init"))
    init = trainable(model)
    # The first window's loss, computed here by hand: the token mean over its label tokens.
    with torch.no_grad():
        tot, n = 0.0, 0
        for r in rows[:BATCH * ACCUM]:
            logits = model(input_ids=torch.tensor([r["input_ids"]])).logits[0, :-1]
            lab = torch.tensor(r["labels"][1:])
            m = lab != -100
            tot += float(torch.nn.functional.cross_entropy(logits[m], lab[m], reduction="sum"))
            n += int(m.sum())
        first_window = tot / n
    targs = tf.TrainingArguments(output_dir=os.path.join(work, "trainer"), learning_rate=LR[mode],
                                 logging_steps=1, save_strategy="no", report_to=[], use_cpu=True,
                                 dataloader_num_workers=0, dataloader_drop_last=True,
                                 remove_unused_columns=False, disable_tqdm=True, **SETTINGS)
    rec = Recorder(model)
    trainer = SequentialTrainer(model=model, args=targs, train_dataset=Rows(rows), callbacks=[rec])
    trainer.train()
    logs = [h for h in trainer.state.log_history if "grad_norm" in h]
    assert len(logs) == STEPS and len(trainer.micro_losses) == STEPS * ACCUM, (len(logs), len(trainer.micro_losses))
    steps = []
    for s in range(STEPS):
        window = rows[s * BATCH * ACCUM:(s + 1) * BATCH * ACCUM]
        # each micro-batch's loss is its label-token sum over the window's count: they add up
        loss = sum(trainer.micro_losses[s * ACCUM:(s + 1) * ACCUM])
        ntok = sum(sum(1 for x in r["labels"][1:] if x != -100) for r in window)
        steps.append({"step": s + 1, "loss": loss, "grad_norm": float(logs[s]["grad_norm"]),
                      "learning_rate": rec.lrs[s], "label_tokens": ntok})
    assert abs(steps[0]["loss"] - first_window) < 1e-5 * max(1.0, first_window), (steps[0]["loss"], first_window)
    return init, rec.early, trainable(model), steps, lcfg


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default="tests/data")
    ap.add_argument("--out", default="")
    ap.add_argument("--archs", default="qwen3,llama,qwen3_moe")
    ap.add_argument("--modes", default="lora,dora,full")
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--seed", type=int, default=SEED,
                    help="data, adapter initialisation and Trainer seed (held-out checks: another seed, --out elsewhere)")
    a = ap.parse_args()
    set_seed(a.seed)
    out = a.out or os.path.join(a.data, "train")
    deterministic()
    import peft

    rep = Report()
    rows = make_data(384)
    if a.check:
        want_rows = [json.loads(line) for line in open(os.path.join(out, "data.jsonl"))]
        rep.equal("data.jsonl", rows, want_rows)
    else:
        os.makedirs(out, exist_ok=True)
        with open(os.path.join(out, "data.jsonl"), "w") as f:
            for r in rows:
                f.write(json.dumps(r) + "\n")
    for arch in a.archs.split(","):
        base = os.path.join(a.data, "hf", arch)
        vocab = json.load(open(os.path.join(base, "config.json")))["vocab_size"]
        assert vocab == 384, vocab
        for mode in a.modes.split(","):
            name = f"{arch}_{mode}"
            if (arch, mode) in SKIP:
                print(f"{name}: skipped ({SKIP[arch, mode]})")
                continue
            work = tempfile.mkdtemp()
            try:
                init, early, final, steps, lcfg = run(base, mode, rows, work)
                d = os.path.join(out, name)
                if a.check:
                    want = [json.loads(line) for line in open(os.path.join(d, "steps.jsonl"))]
                    for g, w in zip(steps, want):
                        for k in ("loss", "grad_norm", "learning_rate"):
                            rep.tensor(f"{name} step {g['step']} {k}", torch.tensor(g[k], dtype=torch.float64),
                                       torch.tensor(w[k], dtype=torch.float64), rtol=1e-5, atol=1e-7)
                    for f, got in ((f"step{EARLY}", early), ("final", final)):
                        wt = load_file(os.path.join(d, f + ".safetensors"))
                        for k in sorted(wt):
                            rep.tensor(f"{name} {f} {k}", got[k], wt[k], rtol=1e-4, atol=1e-7)
                    continue
                if os.path.isdir(d):
                    shutil.rmtree(d)
                os.makedirs(d)
                if mode != "full":
                    shutil.copytree(os.path.join(work, "adapter_init"), os.path.join(d, "adapter_init"))
                    # the base is tests/data/hf/<arch>; keep the path relative and portable
                    cfgp = os.path.join(d, "adapter_init", "adapter_config.json")
                    c = json.load(open(cfgp))
                    c["base_model_name_or_path"] = f"tests/data/hf/{arch}"
                    json.dump(c, open(cfgp, "w"), indent=2, sort_keys=True)
                    readme = os.path.join(d, "adapter_init", "README.md")
                    if os.path.exists(readme):
                        os.remove(readme)
                with open(os.path.join(d, "steps.jsonl"), "w") as f:
                    for s in steps:
                        f.write(json.dumps(s) + "\n")
                save_file(early, os.path.join(d, f"step{EARLY}.safetensors"))
                save_file(final, os.path.join(d, "final.safetensors"))
                meta = dict(base=f"tests/data/hf/{arch}", mode=mode, learning_rate=LR[mode], **SETTINGS,
                            loss="token mean over the label tokens of each accumulation window",
                            data="../data.jsonl in order", dtype="float32", device="cpu",
                            lora=(dict(LORA, use_dora=(mode == "dora"),
                                       target_modules=sorted(lcfg.target_modules),
                                       target_parameters=sorted(lcfg.target_parameters or [])) if lcfg else None),
                            trainable_tensors=len(final),
                            versions=dict(torch=torch.__version__, transformers=tf.__version__,
                                          peft=peft.__version__))
                json.dump(meta, open(os.path.join(d, "args.json"), "w"), indent=2)
                print(f"{name}: loss {steps[0]['loss']:.4f} -> {steps[-1]['loss']:.4f}, "
                      f"grad_norm[0] {steps[0]['grad_norm']:.3f}, {len(final)} trainable tensors", flush=True)
            finally:
                shutil.rmtree(work)
    if a.check:
        sys.exit(rep.summary("train goldens"))


if __name__ == "__main__":
    main()
