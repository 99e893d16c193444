#!/usr/bin/env python3
"""Parquet -> rows speed of swift.cpp's reader next to pyarrow's, on the same files, in one run.

    /tmp/venv/bin/python tools/reference/bench_parquet.py [build/bin/swift-bench] [--rows N]

Writes two files to a temporary folder with pyarrow (an alpaca-style table of strings and a
`messages` table of list<struct<role, content>>, zstd, pyarrow's defaults otherwise), then for
each prints the best-of-3 wall time and file MB/s of
  pyarrow: pq.read_table(f)  (columnar, no Python objects; all cores, and use_threads=False)
  pyarrow: pq.read_table(f).to_pylist()  (one dict per row: what a dataset loader needs)
  swift.cpp: swift-bench parquet f  (one JSON object per row) and load_dataset (rows -> messages)
"""
import os
import random
import subprocess
import sys
import tempfile
import time

import pyarrow as pa
import pyarrow.parquet as pq

WORDS = ('the of and to in is you that it he was for on are as with his they at be this have '
         'from or one had by word but not what all were we when your can said 你好 世界 数据 模型 '
         '训练 天气 健康 三个 提示').split()


def text(rng, n):
    return ' '.join(rng.choice(WORDS) for _ in range(n))


def make(folder, rows):
    rng = random.Random(0)
    alpaca = pa.table({
        'instruction': [text(rng, rng.randint(5, 30)) for _ in range(rows)],
        'input': [text(rng, rng.randint(0, 20)) for _ in range(rows)],
        'output': [text(rng, rng.randint(20, 200)) for _ in range(rows)],
    })
    msgs = []
    for _ in range(rows):
        m = []
        for _ in range(rng.randint(1, 4)):
            m.append({'role': 'user', 'content': text(rng, rng.randint(5, 40))})
            m.append({'role': 'assistant', 'content': text(rng, rng.randint(20, 150))})
        msgs.append(m)
    messages = pa.table({'messages': msgs})
    a = os.path.join(folder, 'alpaca.parquet')
    b = os.path.join(folder, 'messages.parquet')
    pq.write_table(alpaca, a, compression='zstd')
    pq.write_table(messages, b, compression='zstd')
    return [a, b]


def best(fn, n=3):
    t = 1e30
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        t = min(t, time.perf_counter() - t0)
    return t


def main():
    bench = 'build/bin/swift-bench'
    rows = 50000
    args = sys.argv[1:]
    while args:
        a = args.pop(0)
        if a == '--rows':
            rows = int(args.pop(0))
        else:
            bench = a
    with tempfile.TemporaryDirectory() as d:
        for f in make(d, rows):
            mb = os.path.getsize(f) / 1e6
            t_table = best(lambda: pq.read_table(f))
            t_one = best(lambda: pq.read_table(f, use_threads=False))
            t_rows = best(lambda: pq.read_table(f).to_pylist())
            print(f'{os.path.basename(f)}: {rows} rows, {mb:.1f} MB (zstd)')
            print(f'  pyarrow read_table            {t_table:.3f} s = {mb / t_table:7.1f} MB/s')
            print(f'  pyarrow read_table 1 thread   {t_one:.3f} s = {mb / t_one:7.1f} MB/s')
            print(f'  pyarrow read_table.to_pylist  {t_rows:.3f} s = {mb / t_rows:7.1f} MB/s')
            out = subprocess.run([bench, 'parquet', f, '--messages'], capture_output=True, text=True)
            for line in (out.stdout + out.stderr).strip().splitlines():
                print('  swift.cpp ' + line)


if __name__ == '__main__':
    main()
