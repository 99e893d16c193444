#!/usr/bin/env python3
"""trainer_state.json as transformers 5.17 writes it (TrainerState.save_to_json), the reference of
src/train/trainer_state.cpp: tests/data/train/trainer_state/.

- run/checkpoint-{3,6}/trainer_state.json: a real Trainer run (tiny random Llama, 6 steps,
  logging_first_step, logging every 2, eval + save every 3, metric_for_best_model loss) with
  ms-swift's one addition to log_history: `token_acc` in train logs (SwiftMixin.log adds its
  custom metrics before Trainer.log records them). ms-swift's other per-log keys
  (global_step/max_steps, elapsed_time, ...) are added by its callbacks' on_log to a copy and
  never reach log_history. The eval runtimes are measured, so a rerun gives other numbers;
  the C++ test reads these files back and needs no particular values.
- constructed.json: a TrainerState built field by field with the edge cases of Python's
  json.dumps (float repr around 1e16 and 1e-4, NaN/Infinity, non-ASCII, ints vs floats, nested
  trial_params, two callbacks of one class) - the C++ test builds the same state.
- constructed_default.json: TrainerState() as the Trainer creates it before training.
- speed_metrics.json: transformers' speed_metrics (the runtime/throughput keys of eval and
  end-of-training logs) for fixed runtimes, and Python's round() on ties and edge cases.

    .venv-ref/bin/python tools/reference/make_trainer_state_golden.py
"""
import json
import math
import os
import shutil
import tempfile
import types

import torch
from transformers import (LlamaConfig, LlamaForCausalLM, Trainer, TrainerControl, TrainerState,
                          TrainingArguments)
from transformers.trainer_callback import EarlyStoppingCallback

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "tests", "data", "train", "trainer_state")


class Rows(torch.utils.data.Dataset):
    def __init__(self, n, seed):
        g = torch.Generator().manual_seed(seed)
        self.ids = torch.randint(0, 64, (n, 8), generator=g)

    def __len__(self):
        return len(self.ids)

    def __getitem__(self, i):
        return {"input_ids": self.ids[i], "labels": self.ids[i]}


class SwiftLikeTrainer(Trainer):
    """ms-swift's SwiftMixin.log: custom metrics join the logs before Trainer.log records them."""

    def log(self, logs, *args, **kwargs):
        if self.model.training and "loss" in logs:
            logs["token_acc"] = 0.015625 * self.state.global_step
        return super().log(logs, *args, **kwargs)


def real_run():
    torch.manual_seed(0)
    torch.set_num_threads(1)
    cfg = LlamaConfig(vocab_size=64, hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                      num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=32)
    model = LlamaForCausalLM(cfg)
    with tempfile.TemporaryDirectory() as d:
        args = TrainingArguments(
            output_dir=d, max_steps=6, per_device_train_batch_size=2, per_device_eval_batch_size=2,
            learning_rate=1e-3, lr_scheduler_type="cosine", warmup_steps=1, logging_steps=2,
            logging_first_step=True, eval_strategy="steps", eval_steps=3, save_strategy="steps",
            save_steps=3, metric_for_best_model="loss", greater_is_better=False, report_to=[],
            use_cpu=True, seed=42, dataloader_num_workers=0, disable_tqdm=True)
        trainer = SwiftLikeTrainer(model=model, args=args, train_dataset=Rows(16, 1),
                                   eval_dataset=Rows(4, 2))
        trainer.train()
        dst = os.path.join(OUT, "run")
        shutil.rmtree(dst, ignore_errors=True)
        for step in (3, 6):
            os.makedirs(os.path.join(dst, f"checkpoint-{step}"))
            with open(os.path.join(d, f"checkpoint-{step}", "trainer_state.json"), "rb") as f:
                text = f.read()
            # best_model_checkpoint is an absolute path into the temporary folder.
            text = text.replace(d.encode(), b"/tmp/run")
            with open(os.path.join(dst, f"checkpoint-{step}", "trainer_state.json"), "wb") as f:
                f.write(text)


def constructed():
    control = TrainerControl()
    control.should_save = True
    control.should_training_stop = True
    early = EarlyStoppingCallback(early_stopping_patience=3, early_stopping_threshold=0.01)
    early.early_stopping_patience_counter = 1
    state = TrainerState(stateful_callbacks=[control, early, early])
    state.epoch = 1.0000000000000002
    state.global_step = 12
    state.max_steps = 30
    state.logging_steps = 5
    state.eval_steps = 10
    state.save_steps = 10
    state.train_batch_size = 2
    state.num_train_epochs = 3
    state.num_input_tokens_seen = 123456789012
    state.total_flos = 1234567890123456.0  # repr: fixed notation up to 1e16
    state.best_metric = 0.30000000000000004
    state.best_global_step = 10
    state.best_model_checkpoint = "output/Qwen3-0.6B/v0-20260101-000000/checkpoint-10"
    state.trial_name = "trial \u00e9\u4e2d\U0001F600 \"q\" \\ \t\x01\x7f"
    state.trial_params = {"lr": 1e-05, "layers": [1, 2.5, None, True], "name": "x"}
    state.log_history = [
        {"loss": 2.0794415416798357, "grad_norm": float("nan"), "learning_rate": 0.0,
         "token_acc": 0.0001, "epoch": 0.1, "step": 1},
        {"loss": 1e16, "grad_norm": float("inf"), "learning_rate": 9.999999999999999e-06,
         "epoch": 0.5, "step": 5, "num_input_tokens_seen": 640},
        {"loss": 9999999999999998.0, "grad_norm": -float("inf"), "learning_rate": 1.5e-07,
         "epoch": 1.0, "step": 10},
        {"eval_loss": 0.30000000000000004, "eval_runtime": 0.1234, "eval_samples_per_second": 32.41,
         "eval_steps_per_second": 16.207, "epoch": 1.0, "step": 10},
        {"loss": 5e-324, "grad_norm": 1.7976931348623157e+308, "learning_rate": 123456.0,
         "epoch": 1.0000000000000002, "step": 12, "note": "\u65e5\u672c"},
    ]
    state.save_to_json(os.path.join(OUT, "constructed.json"))
    TrainerState().save_to_json(os.path.join(OUT, "constructed_default.json"))


SPEED_CASES = [
    # split, runtime, num_samples, num_steps, num_tokens
    ("eval", 0.00671234567, 4, 2, None),
    ("eval", 0.12345, 16, 8, None),
    ("train", 12.34565, 60, 30, None),
    ("train", 3725.5, 1000, 94, 123456),
    ("train", 0.0, 10, 5, None),
    ("eval", 1e-07, 3, 1, None),
    ("train", 2.5e-05, 1, 1, 7),
]
ROUND_CASES = [(2.675, 2), (0.125, 2), (0.375, 2), (1.0005, 3), (2.5, 0), (1234.56785, 4),
               (-0.00015, 4), (5e-324, 3), (1e300, 3), (0.1 + 0.2, 4)]


def speed():
    import transformers.trainer_utils as tu
    out = {"speed_metrics": [], "round": []}
    for split, runtime, samples, steps, tokens in SPEED_CASES:
        tu.time = types.SimpleNamespace(time=lambda: runtime)
        m = tu.speed_metrics(split, 0.0, num_samples=samples, num_steps=steps, num_tokens=tokens)
        out["speed_metrics"].append({"split": split, "runtime": runtime, "num_samples": samples,
                                     "num_steps": steps, "num_tokens": tokens,
                                     "text": json.dumps(m, indent=2, sort_keys=True)})
    for x, n in ROUND_CASES:
        out["round"].append({"x": x, "ndigits": n, "repr": repr(round(x, n))})
    with open(os.path.join(OUT, "speed_metrics.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


def main():
    os.makedirs(OUT, exist_ok=True)
    real_run()
    constructed()
    speed()
    # Reading back checks the files are what load_from_json accepts.
    for name in ("constructed.json", "run/checkpoint-6/trainer_state.json"):
        TrainerState.load_from_json(os.path.join(OUT, name))
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
