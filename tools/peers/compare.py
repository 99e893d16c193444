"""Side by side, in one run: swift.cpp next to the Python stack it re-implements, on this CPU.

  greedy     swift infer vs transformers generate on the e2e fixtures (tests/data/e2e, real
             qwen3 / llama3 vocabularies): the texts must be equal
  tokenizer  swift-bench tokenizer vs Hugging Face tokenizers: load time, encode MB/s on one
             thread (the tokenizer corpus repeated to --mb MB, warm cache), encode_batch on every
             core, unique words (cold cache); the token ids are compared too
  decode     swift-bench decode vs transformers generate, on the same random Qwen2.5-0.5B-shaped
             float32 model: prefill tokens/s (one --prompt_len prompt), decode tokens/s at batch 1
             and at batch --concurrency
  train      swift-bench train vs a transformers + peft training loop (what the HF Trainer does
             per step: forward with labels, backward with gradient checkpointing, clip, AdamW) on
             the same random Qwen2.5-0.5B-shaped float32 model: tokens/s and peak RSS of LoRA
             (r 8, alpha 32, all-linear) and full fine-tuning at --train_seq_lens; each setting in
             a process of its own on both sides, so the peak RSS is that setting's

Benchmarks, not tests: figures depend on what else runs on the machine (printed with them).
Run with the reference environment's python (bash scripts/reference-setup.sh):
  .venv-ref/bin/python tools/peers/compare.py [--bin build/bin] [--what greedy,tokenizer,decode,train]
Prints one table per job and, with --json FILE, writes every figure there.
"""
import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ASSETS = os.environ.get("SWIFT_TEST_ASSETS", os.path.expanduser("~/.cache/swift-cpp/test-assets"))


def machine():
    import torch
    cpu = ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()
    return dict(cpu=cpu, cores=os.cpu_count(), load_avg_1m=round(load[0], 2), python=platform.python_version(),
                torch=torch.__version__, torch_threads=torch.get_num_threads())


def table(title, rows):
    print(f"\n== {title}")
    w = max(len(r[0]) for r in rows)
    print(f"{'':{w}}  {'swift.cpp':>14}  {'peer':>14}  {'ratio':>7}")
    for name, ours, peer in rows:
        ratio = f"{ours / peer:7.2f}" if isinstance(ours, (int, float)) and isinstance(peer, (int, float)) and peer else ""
        fo = f"{ours:14.2f}" if isinstance(ours, (int, float)) else f"{str(ours):>14}"
        fp = f"{peer:14.2f}" if isinstance(peer, (int, float)) else f"{str(peer):>14}"
        print(f"{name:{w}}  {fo}  {fp}  {ratio}")


# ---------------------------------------------------------------------------------------------
def greedy(a, out):
    import torch
    import transformers as tf

    rows, res = [], {}
    for name in ("qwen3_e2e", "llama3_e2e"):
        tokname = name.replace("_e2e", "")
        src = os.path.join(ROOT, "tests/data/e2e", name)
        tokdir = os.path.join(ASSETS, "tokenizers", tokname)
        if not os.path.isdir(tokdir):
            print(f"skip greedy {name}: no {tokdir} (bash scripts/fetch-test-assets.sh)")
            continue
        work = tempfile.mkdtemp()
        try:
            model_dir = os.path.join(work, name)
            shutil.copytree(src, model_dir)
            for f in ("tokenizer.json", "tokenizer_config.json"):
                shutil.copy(os.path.join(tokdir, f), model_dir)
            convs = [json.loads(l)["messages"] for l in open(os.path.join(src, "e2e_golden.jsonl"), encoding="utf-8")]
            ds = os.path.join(work, "ds.jsonl")
            with open(ds, "w", encoding="utf-8") as f:
                for c in convs:
                    f.write(json.dumps({"messages": c}, ensure_ascii=False) + "\n")
            result = os.path.join(work, "result.jsonl")
            cmd = [os.path.join(a.bin, "swift"), "infer", "--model", model_dir, "--val_dataset", ds,
                   "--temperature", "0", "--max_new_tokens", "16", "--result_path", result,
                   "--max_batch_size", "8"]
            if tokname == "qwen3":
                cmd += ["--enable_thinking", "false"]
            t0 = time.perf_counter()
            p = subprocess.run(cmd, capture_output=True, text=True)
            ours_s = time.perf_counter() - t0
            if p.returncode != 0:
                print(p.stdout[-2000:], p.stderr[-2000:])
                rows.append((f"{name} texts equal", "error", ""))
                continue
            ours = [json.loads(l)["response"] for l in open(result, encoding="utf-8")]
            t0 = time.perf_counter()
            model = tf.AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32).eval()
            tok = tf.AutoTokenizer.from_pretrained(model_dir)
            eos = json.load(open(os.path.join(model_dir, "generation_config.json")))["eos_token_id"]
            pad = json.load(open(os.path.join(model_dir, "config.json")))["pad_token_id"]
            kw = {"enable_thinking": False} if tokname == "qwen3" else {}
            peer = []
            for c in convs:
                text = tok.apply_chat_template(c, tokenize=False, add_generation_prompt=True, **kw)
                ids = tok(text, add_special_tokens=False, return_tensors="pt").input_ids
                with torch.no_grad():
                    o = model.generate(ids, max_new_tokens=16, do_sample=False, eos_token_id=eos, pad_token_id=pad)
                peer.append(tok.decode(o[0, ids.shape[1]:], skip_special_tokens=True))
            peer_s = time.perf_counter() - t0
            equal = sum(x == y for x, y in zip(ours, peer))
            for i, (x, y) in enumerate(zip(ours, peer)):
                if x != y:
                    print(f"  {name}[{i}] differs:\n    swift.cpp: {x!r}\n    peer:      {y!r}")
            rows.append((f"{name} texts equal (of {len(peer)})", equal if len(ours) == len(peer) else f"{len(ours)} rows", len(peer)))
            rows.append((f"{name} wall s (process / load+generate)", ours_s, peer_s))
            res[name] = dict(rows=len(peer), equal=equal, swift_s=round(ours_s, 2), peer_s=round(peer_s, 2))
        finally:
            shutil.rmtree(work)
    table("greedy generation on the e2e fixtures (peer: transformers generate)", rows)
    out["greedy"] = res
    return all(v["equal"] == v["rows"] for v in res.values()) if res else False


# ---------------------------------------------------------------------------------------------
def tokenizer(a, out):
    from tokenizers import Tokenizer

    corpus = os.path.join(ROOT, "tests/data/tokenizers/tokenizer_corpus.jsonl")
    base = [json.loads(l)["text"] for l in open(corpus, encoding="utf-8") if l.strip()]
    res = {}
    for name in a.tokenizers.split(","):
        tokdir = os.path.join(ASSETS, "tokenizers", name)
        if not os.path.isdir(tokdir):
            print(f"skip tokenizer {name}: no {tokdir}")
            continue
        p = subprocess.run([os.path.join(a.bin, "swift-bench"), "tokenizer", tokdir, "--mb", str(a.mb), "--corpus", corpus,
                            "--threads", str(os.cpu_count())], capture_output=True, text=True)
        if p.returncode != 0:
            print(p.stdout, p.stderr)
            continue
        s = p.stdout
        num = lambda pat: float(re.search(pat, s).group(1))  # noqa: E731
        ours = dict(load_s=num(r"loaded in ([\d.]+) s"), encode_1t=num(r"encode 1 thread :\s+([\d.]+) MB/s  "),
                    encode_1t_cpu=num(r"encode 1 thread :\s+([\d.]+) MB/s per CPU"),
                    encode_nt=num(r"encode \d+ threads:\s+([\d.]+) MB/s"),
                    unique=num(r"encode unique words \(1 thread, cold cache\): ([\d.]+) MB/s"),
                    tokens=int(num(r"MB, (\d+) tokens")))
        # the peer, on the same texts
        texts, nbytes = [], 0
        while nbytes < a.mb * 1e6:
            for t in base:
                texts.append(t)
                nbytes += len(t.encode("utf-8"))
        t0, c0 = time.perf_counter(), time.process_time()
        tk = Tokenizer.from_file(os.path.join(tokdir, "tokenizer.json"))
        load_s = time.perf_counter() - t0
        tk.encode_batch(base, add_special_tokens=False)  # warm up
        t0, c0 = time.perf_counter(), time.process_time()
        n = 0
        for t in texts:
            n += len(tk.encode(t, add_special_tokens=False).ids)
        single, single_cpu = time.perf_counter() - t0, time.process_time() - c0
        t0 = time.perf_counter()
        tk.encode_batch(texts, add_special_tokens=False)
        multi = time.perf_counter() - t0
        parts, size, k = [], 0, 0  # the same text as swift-bench's: "w<k*7919>x " up to 1 MB
        while size < 1000000:
            parts.append(f"w{k * 7919}x ")
            size += len(parts[-1])
            k += 1
        unique = "".join(parts)
        t0 = time.perf_counter()
        tk.encode(unique, add_special_tokens=False)
        us = time.perf_counter() - t0
        peer = dict(load_s=load_s, encode_1t=nbytes / 1e6 / single, encode_1t_cpu=nbytes / 1e6 / single_cpu,
                    encode_nt=nbytes / 1e6 / multi, unique=len(unique) / 1e6 / us, tokens=n)
        avg = nbytes / max(1, len(texts))
        table(f"tokenizer {name} (peer: HF tokenizers {__import__('tokenizers').__version__} from Python; MB/s of "
              f"UTF-8; {len(texts)} texts of {avg:.0f} bytes on average, so the peer's per-call cost counts)", [
            ("load tokenizer.json, s", ours["load_s"], peer["load_s"]),
            (f"encode 1 thread, {a.mb:g} MB corpus", ours["encode_1t"], peer["encode_1t"]),
            ("encode 1 thread, per CPU-second", ours["encode_1t_cpu"], peer["encode_1t_cpu"]),
            (f"encode_batch, {os.cpu_count()} threads", ours["encode_nt"], peer["encode_nt"]),
            ("encode unique words, 1 MB text", ours["unique"], peer["unique"]),
            ("tokens in the corpus (equal?)", ours["tokens"], peer["tokens"]),
        ])
        res[name] = dict(swift=ours, peer=peer)
    out["tokenizer"] = res


# ---------------------------------------------------------------------------------------------
def decode(a, out):
    import torch
    import transformers as tf

    p = subprocess.run([os.path.join(a.bin, "swift-bench"), "decode", "--prompt_len", str(a.prompt_len),
                        "--new_tokens", str(a.new_tokens), "--concurrency", str(a.concurrency),
                        "--dtype", "float32", "--device", "cpu"], capture_output=True, text=True)
    if p.returncode != 0:
        print(p.stdout, p.stderr)
        return
    ours = json.loads([l for l in p.stdout.splitlines() if l.startswith("{")][-1])
    head = p.stdout.splitlines()[0]
    cfg = qwen25_05b_config(tf)  # random weights
    torch.manual_seed(0)
    model = tf.AutoModelForCausalLM.from_config(cfg, dtype=torch.float32).eval()
    V = cfg.vocab_size

    def prompt(n, salt):
        return [(i * 7919 + salt * 104729 + 13) % (V - 1000) for i in range(n)]

    def gen(batch, plen, new):
        ids = torch.tensor([prompt(plen, 100 + b) for b in range(batch)])
        t0 = time.perf_counter()
        with torch.no_grad():
            model.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=new, min_new_tokens=new,
                           do_sample=False, pad_token_id=0)
        return time.perf_counter() - t0

    gen(1, 16, 2)  # warm-up
    ids = torch.tensor([prompt(a.prompt_len, 1)])
    t0 = time.perf_counter()
    with torch.no_grad():
        model(input_ids=ids)
    prefill = a.prompt_len / (time.perf_counter() - t0)
    rates = {}
    for b in (1, a.concurrency):
        first = gen(b, 32, 1)  # prefill + first token
        total = gen(b, 32, a.new_tokens)
        rates[b] = b * (a.new_tokens - 1) / max(1e-9, total - first)
    peer = {"prefill_tokens_per_s": prefill, "decode_tokens_per_s_b1": rates[1],
            f"decode_tokens_per_s_b{a.concurrency}": rates[a.concurrency]}
    table(f"CPU prefill / decode, random Qwen2.5-0.5B shape, float32 (peer: transformers "
          f"{tf.__version__} generate, sdpa, torch {torch.__version__}, {torch.get_num_threads()} threads)", [
        (f"prefill, one {a.prompt_len}-token prompt, tokens/s", ours["prefill_tokens_per_s"], prefill),
        ("decode batch 1, tokens/s", ours["decode_tokens_per_s_b1"], rates[1]),
        (f"decode {a.concurrency} sequences, tokens/s", ours[f"decode_tokens_per_s_b{a.concurrency}"],
         rates[a.concurrency]),
    ])
    print(f"swift.cpp: {head}")
    out["decode"] = dict(swift=ours, peer=peer, prompt_len=a.prompt_len, new_tokens=a.new_tokens,
                         concurrency=a.concurrency)

# ---------------------------------------------------------------------------------------------
def qwen25_05b_config(tf):
    # The same shape as swift-bench's default (Qwen2.5-0.5B-Instruct's config.json).
    return tf.Qwen2Config(vocab_size=151936, hidden_size=896, intermediate_size=4864, num_hidden_layers=24,
                          num_attention_heads=14, num_key_value_heads=2, max_position_embeddings=32768,
                          rope_theta=1000000.0, rms_norm_eps=1e-6, tie_word_embeddings=True,
                          use_sliding_window=False)


def train_child(spec):
    """One peer setting in this process: prints one JSON line (tokens/s, peak RSS)."""
    import resource
    import torch
    import transformers as tf

    tuner, seq, steps, warmup = spec["tuner_type"], spec["seq_len"], spec["steps"], spec["warmup"]
    torch.manual_seed(0)
    model = tf.AutoModelForCausalLM.from_config(qwen25_05b_config(tf), dtype=torch.float32)
    if tuner == "lora":
        import peft
        model = peft.get_peft_model(model, peft.LoraConfig(r=8, lora_alpha=32, lora_dropout=0.0,
                                                           target_modules="all-linear", task_type="CAUSAL_LM"))
    model.gradient_checkpointing_enable()
    if tuner == "lora":
        model.enable_input_require_grads()
    model.train()
    model_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=1e-4 if tuner == "lora" else 1e-5, betas=(0.9, 0.999), eps=1e-8,
                            weight_decay=0.1)
    V = 151936
    t0 = None
    loss = None
    for r in range(warmup + steps):
        if r == warmup:
            t0 = time.perf_counter()
        ids = torch.tensor([[(i * 7919 + r * 104729 + 13) % (V - 1000) for i in range(seq)]])
        loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
    secs = time.perf_counter() - t0
    print(json.dumps(dict(tuner_type=tuner, seq_len=seq, steps=steps, tokens_per_s=steps * seq / secs,
                          s_per_step=secs / steps, peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                          model_rss_mb=model_rss, trainable=sum(p.numel() for p in params),
                          last_loss=loss.item(), torch_threads=torch.get_num_threads())))


def train(a, out):
    import torch
    import transformers as tf
    import peft

    rows, res = [], []
    for seq in [int(x) for x in a.train_seq_lens.split(",")]:
        for tuner in ("lora", "full"):
            spec = dict(tuner_type=tuner, seq_len=seq, steps=a.train_steps, warmup=1)
            p = subprocess.run([os.path.join(a.bin, "swift-bench"), "train", "--tuner_type", tuner, "--seq_len",
                                str(seq), "--steps", str(a.train_steps), "--warmup", "1"],
                               capture_output=True, text=True)
            if p.returncode != 0:
                print(p.stdout[-3000:], p.stderr[-3000:])
                continue
            ours = json.loads([l for l in p.stdout.splitlines() if l.startswith("{")][-1])
            q = subprocess.run([sys.executable, os.path.abspath(__file__), "--train_child", json.dumps(spec)],
                               capture_output=True, text=True)
            if q.returncode != 0:
                print(q.stdout[-3000:], q.stderr[-3000:])
                continue
            peer = json.loads([l for l in q.stdout.splitlines() if l.startswith("{")][-1])
            rows.append((f"{tuner} seq {seq}: tokens/s", ours["tokens_per_s"], peer["tokens_per_s"]))
            rows.append((f"{tuner} seq {seq}: peak RSS MB", ours["peak_rss_mb"], peer["peak_rss_mb"]))
            rows.append((f"{tuner} seq {seq}: trainable parameters (equal?)", ours["trainable"], peer["trainable"]))
            res.append(dict(swift=ours, peer=peer))
            print(f"  {tuner} seq {seq}: swift {ours['tokens_per_s']:.1f} tok/s {ours['peak_rss_mb']:.0f} MB | "
                  f"peer {peer['tokens_per_s']:.1f} tok/s {peer['peak_rss_mb']:.0f} MB", flush=True)
    table(f"CPU training, random Qwen2.5-0.5B shape, float32, batch 1, gradient checkpointing, AdamW "
          f"({a.train_steps} timed steps after one warm-up; peer: transformers {tf.__version__} + peft "
          f"{peft.__version__} loop, torch {torch.__version__}, {torch.get_num_threads()} threads)", rows)
    out["train"] = res


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default=os.path.join(ROOT, "build/bin"))
    ap.add_argument("--what", default="greedy,tokenizer,decode")
    ap.add_argument("--tokenizers", default="qwen3,llama3")
    ap.add_argument("--mb", type=float, default=4.0)
    ap.add_argument("--prompt_len", type=int, default=256)
    ap.add_argument("--new_tokens", type=int, default=32)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--train_seq_lens", default="512,1024")
    ap.add_argument("--train_steps", type=int, default=3)
    ap.add_argument("--train_child", default="", help=argparse.SUPPRESS)
    ap.add_argument("--json", default="")
    a = ap.parse_args()
    if a.train_child:
        return train_child(json.loads(a.train_child))
    a.bin = os.path.abspath(a.bin)
    out = {"machine": machine(), "bin": a.bin}
    print("machine:", json.dumps(out["machine"]))
    print("swift.cpp binaries:", a.bin)
    ok = True
    for w in a.what.split(","):
        r = {"greedy": greedy, "tokenizer": tokenizer, "decode": decode, "train": train}[w](a, out)
        if w == "greedy" and r is False:
            ok = False
    out["machine_after"] = dict(load_avg_1m=round(os.getloadavg()[0], 2))
    if a.json:
        json.dump(out, open(a.json, "w"), indent=2)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
