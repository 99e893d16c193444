#!/usr/bin/env python3
"""KTO and reward-model loss goldens from the pinned reference stack (trl 0.29.1 + ms-swift 4.6.0),
the reference of src/rlhf/kto.cpp and src/rlhf/rm.cpp: tests/data/rlhf/kto_rm_losses.json.

`swift rlhf --rlhf_type kto` runs ms-swift's KTOTrainer, which keeps TRL 0.29's experimental
KTOTrainer.kto_loss and get_batch_loss_metrics and replaces only the forward (log-probs, and
per-sequence sums of the logits over label positions and vocabulary). `--rlhf_type rm` runs
ms-swift's RewardTrainer.compute_loss, which replaces TRL's RewardTrainer.compute_loss: the same
loss, other logged metrics. The goldens call those methods unbound on stand-in objects in one
process (gathers are the identity), on random log-probs and rewards:

  kto_loss    TRL KTOTrainer.kto_loss: kto and apo_zero_unpaired, weights, float32 and float64,
              batches with no desirable or no undesirable completion
  kto_batch   TRL KTOTrainer.get_batch_loss_metrics with ms-swift's calculate_KL, a forward
              returning the given log-probs: the step's loss and the stored metrics
  rm          ms-swift RewardTrainer.compute_loss (loss, custom metrics) and TRL
              RewardTrainer.compute_loss on the same rewards (loss, accuracy, margin)

    .venv-ref/bin/python tools/reference/make_kto_rm_goldens.py [--seed N] [--out PATH]
"""
import argparse
import collections
import json
import os
import types
import warnings

import torch

warnings.filterwarnings("ignore")
os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")

import swift  # noqa: E402
import trl  # noqa: E402
from swift.rlhf_trainers.reward_trainer import RewardTrainer  # noqa: E402
from trl import RewardTrainer as TrlRewardTrainer  # noqa: E402
from trl.experimental.kto import KTOTrainer  # noqa: E402
from rlhf_stand_ins import Accel, ordered, plain, t  # noqa: E402

KTO_LOSS_TYPES = ["kto", "apo_zero_unpaired"]


# ---------------------------------------------------------------------------------------------
# KTO


class KtoStandIn:
    kto_loss = plain(KTOTrainer.kto_loss)
    get_batch_loss_metrics = plain(KTOTrainer.get_batch_loss_metrics)

    def __init__(self, loss_type, beta, desirable_weight=1.0, undesirable_weight=1.0):
        self.loss_type = loss_type
        self.beta = beta
        self.desirable_weight = desirable_weight
        self.undesirable_weight = undesirable_weight
        # ms-swift's KTOTrainer.__init__: apo_zero_unpaired computes no KL batch
        self.calculate_KL = loss_type not in ["apo_zero_unpaired"]
        self.accelerator = Accel()
        self.args = types.SimpleNamespace(use_liger_kernel=False)
        self.aux_loss_enabled = False
        self.ref_model = object()


def random_logps(g, n, dtype):
    """Summed log-probs of n completions: tens of nats, the reference near the policy."""
    p = -(5 + 55 * torch.rand(n, generator=g, dtype=torch.float64))
    r = p + 3 * torch.randn(n, generator=g, dtype=torch.float64)
    return p.to(dtype), r.to(dtype)


def kto_inputs(g, labels, dtype, kl_shift):
    n = len(labels)
    nc = sum(labels)
    c, rc = random_logps(g, nc, dtype)
    r, rr = random_logps(g, n - nc, dtype)
    kl, rkl = random_logps(g, n, dtype)
    kl = kl + kl_shift  # the policy above or below the reference on the KL batch
    return c, r, kl, rc, rr, rkl


def kto_loss_cases(g):
    settings = []
    for lt in KTO_LOSS_TYPES:
        settings += [dict(loss_type=lt, beta=0.1), dict(loss_type=lt, beta=0.5,
                                                       desirable_weight=1.33,
                                                       undesirable_weight=0.7)]
    label_sets = [[True, False, True, True, False, False, True, False],
                  [True] * 5, [False] * 4, [False, True, False]]
    cases = []
    for s in settings:
        for dtype in (torch.float32, torch.float64):
            for labels in label_sets:
                for kl_shift in (2.0, -2.0):  # a positive KL estimate and one clamped at 0
                    me = KtoStandIn(s["loss_type"], s["beta"], s.get("desirable_weight", 1.0),
                                    s.get("undesirable_weight", 1.0))
                    c, r, kl, rc, rr, rkl = kto_inputs(g, labels, dtype, kl_shift)
                    if not me.calculate_KL:
                        kl = rkl = None
                    losses, cr, rj, k = me.kto_loss(c, r, kl, rc, rr, rkl)
                    cases.append(dict(s, dtype=str(dtype).replace("torch.", ""),
                                      desirable_weight=me.desirable_weight,
                                      undesirable_weight=me.undesirable_weight,
                                      chosen=t(c), rejected=t(r), ref_chosen=t(rc),
                                      ref_rejected=t(rr), kl_logps=None if kl is None else t(kl),
                                      ref_kl_logps=None if rkl is None else t(rkl),
                                      losses=t(losses), chosen_rewards=t(cr),
                                      rejected_rewards=t(rj), kl=float(k.reshape(-1)[0])))
    return cases


def kto_batch_cases(g):
    settings = [dict(loss_type="kto", beta=0.1),
                dict(loss_type="kto", beta=0.3, desirable_weight=1.5, undesirable_weight=0.8),
                dict(loss_type="apo_zero_unpaired", beta=0.2)]
    label_sets = [[True, False, False, True, True, False], [True, True, True], [False, False]]
    cases = []
    for s in settings:
        for labels in label_sets:
            me = KtoStandIn(s["loss_type"], s["beta"], s.get("desirable_weight", 1.0),
                            s.get("undesirable_weight", 1.0))
            c, r, kl, rc, rr, rkl = kto_inputs(g, labels, torch.float32, 1.0)
            if not me.calculate_KL:
                kl = rkl = None
            # per-sequence sums of the logits over the label positions and the vocabulary
            cl = 50 * torch.randn(len(c), generator=g)
            rl = 50 * torch.randn(len(r), generator=g)
            outs = {"policy": (c, r, cl, rl, kl), "ref": (rc, rr, cl, rl, rkl)}
            me.forward = lambda model, batch: outs["ref" if model is me.ref_model else "policy"]
            loss, metrics = me.get_batch_loss_metrics(None, {"label": labels})
            cases.append(dict(s, desirable_weight=me.desirable_weight,
                              undesirable_weight=me.undesirable_weight, labels=labels,
                              chosen=t(c), rejected=t(r), ref_chosen=t(rc), ref_rejected=t(rr),
                              kl_logps=None if kl is None else t(kl),
                              ref_kl_logps=None if rkl is None else t(rkl),
                              chosen_logits=t(cl), rejected_logits=t(rl), loss=float(loss),
                              metrics=ordered(metrics)))
    return cases


# ---------------------------------------------------------------------------------------------
# Reward modelling


class Recorder:
    """ms-swift's MeanMetric, for one update per step."""

    def __init__(self):
        self.values = []

    def update(self, v):
        self.values.append(float(v))


class SwiftRmStandIn:
    compute_loss = plain(RewardTrainer.compute_loss)

    def __init__(self, coef, rewards):
        self.args = types.SimpleNamespace(center_rewards_coefficient=coef,
                                          gradient_accumulation_steps=1)
        self.model = types.SimpleNamespace(training=True)
        self.model_accepts_loss_kwargs = False
        self.custom_metrics = {"train": collections.defaultdict(Recorder),
                               "eval": collections.defaultdict(Recorder)}
        self._rewards = rewards


class TrlRmStandIn:
    compute_loss = plain(TrlRewardTrainer.compute_loss)

    def __init__(self, coef):
        self.args = types.SimpleNamespace(center_rewards_coefficient=coef)
        self.model = types.SimpleNamespace(training=True)
        self.accelerator = Accel()
        self._total_train_tokens = 0
        self._metrics = {"train": collections.defaultdict(list),
                         "eval": collections.defaultdict(list)}


def rm_cases(g):
    cases = []
    for coef in (None, 0.01, 0.5):
        for with_margin in (False, True):
            for dtype in (torch.float32, torch.float64):
                n = 7
                rewards = (2 * torch.randn(2 * n, 1, generator=g, dtype=torch.float64)).to(dtype)
                margin = (torch.rand(n, generator=g, dtype=torch.float64)).to(dtype)
                model = lambda **kw: types.SimpleNamespace(logits=rewards)  # noqa: E731
                att = torch.ones(2 * n, 5, dtype=torch.long)
                inputs = dict(attention_mask=att)
                if with_margin:
                    inputs["margin"] = margin.clone()
                me = SwiftRmStandIn(coef, rewards)
                loss = me.compute_loss(model, dict(inputs))
                metrics = [[k, v.values[0]] for k, v in me.custom_metrics["train"].items()]
                trl_me = TrlRmStandIn(coef)
                trl_loss = trl_me.compute_loss(model, dict(inputs))
                trl_metrics = {k: v[0] for k, v in trl_me._metrics["train"].items()}
                cases.append(dict(center_rewards_coefficient=coef,
                                  dtype=str(dtype).replace("torch.", ""),
                                  chosen=t(rewards[:n]), rejected=t(rewards[n:]),
                                  margin=t(margin) if with_margin else None, loss=float(loss),
                                  metrics=metrics, trl_loss=float(trl_loss),
                                  trl_accuracy=trl_metrics["accuracy"],
                                  trl_margin=trl_metrics["margin"]))
    return cases


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(a.seed)
    out = dict(trl=trl.__version__, ms_swift=swift.__version__, torch=torch.__version__, seed=a.seed,
               kto_loss=kto_loss_cases(g), kto_batch=kto_batch_cases(g), rm=rm_cases(g))
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    path = a.out or os.path.join(root, "tests", "data", "rlhf", "kto_rm_losses.json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(out, f, indent=0)
        f.write("\n")
    print(f"wrote {path}: " + ", ".join(f"{k} {len(v)}" for k, v in out.items() if isinstance(v, list)))


if __name__ == "__main__":
    main()
