"""Shared helpers of the golden generators: deterministic CPU float32 set-up, the weight recipe
of the tiny fixture models, and tensor comparison with stated tolerances."""
import os
import random

import torch


def deterministic(threads=1):
    """Float32 on CPU, one thread, fixed seeds: the same bits on every run of one machine."""
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True)
    random.seed(0)
    torch.manual_seed(0)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def wide_init(model, seed):
    """The tiny models' weights: norms near 1, routers at 0.6 std, every other tensor at
    2.4/sqrt(fan_in) std, drawn in named_parameters() order from one generator. A wide spread
    keeps logits and argmaxes decisive, so greedy ids do not flip on rounding. The arithmetic
    order (std * draw * 4) is part of the recipe: the committed weights are its exact bits."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() == 1 and ("norm" in name or "layernorm" in name):
                p.copy_(1.0 + 0.1 * torch.randn(p.shape, generator=g))
            elif "gate.weight" in name or name.endswith("router.weight"):
                p.copy_(0.6 * torch.randn(p.shape, generator=g))
            else:
                fan_in = p.shape[-1] if p.dim() > 1 else 16
                std = 0.6 / max(1.0, fan_in**0.5)
                p.copy_(std * torch.randn(p.shape, generator=g) * 4)


class Report:
    """Collects comparisons; each line says what, the max error and the tolerance."""

    def __init__(self):
        self.fails = 0
        self.checks = 0

    def tensor(self, what, got, want, atol=0.0, rtol=0.0, exact=False):
        self.checks += 1
        got = got.detach().cpu()
        want = want.detach().cpu()
        if got.shape != want.shape:
            self.fails += 1
            print(f"FAIL {what}: shape {tuple(got.shape)} != {tuple(want.shape)}")
            return False
        if exact or not got.is_floating_point():
            ok = torch.equal(got, want)
            err = 0.0 if ok else float((got.double() - want.double()).abs().max())
            tol = "exact"
        else:
            err = float((got.double() - want.double()).abs().max()) if got.numel() else 0.0
            scale = float(want.double().abs().max()) if want.numel() else 0.0
            bound = atol + rtol * scale
            ok = err <= bound
            tol = f"<= {bound:.2e}"
        if not ok:
            self.fails += 1
        print(f"{'ok  ' if ok else 'FAIL'} {what}: max abs err {err:.3e} ({tol})")
        return ok

    def equal(self, what, got, want):
        self.checks += 1
        ok = got == want
        if not ok:
            self.fails += 1
            print(f"FAIL {what}: {got!r} != {want!r}")
        else:
            print(f"ok   {what}")
        return ok

    def summary(self, name):
        print(f"[{name}] {self.checks - self.fails} passed, {self.fails} failed")
        return 1 if self.fails else 0
