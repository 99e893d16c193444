#!/usr/bin/env python3
"""Writes the Parquet fixtures in tests/data/parquet with pyarrow, and next to each file
`<name>.jsonl`: the rows pyarrow itself reads back from it (to_pylist, one JSON object per line).
The C++ reader's test compares its rows with those lines, so the oracle is pyarrow's reading of
the very same bytes.

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install -r tools/reference/requirements-parquet.txt
    /tmp/venv/bin/python tools/reference/make_parquet_fixtures.py [out_dir]

Each file exercises a different part of the format: data page v1 / v2, dictionary / PLAIN /
delta / byte-stream-split encodings, snappy / zstd / gzip / brotli / no compression, nested
list / struct / map columns with nulls and empty lists, several row groups and small pages.
"""
import json
import os
import random
import sys

import pyarrow as pa
import pyarrow.parquet as pq

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(__file__), '..', '..', 'tests', 'data', 'parquet')

ZH = ['保持健康的三个提示。', '输入：今天天气很好', '解释为什么这个分数等于 1/4', '你好，世界',
      '描述一个原子的结构。', '列出三种可再生能源']
EN = ['Give three tips for staying healthy.', 'What are the three primary colors?',
      'Describe the structure of an atom.', '', 'Translate "hello" into French.',
      'Write a haiku about autumn 🍂.']


def messages_table(n, rng):
    rows = []
    for i in range(n):
        turns = rng.randint(0, 4)
        msgs = []
        if rng.random() < 0.3:
            msgs.append({'role': 'system', 'content': 'You are a helpful assistant.'})
        for t in range(turns):
            msgs.append({'role': 'user', 'content': rng.choice(ZH + EN) + f' #{i}.{t}'})
            content = None if rng.random() < 0.1 else rng.choice(EN + ZH) * rng.randint(1, 3)
            msgs.append({'role': 'assistant', 'content': content})
        rows.append({
            'messages': None if rng.random() < 0.05 else msgs,
            'source': rng.choice(['alpaca', 'sharegpt', None]),
            'id': i,
        })
    t = pa.Table.from_pylist(rows, schema=pa.schema([
        ('messages', pa.list_(pa.struct([('role', pa.string()), ('content', pa.string())]))),
        ('source', pa.string()),
        ('id', pa.int64()),
    ]))
    return t


def alpaca_table(n, rng):
    cols = {'instruction': [], 'input': [], 'output': []}
    for i in range(n):
        cols['instruction'].append(rng.choice(ZH) + f'（{i}）')
        cols['input'].append(rng.choice(['', '', '输入：' + rng.choice(ZH)]))
        cols['output'].append(rng.choice(ZH + EN) * rng.randint(1, 4))
    return pa.table(cols)


def types_table(n, rng):
    def maybe(v, p=0.15):
        return None if rng.random() < p else v
    data = {
        'i8': pa.array([maybe(rng.randint(-128, 127)) for _ in range(n)], pa.int8()),
        'u8': pa.array([maybe(rng.randint(0, 255)) for _ in range(n)], pa.uint8()),
        'u32': pa.array([maybe(rng.randint(0, 2**32 - 1)) for _ in range(n)], pa.uint32()),
        'i32': pa.array([maybe(rng.randint(-2**31, 2**31 - 1)) for _ in range(n)], pa.int32()),
        'i64': pa.array([maybe(rng.randint(-2**63, 2**63 - 1)) for _ in range(n)], pa.int64()),
        'u64': pa.array([maybe(rng.randint(0, 2**64 - 1)) for _ in range(n)], pa.uint64()),
        'f32': pa.array([maybe(rng.uniform(-1e6, 1e6)) for _ in range(n)], pa.float32()),
        'f64': pa.array([maybe(rng.uniform(-1e300, 1e300)) for _ in range(n)], pa.float64()),
        'flag': pa.array([maybe(rng.random() < 0.5) for _ in range(n)], pa.bool_()),
        'text': pa.array([maybe(rng.choice(ZH + EN)) for _ in range(n)], pa.string()),
        'big_text': pa.array([maybe(rng.choice(EN) * 3) for _ in range(n)], pa.large_string()),
        'ints': pa.array([maybe([maybe(rng.randint(-5, 5), 0.2) for _ in range(rng.randint(0, 4))])
                          for _ in range(n)], pa.list_(pa.int64())),
        'nested': pa.array([maybe([maybe([rng.choice(EN) for _ in range(rng.randint(0, 3))])
                                   for _ in range(rng.randint(0, 3))]) for _ in range(n)],
                           pa.list_(pa.list_(pa.string()))),
        'obj': pa.array([maybe({'a': maybe(rng.randint(0, 9)),
                                'b': maybe([rng.choice(ZH) for _ in range(rng.randint(0, 2))])})
                         for _ in range(n)],
                        pa.struct([('a', pa.int32()), ('b', pa.list_(pa.string()))])),
        'kv': pa.array([maybe([(rng.choice(['x', 'y', 'z']) + str(j), maybe(rng.randint(0, 99)))
                               for j in range(rng.randint(0, 3))]) for _ in range(n)],
                       pa.map_(pa.string(), pa.int32())),
    }
    return pa.table(data)


def write(name, table, **kw):
    path = os.path.join(OUT, name + '.parquet')
    pq.write_table(table, path, **kw)
    back = pq.read_table(path)
    with open(os.path.join(OUT, name + '.jsonl'), 'w', encoding='utf-8') as f:
        for row in back.to_pylist():
            f.write(json.dumps(row, ensure_ascii=False) + '\n')
    print(f'{path}: {os.path.getsize(path)} bytes, {back.num_rows} rows, {kw}')


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = random.Random(20261202)
    write('messages_snappy_v2', messages_table(120, rng), compression='snappy',
          data_page_version='2.0', row_group_size=50, data_page_size=512)
    write('messages_zstd_v1', messages_table(60, rng), compression='zstd',
          data_page_version='1.0', use_dictionary=False)
    write('alpaca_zh_zstd', alpaca_table(80, rng), compression='zstd', data_page_version='1.0',
          row_group_size=30)
    write('types_gzip_v1_plain', types_table(150, rng), compression='gzip', use_dictionary=False,
          data_page_version='1.0', data_page_size=700)
    write('types_snappy_v2_dict', types_table(150, rng), compression='snappy',
          data_page_version='2.0', row_group_size=64)
    write('types_brotli_v2', types_table(40, rng), compression='brotli', data_page_version='2.0')
    t = types_table(200, rng).select(['i32', 'i64', 'u64', 'f32', 'f64', 'text', 'big_text'])
    write('delta_none', t, compression='none', use_dictionary=False, data_page_version='2.0',
          column_encoding={'i32': 'DELTA_BINARY_PACKED', 'i64': 'DELTA_BINARY_PACKED',
                           'u64': 'DELTA_BINARY_PACKED', 'f32': 'BYTE_STREAM_SPLIT',
                           'f64': 'BYTE_STREAM_SPLIT', 'text': 'DELTA_LENGTH_BYTE_ARRAY',
                           'big_text': 'DELTA_BYTE_ARRAY'}, data_page_size=600)
    # Long runs (RLE levels and indices) across many small pages.
    runs = pa.table({'label': pa.array([i // 97 % 3 for i in range(3000)], pa.int32()),
                     'maybe': pa.array([None if (i // 50) % 2 else 'x' for i in range(3000)])})
    write('runs_zstd_v2', runs, compression='zstd', data_page_version='2.0', data_page_size=256)
    write('empty', pa.table({'text': pa.array([], pa.string())}))
    # A codec the reader refuses with a message (no rows file: the test expects the error).
    pq.write_table(pa.table({'text': ['a', 'b']}), os.path.join(OUT, 'refused_lz4.parquet'),
                   compression='lz4')


if __name__ == '__main__':
    main()
