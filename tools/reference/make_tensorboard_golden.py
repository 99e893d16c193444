#!/usr/bin/env python3
"""An event file written by TensorBoard's own record writer and protos, with fixed wall times,
for the byte-for-byte test of src/train/tensorboard.cpp (tests/data/train/tb_golden.tfevents) and
ms-swift's own loss-curve smoothing (tests/data/train/tb_smoothing.json);
and, given our event files as arguments, reads them back with TensorBoard's EventAccumulator
(the check that `runs/` opens in TensorBoard).

    .venv-ref/bin/python tools/reference/make_tensorboard_golden.py            # the golden
    .venv-ref/bin/python tools/reference/make_tensorboard_golden.py RUNS_DIR   # read ours
"""
import io
import os
import sys

from tensorboard.compat.proto import event_pb2, summary_pb2
from tensorboard.summary.writer.record_writer import RecordWriter

EVENTS = [  # (wall_time, step, tag, value); the first record is the file_version header
    (1700000001.25, 1, "train/loss", 2.5),
    (1700000001.5, 1, "train/learning_rate", 1e-4),
    (1700000002.0, 2, "train/grad_norm", 0.0),
    (1700000003.0, 0, "train/epoch", 0.125),
    (1700000004.0, 10, "eval/loss", -3.75),
    (1700000005.0, 123456789, "train/\u635f\u5931", 1e30),
]


def golden():
    buf = io.BytesIO()
    w = RecordWriter(buf)
    w.write(event_pb2.Event(wall_time=1700000000.5, file_version="brain.Event:2").SerializeToString())
    for wall, step, tag, value in EVENTS:
        s = summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=tag, simple_value=value)])
        w.write(event_pb2.Event(wall_time=wall, step=step, summary=s).SerializeToString())
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    path = os.path.join(root, "tests", "data", "train", "tb_golden.tfevents")
    with open(path, "wb") as f:
        f.write(buf.getvalue())
    print(f"wrote {path} ({len(buf.getvalue())} bytes)")
    # ms-swift's own smoothing of the plotted train/loss curve (swift.utils.tb_utils).
    import json
    import math
    from swift.utils.tb_utils import tensorboard_smoothing
    values = [3.0 * math.exp(-s / 20.0) + 0.3 * math.sin(s * 1.7) for s in range(1, 41)]
    cases = [{"smooth": sm, "values": values, "smoothed": tensorboard_smoothing(values, sm)}
             for sm in (0.9, 0.6, 0.0)]
    spath = os.path.join(root, "tests", "data", "train", "tb_smoothing.json")
    with open(spath, "w") as f:
        json.dump(cases, f)
        f.write("\n")
    print(f"wrote {spath}")


def read(logdir):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    acc = EventAccumulator(logdir)
    acc.Reload()
    for tag in acc.Tags()["scalars"]:
        print(tag, [(e.step, round(e.value, 6)) for e in acc.Scalars(tag)])


if __name__ == "__main__":
    if len(sys.argv) > 1:
        read(sys.argv[1])
    else:
        golden()
