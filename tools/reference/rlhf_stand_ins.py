"""What the preference-loss golden scripts share: ms-swift's and TRL's trainer methods are
called unbound on small stand-in objects, which see this single-process accelerator."""

import torch


class Accel:
    """The single-process accelerator the methods see: gathers are the identity."""
    device = torch.device("cpu")
    use_distributed = False

    @staticmethod
    def gather_for_metrics(x):
        return x

    @staticmethod
    def gather(x):
        return x


def plain(fn):
    """The function behind a method, so a stand-in class can take it as its own."""
    return getattr(fn, "__func__", fn)


def ordered(metrics):
    """Logged metrics as [key, value] pairs: the order is part of what logging.jsonl shows."""
    return [[k, float(v)] for k, v in metrics.items()]


def t(x):
    """A tensor (or scalar tensor) as a flat list of floats."""
    return x.detach().double().reshape(-1).tolist() if x.dim() else [float(x)]
