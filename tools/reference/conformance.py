"""Conformance run against ms-swift itself: the same command lines through ms-swift 4.6 (the
reference environment) and swift.cpp, on the same tiny local model and data, and a diff of what
should be equal.

  sft --show_args   argument resolution: swift.cpp's `--show_args` JSON against ms-swift's
                    SftArguments after its __post_init__ (defaults, derived values), key by key
  infer             `swift infer --val_dataset` result rows (keys, responses, labels, messages)
  export            `swift export --adapters CKPT --merge_lora true`: output folder layout,
                    config.json, tensor names and values

The model is tests/data/e2e/qwen3_e2e with the real Qwen3 tokenizer (scripts/fetch-test-assets.sh).
Run with the reference environment's python:
  .venv-ref/bin/python tools/reference/conformance.py [--bin build/bin] [--report FILE.md]
Prints every difference; --report writes them as a Markdown list. Exit code 0 unless a step
could not run at all (differences are findings, not failures).
"""
import argparse
import contextlib
import dataclasses
import glob
import io
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ASSETS = os.environ.get("SWIFT_TEST_ASSETS", os.path.expanduser("~/.cache/swift-cpp/test-assets"))

# Command lines (after the subcommand); M and D are replaced by the model and dataset paths.
SFT_CASES = [
    "--model M --dataset D --tuner_type lora",
    "--model M --dataset D --tuner_type full",
    "--model M --dataset D --train_type lora --learning_rate 2e-4 --lora_rank 16 --lora_alpha 64",
    "--model M --dataset D --tuner_type lora --per_device_train_batch_size 4 --num_train_epochs 2 "
    "--max_length 512 --warmup_ratio 0.1 --save_steps 10 --eval_steps 10",
    "--model M --dataset D#3 --tuner_type lora --torch_dtype float32 --gradient_accumulation_steps 4",
]
# Keys whose value embeds the time or the absolute folder of the run: compared as a pattern.
RUN_DEPENDENT = {"output_dir", "logging_dir", "run_name", "result_path", "ckpt_dir"}


def norm(v):
    """A JSON-comparable form of an argument value."""
    if dataclasses.is_dataclass(v):
        return str(v)
    if isinstance(v, (list, tuple)):
        return [norm(x) for x in v]
    if isinstance(v, dict):
        return {str(k): norm(x) for k, x in v.items()}
    if hasattr(v, "value") and not isinstance(v, (int, float, str, bool)):
        return norm(v.value)  # enums
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    s = str(v)
    return s.replace("torch.", "")  # torch.float32 -> float32


def same(a, b):
    if isinstance(a, float) or isinstance(b, float):
        try:
            return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
        except (TypeError, ValueError):
            return False
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a == b


def run_pattern(v, work):
    """Replace the run's own folder and timestamps so that two runs compare."""
    if not isinstance(v, str):
        return v
    v = v.replace(os.path.realpath(work), "<work>").replace(work, "<work>")
    v = re.sub(r"v\d+-\d{8}-\d{6}", "vN-<time>", v)
    return re.sub(r"\d{8}-\d{6}", "<time>", v)


def swift_cpp(bin_dir, sub, argv, cwd):
    p = subprocess.run([os.path.join(bin_dir, "swift"), sub] + argv, cwd=cwd, capture_output=True, text=True)
    return p


def ms_swift_args(cls_name, argv, cwd):
    """ms-swift's resolved arguments: its dataclass parsed from argv, after __post_init__."""
    import swift.arguments as sa
    from swift.utils import parse_args

    cls = getattr(sa, cls_name)
    old = os.getcwd()
    os.chdir(cwd)
    buf = io.StringIO()
    try:
        with contextlib.redirect_stderr(buf):
            args, rest = parse_args(cls, argv)
    finally:
        os.chdir(old)
    out = {}
    ta = getattr(args, "training_args", None)
    for f in dataclasses.fields(args):
        v = getattr(args, f.name, None)
        # ms-swift leaves some derived values (gradient_accumulation_steps...) on the trainer's
        # arguments only; that is where it resolves them.
        if v is None and ta is not None and getattr(ta, f.name, None) is not None:
            v = getattr(ta, f.name)
        out[f.name] = norm(v)
    return out, rest


def diff_args(ours, theirs, work):
    found = []
    for k in sorted(set(ours) | set(theirs)):
        if k not in theirs:
            found.append(("only swift.cpp", k, ours[k], None))
            continue
        if k not in ours:
            found.append(("only ms-swift", k, None, theirs[k]))
            continue
        a, b = ours[k], theirs[k]
        if k in RUN_DEPENDENT or isinstance(a, str) or isinstance(b, str):
            a, b = run_pattern(a, work), run_pattern(b, work)
        if not same(a, b):
            found.append(("differs", k, a, b))
    return found


def prepare(work):
    tokdir = os.path.join(ASSETS, "tokenizers", "qwen3")
    if not os.path.isfile(os.path.join(tokdir, "tokenizer.json")):
        sys.exit(f"no {tokdir}: run bash scripts/fetch-test-assets.sh")
    model = os.path.join(work, "Qwen3-tiny")
    shutil.copytree(os.path.join(ROOT, "tests/data/e2e/qwen3_e2e"), model)
    for f in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(os.path.join(tokdir, f), model)
    os.remove(os.path.join(model, "e2e_golden.jsonl"))
    rows = [json.loads(l) for l in open(os.path.join(ROOT, "tests/data/e2e/qwen3_e2e/e2e_golden.jsonl"), encoding="utf-8")]
    train = os.path.join(work, "train.jsonl")
    with open(train, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps({"messages": r["messages"] + [{"role": "assistant", "content": "ok"}]},
                               ensure_ascii=False) + "\n")
    val = os.path.join(work, "val.jsonl")
    with open(val, "w", encoding="utf-8") as f:
        for r in rows[:6]:
            f.write(json.dumps({"messages": r["messages"]}, ensure_ascii=False) + "\n")
    return model, train, val


def expand(case, model, data):
    return [model if t == "M" else data if t == "D" else data + t[1:] if t.startswith("D#") else t
            for t in case.split()]


def sft_show_args(a, work, model, train, findings):
    for i, case in enumerate(SFT_CASES):
        argv = expand(case, model, train) + ["--model_type", "qwen3", "--template", "qwen3"]
        cwd = os.path.join(work, f"sft{i}")
        os.makedirs(os.path.join(cwd, "ours"))
        os.makedirs(os.path.join(cwd, "theirs"))
        p = swift_cpp(a.bin, "sft", argv + ["--show_args", "true"], os.path.join(cwd, "ours"))
        title = "sft " + case
        if p.returncode != 0:
            findings.append((title, [("error", "swift.cpp", p.stderr.strip()[-300:], None)]))
            continue
        ours = json.loads(p.stdout[p.stdout.index("{"):])
        try:
            theirs, rest = ms_swift_args("SftArguments", argv, os.path.join(cwd, "theirs"))
        except Exception as e:  # noqa: BLE001
            findings.append((title, [("error", "ms-swift", None, f"{type(e).__name__}: {e}"[:300])]))
            continue
        d = diff_args(ours, theirs, os.path.join(cwd, "theirs"))
        d = [(kind, k, run_pattern(x, os.path.join(cwd, "ours")), y) for kind, k, x, y in d]
        # ours resolved in cwd/ours, theirs in cwd/theirs: compare those folders as one
        d = [t for t in d if not (t[0] == "differs" and run_pattern(t[2], cwd) == run_pattern(t[3], cwd))]
        both = len(set(ours) & set(theirs))
        print(f"\n== {title}: {both} arguments on both sides, {sum(1 for t in d if t[0] == 'differs')} differ, "
              f"{sum(1 for t in d if t[0] == 'only ms-swift')} only in ms-swift, "
              f"{sum(1 for t in d if t[0] == 'only swift.cpp')} only in swift.cpp")
        for kind, k, x, y in d:
            if kind == "differs":
                print(f"  {k}: swift.cpp {json.dumps(x)[:120]}  ms-swift {json.dumps(y)[:120]}")
        findings.append((title, d))


def infer_rows(a, work, model, val, findings):
    import torch  # noqa: F401  (ms-swift imports it anyway; keep the order of set-up explicit)
    from swift.pipelines import infer_main

    argv = ["--model", model, "--model_type", "qwen3", "--template", "qwen3", "--val_dataset", val, "--temperature", "0",
            "--max_new_tokens", "16", "--max_batch_size", "4", "--enable_thinking", "false"]
    ours_path, theirs_path = os.path.join(work, "ours_infer.jsonl"), os.path.join(work, "theirs_infer.jsonl")
    p = swift_cpp(a.bin, "infer", argv + ["--result_path", ours_path], work)
    title = "infer --val_dataset (result rows)"
    if p.returncode != 0:
        findings.append((title, [("error", "swift.cpp", p.stderr.strip()[-300:], None)]))
        return
    old = os.getcwd()
    os.chdir(work)
    try:
        infer_main(argv + ["--result_path", theirs_path, "--infer_backend", "transformers"])
    except Exception as e:  # noqa: BLE001
        findings.append((title, [("error", "ms-swift", None, f"{type(e).__name__}: {e}"[:300])]))
        return
    finally:
        os.chdir(old)
    ours = [json.loads(l) for l in open(ours_path, encoding="utf-8")]
    theirs = [json.loads(l) for l in open(theirs_path, encoding="utf-8")]
    d = []
    if len(ours) != len(theirs):
        d.append(("differs", "row count", len(ours), len(theirs)))
    for i, (x, y) in enumerate(zip(ours, theirs)):
        for k in sorted(set(x) | set(y)):
            if k not in y:
                d.append(("only swift.cpp", f"row {i} key {k}", x[k], None))
            elif k not in x:
                d.append(("only ms-swift", f"row {i} key {k}", None, y[k]))
            elif not same(norm(x[k]), norm(y[k])):
                d.append(("differs", f"row {i} {k}", x[k], y[k]))
    eq = sum(1 for x, y in zip(ours, theirs) if x.get("response") == y.get("response"))
    print(f"\n== {title}: {len(theirs)} rows, responses equal {eq}/{len(theirs)}, {len(d)} differences")
    for t in d[:20]:
        print("  ", t[0], t[1], json.dumps(t[2], ensure_ascii=False)[:100], json.dumps(t[3], ensure_ascii=False)[:100])
    findings.append((title + f": responses equal {eq}/{len(theirs)}", d))


def export_merge(a, work, model, findings):
    import peft
    import torch
    import transformers as tf
    from safetensors.torch import load_file
    from swift.pipelines import export_main

    title = "export --adapters CKPT --merge_lora true (folder, config, tensors)"
    base = tf.AutoModelForCausalLM.from_pretrained(model, dtype=torch.float32)
    torch.manual_seed(0)
    pm = peft.get_peft_model(base, peft.LoraConfig(r=4, lora_alpha=8, target_modules="all-linear", lora_dropout=0.0))
    with torch.no_grad():
        for n, p in pm.named_parameters():
            if "lora_B" in n:
                p.normal_(0, 0.2)
    ckpts = {}
    for side in ("ours", "theirs"):
        c = os.path.join(work, f"export_{side}", "checkpoint-1")
        pm.save_pretrained(c)
        ckpts[side] = c
    argv = ["--model", model, "--model_type", "qwen3", "--template", "qwen3", "--merge_lora", "true"]
    p = swift_cpp(a.bin, "export", argv + ["--adapters", ckpts["ours"]], work)
    if p.returncode != 0:
        findings.append((title, [("error", "swift.cpp", p.stderr.strip()[-300:], None)]))
        return
    old = os.getcwd()
    os.chdir(work)
    try:
        export_main(argv + ["--adapters", ckpts["theirs"]])
    except Exception as e:  # noqa: BLE001
        findings.append((title, [("error", "ms-swift", None, f"{type(e).__name__}: {e}"[:300])]))
        return
    finally:
        os.chdir(old)
    d = []
    outs = {s: ckpts[s] + "-merged" for s in ckpts}
    if not os.path.isdir(outs["theirs"]):
        # ms-swift 4.6 names the folder after the model when --model is given and the
        # checkpoint has no args.json
        alt = model + "-merged"
        d.append(("differs", "output folder", os.path.relpath(outs["ours"], work), os.path.relpath(alt, work)))
        outs["theirs"] = alt
    files = {s: sorted(os.path.relpath(f, outs[s]) for f in glob.glob(outs[s] + "/**", recursive=True)
                       if os.path.isfile(f)) for s in outs}
    for f in sorted(set(files["ours"]) | set(files["theirs"])):
        if f not in files["theirs"]:
            d.append(("only swift.cpp", f"file {f}", "present", None))
        elif f not in files["ours"]:
            d.append(("only ms-swift", f"file {f}", None, "present"))
    for f in ("config.json", "generation_config.json"):
        if f in files["ours"] and f in files["theirs"]:
            x, y = (json.load(open(os.path.join(outs[s], f))) for s in ("ours", "theirs"))
            for k in sorted(set(x) | set(y)):
                if k not in y:
                    d.append(("only swift.cpp", f"{f} {k}", x[k], None))
                elif k not in x:
                    d.append(("only ms-swift", f"{f} {k}", None, y[k]))
                elif not same(norm(x[k]), norm(y[k])):
                    d.append(("differs", f"{f} {k}", x[k], y[k]))
    tens = {}
    for s in outs:
        tens[s] = {}
        for f in files[s]:
            if f.endswith(".safetensors"):
                tens[s].update(load_file(os.path.join(outs[s], f)))
    worst = 0.0
    for k in sorted(set(tens["ours"]) | set(tens["theirs"])):
        if k not in tens["theirs"]:
            d.append(("only swift.cpp", f"tensor {k}", "present", None))
        elif k not in tens["ours"]:
            d.append(("only ms-swift", f"tensor {k}", None, "present"))
        else:
            x, y = tens["ours"][k].float(), tens["theirs"][k].float()
            if x.shape != y.shape:
                d.append(("differs", f"tensor {k} shape", list(x.shape), list(y.shape)))
            else:
                worst = max(worst, float((x - y).abs().max()))
    if worst > 1e-5:
        d.append(("differs", "merged tensors max abs difference", worst, 0.0))
    print(f"\n== {title}: {len(files['ours'])} / {len(files['theirs'])} files, tensors max abs diff {worst:.2e}, "
          f"{len(d)} differences")
    for t in d:
        print("  ", t[0], t[1], json.dumps(t[2], default=str)[:100], json.dumps(t[3], default=str)[:100])
    findings.append((title + f": tensors max abs diff {worst:.1e}", d))


def write_report(path, findings):
    with open(path, "w", encoding="utf-8") as f:
        f.write("# Conformance run against ms-swift 4.6.0 (generated)\n\n")
        f.write("Made by `tools/reference/conformance.py` (see docs/STATUS.md for what each difference is).\n\n")
        for title, d in findings:
            f.write(f"## {title}\n\n")
            if not d:
                f.write("No differences.\n\n")
            for kind, k, x, y in d:
                f.write(f"- {kind}: `{k}`: swift.cpp `{json.dumps(x, ensure_ascii=False, default=str)[:160]}`, "
                        f"ms-swift `{json.dumps(y, ensure_ascii=False, default=str)[:160]}`\n")
            f.write("\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default=os.path.join(ROOT, "build/bin"))
    ap.add_argument("--what", default="sft,infer,export")
    ap.add_argument("--report", default="")
    ap.add_argument("--keep", action="store_true", help="keep the work folder")
    a = ap.parse_args()
    a.bin = os.path.abspath(a.bin)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("MODELSCOPE_OFFLINE", "1")
    work = tempfile.mkdtemp(prefix="swift-conformance-")
    findings = []
    try:
        model, train, val = prepare(work)
        for w in a.what.split(","):
            {"sft": lambda: sft_show_args(a, work, model, train, findings),
             "infer": lambda: infer_rows(a, work, model, val, findings),
             "export": lambda: export_merge(a, work, model, findings)}[w]()
    finally:
        if a.keep:
            print("work folder:", work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    if a.report:
        write_report(a.report, findings)
    errors = [t for t, d in findings if any(x[0] == "error" for x in d)]
    for t in errors:
        print("could not run:", t)
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
