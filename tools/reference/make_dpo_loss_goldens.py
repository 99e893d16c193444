#!/usr/bin/env python3
"""Preference-loss goldens from the pinned reference stack (trl 0.29.1 + ms-swift 4.6.0), the
reference of src/rlhf/ (dpo.cpp, cpo.cpp, orpo.cpp, logps.cpp): tests/data/rlhf/dpo_losses.json.

What `swift rlhf` runs in Python is ms-swift's trainer classes: its DPOTrainer replaces TRL's DPO
loss with its own `dpo_loss` / `get_batch_loss_metrics` / `concatenated_forward` (TRL 0.29's
DPOTrainer computes the loss inline in `_compute_loss`), while CPO/SimPO and ORPO are TRL's
experimental trainers with ms-swift's forward. So the goldens call exactly those methods, unbound,
on small stand-in objects that carry only the attributes the methods read, on random log-probs
and logits:

  dpo_loss       ms-swift DPOTrainer.dpo_loss, every loss_type, float32 and float64; bco_pair
                 runs several steps (its running reward mean is state)
  dpo_batch      ms-swift DPOTrainer.get_batch_loss_metrics: MPO (loss_type lists + weights),
                 rpo_alpha, ipo's per-token normalisation, the logged metrics
  dpo_forward    ms-swift DPOTrainer.concatenated_forward on logits/labels (with and without
                 ld_alpha): summed log-probs, token counts, nll_loss, mean logits
  cpo_loss       TRL CPOTrainer.cpo_loss: sigmoid, hinge, ipo, simpo (label_smoothing, gamma)
  cpo_batch      TRL CPOTrainer.get_batch_loss_metrics through its concatenated_forward on logits
  orpo_batch     TRL ORPOTrainer.get_batch_loss_metrics through its concatenated_forward on
                 logits, with ms-swift's label pass-through

    .venv-ref/bin/python tools/reference/make_dpo_loss_goldens.py [--seed N] [--out PATH]
"""
import argparse
import json
import os
import types
import warnings

import torch

warnings.filterwarnings("ignore")

import swift  # noqa: E402
import trl  # noqa: E402
from swift.rlhf_trainers.dpo_trainer import DPOTrainer  # noqa: E402
from swift.rlhf_trainers.rlhf_mixin import RLHFTrainerMixin  # noqa: E402
from trl.experimental.bco.bco_trainer import RunningMoments  # noqa: E402
from trl.experimental.cpo import CPOTrainer  # noqa: E402
from trl.experimental.orpo import ORPOTrainer  # noqa: E402
from rlhf_stand_ins import Accel, ordered, plain, t  # noqa: E402

DPO_LOSS_TYPES = ["sigmoid", "hinge", "ipo", "exo_pair", "nca_pair", "robust", "bco_pair",
                  "sppo_hard", "aot", "aot_unpaired", "discopop", "apo_zero", "apo_down", "sft"]


# ---------------------------------------------------------------------------------------------
# DPO


class DpoStandIn:
    dpo_loss = plain(DPOTrainer.dpo_loss)
    get_batch_loss_metrics = plain(DPOTrainer.get_batch_loss_metrics)
    concatenated_forward = plain(DPOTrainer.concatenated_forward)
    get_per_token_logps = plain(RLHFTrainerMixin.get_per_token_logps)
    _get_ipo_sequence_logps = staticmethod(plain(DPOTrainer._get_ipo_sequence_logps))

    def __init__(self, beta, label_smoothing=0.0, discopop_tau=0.05, loss_type=None,
                 loss_weights=None, rpo_alpha=None, ld_alpha=None):
        self.beta = beta
        self.label_smoothing = label_smoothing
        self.reference_free = False
        self.f_divergence_type = "reverse_kl"
        self.f_divergence_params = {"alpha_divergence_coef": 0.5}
        self.accelerator = Accel()
        self.running = RunningMoments(self.accelerator)
        self.args = types.SimpleNamespace(discopop_tau=discopop_tau, rpo_alpha=rpo_alpha,
                                          ld_alpha=ld_alpha)
        self.loss_type = loss_type or ["sigmoid"]
        self.loss_weights = loss_weights
        self.use_weighting = False
        self.aux_loss_enabled = False
        self.is_encoder_decoder = False
        self.label_pad_token_id = -100
        self.template = types.SimpleNamespace(sequence_parallel_size=1, padding_free=False)

    def get_use_logits_to_keep(self, default):
        return False


def random_pair_logps(g, n, dtype):
    """Summed log-probs of n pairs as a trainer sees them: tens of nats, the policy near the
    reference, chosen and rejected of different lengths."""
    chosen = -(5 + 55 * torch.rand(n, generator=g, dtype=torch.float64))
    rejected = -(5 + 55 * torch.rand(n, generator=g, dtype=torch.float64))
    ref_chosen = chosen + 3 * torch.randn(n, generator=g, dtype=torch.float64)
    ref_rejected = rejected + 3 * torch.randn(n, generator=g, dtype=torch.float64)
    return [x.to(dtype) for x in (chosen, rejected, ref_chosen, ref_rejected)]


def dpo_loss_cases(g):
    settings = []
    for lt in DPO_LOSS_TYPES:
        settings.append(dict(loss_type=lt, beta=0.1))
    # the options each one takes, and other betas
    settings += [
        dict(loss_type="sigmoid", beta=0.5, label_smoothing=0.1),
        dict(loss_type="robust", beta=0.1, label_smoothing=0.2),
        dict(loss_type="exo_pair", beta=0.3, label_smoothing=0.05),
        dict(loss_type="aot", beta=0.2, label_smoothing=0.1),
        dict(loss_type="aot_unpaired", beta=0.2, label_smoothing=0.3),
        dict(loss_type="discopop", beta=0.05, discopop_tau=0.2),
        dict(loss_type="ipo", beta=0.5),
        dict(loss_type="hinge", beta=1.0),
        dict(loss_type="sppo_hard", beta=0.01),
        dict(loss_type="apo_zero", beta=0.3),
        dict(loss_type="apo_down", beta=0.3),
        dict(loss_type="nca_pair", beta=0.5),
        dict(loss_type="bco_pair", beta=0.4),
    ]
    cases = []
    for s in settings:
        for dtype in (torch.float32, torch.float64):
            me = DpoStandIn(s["beta"], s.get("label_smoothing", 0.0), s.get("discopop_tau", 0.05))
            steps = []
            for _ in range(4 if s["loss_type"] == "bco_pair" else 1):
                c, r, rc, rr = random_pair_logps(g, 8, dtype)
                nll = (torch.rand((), generator=g, dtype=torch.float64) * 3).to(dtype)
                losses, cr, rj = me.dpo_loss(c, r, rc, rr, s["loss_type"], {"nll_loss": nll})
                steps.append(dict(chosen=t(c), rejected=t(r), ref_chosen=t(rc), ref_rejected=t(rr),
                                  nll_loss=float(nll), losses=t(losses), chosen_rewards=t(cr),
                                  rejected_rewards=t(rj), running_mean=float(me.running.mean)))
            cases.append(dict(s, dtype=str(dtype).replace("torch.", ""),
                              label_smoothing=me.label_smoothing if s["loss_type"] != "exo_pair"
                              else s.get("label_smoothing", 0.0),
                              discopop_tau=s.get("discopop_tau", 0.05), steps=steps))
    return cases


def dpo_batch_cases(g):
    settings = [
        dict(loss_type=["sigmoid"], beta=0.1),
        dict(loss_type=["ipo"], beta=0.1),
        dict(loss_type=["sigmoid"], beta=0.1, rpo_alpha=1.0),
        dict(loss_type=["hinge"], beta=0.3, rpo_alpha=0.5),
        dict(loss_type=["sigmoid", "bco_pair", "sft"], loss_weights=[0.8, 0.2, 1.0], beta=0.1),
        dict(loss_type=["sigmoid", "ipo"], loss_weights=[0.5, 0.5], beta=0.2, label_smoothing=0.1),
        dict(loss_type=["sft"], beta=0.1),
        dict(loss_type=["apo_zero", "nca_pair"], loss_weights=[1.0, 0.3], beta=0.1, rpo_alpha=0.2),
    ]
    cases = []
    for s in settings:
        me = DpoStandIn(s["beta"], s.get("label_smoothing", 0.0), loss_type=list(s["loss_type"]),
                        loss_weights=s.get("loss_weights"), rpo_alpha=s.get("rpo_alpha"))
        steps = []
        for _ in range(2):
            n = 6
            c, r, rc, rr = random_pair_logps(g, n, torch.float32)
            ct = torch.randint(3, 40, (n,), generator=g)
            rt = torch.randint(3, 40, (n,), generator=g)
            out = dict(chosen_logps=c, rejected_logps=r, chosen_completion_token_counts=ct,
                       rejected_completion_token_counts=rt,
                       nll_loss=torch.rand((), generator=g) * 3,
                       mean_chosen_logits=torch.randn((), generator=g),
                       mean_rejected_logits=torch.randn((), generator=g))
            me.concatenated_forward = lambda model, batch, _o=out: _o
            me.compute_ref_log_probs = lambda batch, _a=rc, _b=rr: (_a, _b)
            loss, metrics = me.get_batch_loss_metrics(None, {}, "train")
            steps.append(dict(chosen_logps=t(c), rejected_logps=t(r), ref_chosen=t(rc),
                              ref_rejected=t(rr), chosen_tokens=ct.tolist(), rejected_tokens=rt.tolist(),
                              nll_loss=float(out["nll_loss"]),
                              mean_chosen_logits=float(out["mean_chosen_logits"]),
                              mean_rejected_logits=float(out["mean_rejected_logits"]),
                              loss=float(loss), metrics=ordered(metrics)))
        cases.append(dict(s, label_smoothing=s.get("label_smoothing", 0.0),
                          loss_weights=s.get("loss_weights"), rpo_alpha=s.get("rpo_alpha"),
                          steps=steps))
    return cases


def random_preference_batch(g, pairs, seq, vocab):
    """Right-padded [chosen..., rejected...] rows: a prompt masked with -100, a completion of
    labels, then padding (-100, attention 0). Logits [2*pairs, seq, vocab] with a wide spread."""
    rows = 2 * pairs
    input_ids = torch.randint(1, vocab, (rows, seq), generator=g)
    labels = torch.full((rows, seq), -100, dtype=torch.long)
    attention = torch.zeros((rows, seq), dtype=torch.long)
    prompts = []
    for i in range(rows):
        length = int(torch.randint(seq // 2, seq + 1, (), generator=g))
        if i < pairs:
            prompts.append(int(torch.randint(1, length - 1, (), generator=g)))
        prompt = min(prompts[i % pairs], length - 1)  # a pair shares its prompt
        attention[i, :length] = 1
        labels[i, prompt:length] = input_ids[i, prompt:length]
        input_ids[i, length:] = 0
    logits = 3 * torch.randn((rows, seq, vocab), generator=g)
    return input_ids, attention, labels, logits



def dpo_forward_cases(g):
    cases = []
    for ld_alpha in (None, 0.5):
        ids, att, labels, logits = random_preference_batch(g, 3, 9, 13)
        me = DpoStandIn(0.1, ld_alpha=ld_alpha)
        model = lambda **kw: types.SimpleNamespace(logits=logits)  # noqa: E731
        batch = dict(input_ids=ids, attention_mask=att, labels=labels)
        out = me.concatenated_forward(model, batch)
        cases.append(dict(ld_alpha=ld_alpha, shape=list(logits.shape), logits=t(logits),
                          labels=labels.reshape(-1).tolist(), attention_mask=att.reshape(-1).tolist(),
                          chosen_logps=t(out["chosen_logps"]), rejected_logps=t(out["rejected_logps"]),
                          chosen_tokens=out["chosen_completion_token_counts"].tolist(),
                          rejected_tokens=out["rejected_completion_token_counts"].tolist(),
                          nll_loss=float(out["nll_loss"]),
                          mean_chosen_logits=float(out["mean_chosen_logits"]),
                          mean_rejected_logits=float(out["mean_rejected_logits"])))
    return cases


# ---------------------------------------------------------------------------------------------
# CPO / SimPO and ORPO


class CpoStandIn:
    cpo_loss = plain(CPOTrainer.cpo_loss)
    get_batch_loss_metrics = plain(CPOTrainer.get_batch_loss_metrics)
    concatenated_forward = plain(CPOTrainer.concatenated_forward)
    get_batch_logps = staticmethod(plain(CPOTrainer.get_batch_logps))

    def __init__(self, loss_type, beta, label_smoothing=0.0, cpo_alpha=1.0, simpo_gamma=1.0):
        self.loss_type = loss_type
        self.beta = beta
        self.label_smoothing = label_smoothing
        self.cpo_alpha = cpo_alpha
        self.simpo_gamma = simpo_gamma
        self.alpha = 0.0
        self.accelerator = Accel()
        self.is_encoder_decoder = False
        self.aux_loss_enabled = False
        self.pad_token_id = 0
        self.padding_value = 0

    def store_metrics(self, *a, **k):
        pass


class OrpoStandIn:
    odds_ratio_loss = plain(ORPOTrainer.odds_ratio_loss)
    get_batch_loss_metrics = plain(ORPOTrainer.get_batch_loss_metrics)
    concatenated_forward = plain(ORPOTrainer.concatenated_forward)
    get_batch_logps = staticmethod(plain(ORPOTrainer.get_batch_logps))

    def __init__(self, beta):
        self.beta = beta
        self.accelerator = Accel()
        self.is_encoder_decoder = False
        self.aux_loss_enabled = False
        self.pad_token_id = 0
        self.padding_value = 0


def forward_batch(me, ids, att, labels, logits, orpo):
    """The batch as ms-swift's RLHFTrainerMixin.concatenated_forward hands it to TRL's
    concatenated_forward: its own tensors, and for ORPO the labels passed through as input ids."""
    kw = dict(concatenated_input_ids=labels if orpo else ids, concatenated_attention_mask=att,
              concatenated_labels=labels, chosen_labels=torch.zeros(labels.shape[0] // 2))
    me.concatenated_inputs = lambda *a, **k: kw
    return kw, (lambda *a, **k: types.SimpleNamespace(logits=logits))


def cpo_loss_cases(g):
    settings = [
        dict(loss_type="sigmoid", beta=0.1),
        dict(loss_type="sigmoid", beta=0.3, label_smoothing=0.1),
        dict(loss_type="hinge", beta=0.5),
        dict(loss_type="ipo", beta=0.1),
        dict(loss_type="simpo", beta=2.0, simpo_gamma=1.0),
        dict(loss_type="simpo", beta=2.5, simpo_gamma=0.5, label_smoothing=0.2),
    ]
    cases = []
    for s in settings:
        for dtype in (torch.float32, torch.float64):
            me = CpoStandIn(s["loss_type"], s["beta"], s.get("label_smoothing", 0.0),
                            simpo_gamma=s.get("simpo_gamma", 1.0))
            # per-token averages for ipo/simpo, sums otherwise
            scale = 1 / 20 if s["loss_type"] in ("ipo", "simpo") else 1
            c, r, _, _ = random_pair_logps(g, 8, dtype)
            c, r = c * scale, r * scale
            losses, cr, rj = me.cpo_loss(c, r)
            cases.append(dict(s, dtype=str(dtype).replace("torch.", ""),
                              label_smoothing=s.get("label_smoothing", 0.0),
                              simpo_gamma=s.get("simpo_gamma", 1.0), chosen=t(c), rejected=t(r),
                              losses=t(losses), chosen_rewards=t(cr), rejected_rewards=t(rj)))
    return cases


def cpo_batch_cases(g):
    settings = [
        dict(loss_type="sigmoid", beta=0.1, cpo_alpha=1.0),
        dict(loss_type="simpo", beta=2.0, cpo_alpha=1.0, simpo_gamma=1.0),
        dict(loss_type="simpo", beta=2.0, cpo_alpha=0.0, simpo_gamma=0.5),
        dict(loss_type="ipo", beta=0.2, cpo_alpha=0.5),
    ]
    cases = []
    for s in settings:
        # equal lengths (no padding): TRL's logits/* means run over every position of the rows
        ids, att, labels, logits = random_preference_batch(g, 3, 8, 11)
        att = torch.ones_like(att)
        me = CpoStandIn(s["loss_type"], s["beta"], cpo_alpha=s["cpo_alpha"],
                        simpo_gamma=s.get("simpo_gamma", 1.0))
        kw, model = forward_batch(me, ids, att, labels, logits, orpo=False)
        loss, metrics = me.get_batch_loss_metrics(model, {"chosen_labels": kw["chosen_labels"]})
        cases.append(dict(s, simpo_gamma=s.get("simpo_gamma", 1.0), shape=list(logits.shape),
                          logits=t(logits), labels=labels.reshape(-1).tolist(), loss=float(loss),
                          metrics=ordered(metrics)))
    return cases


def orpo_batch_cases(g):
    cases = []
    for beta in (0.1, 0.5):
        ids, att, labels, logits = random_preference_batch(g, 3, 8, 11)
        att = torch.ones_like(att)
        me = OrpoStandIn(beta)
        kw, model = forward_batch(me, ids, att, labels, logits, orpo=True)
        loss, metrics = me.get_batch_loss_metrics(model, {"chosen_labels": kw["chosen_labels"]})
        cases.append(dict(beta=beta, shape=list(logits.shape), logits=t(logits),
                          labels=labels.reshape(-1).tolist(), loss=float(loss),
                          metrics=ordered(metrics)))
    return cases


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(a.seed)
    out = dict(trl=trl.__version__, ms_swift=swift.__version__, torch=torch.__version__, seed=a.seed,
               dpo_loss=dpo_loss_cases(g), dpo_batch=dpo_batch_cases(g),
               dpo_forward=dpo_forward_cases(g), cpo_loss=cpo_loss_cases(g),
               cpo_batch=cpo_batch_cases(g), orpo_batch=orpo_batch_cases(g))
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    path = a.out or os.path.join(root, "tests", "data", "rlhf", "dpo_losses.json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(out, f, indent=0)
        f.write("\n")
    print(f"wrote {path}: " + ", ".join(f"{k} {len(v)}" for k, v in out.items() if isinstance(v, list)))


if __name__ == "__main__":
    main()
