#!/usr/bin/env python3
"""Build src/test/resources/golden/passkey-llamacpp-ga.json.

Passkey prompts in the LongLM example.py / landmark-attention format (see models/MODEL_CARD.md):
    "\n".join([INSTRUCTION, " ".join([FILLER] * a), NEEDLE(key), " ".join([FILLER] * b), QUESTION])
with a + b = the largest filler count whose prompt (BOS included) fits in N - ANSWER_ROOM tokens and the
needle at depth (t + 0.5) / T (a = round(k * depth)).  Each prompt is run through
  * llama-completion -gan G -gaw W (llama.cpp's own Self-Extend approximation): generated text, and
  * llama_golden ga (a call-for-call mirror of completion.cpp's -gan/-gaw loop, same libllama):
    generated token ids;
the two texts must agree, otherwise this script fails.  Each case is also run with
`llama_golden ga --fixed-div` (same position arithmetic, but seq_div's K re-rotation done in the right
direction; llama.cpp 0.5.0 rotates divided cells by old-new instead of new-old), kv_div = "fixed".

Usage: passkey_ga.py LLAMA_GOLDEN_BIN LLAMA_COMPLETION_BIN MODEL OUT.json WORKDIR
"""
import json
import os
import random
import subprocess
import sys

INSTRUCTION = ("There is an important info hidden inside a lot of irrelevant text. Find it and memorize them. "
               "I will quiz you about the important information there.")
FILLER = "The grass is green. The sky is blue. The sun is yellow. Here we go. There and back again."
QUESTION = "What is the pass key? The pass key is"
ANSWER_ROOM = 16
LENGTHS = [600, 1000]
TRIALS = 6            # prompts per length (12 in all)
SETTINGS = [(8, 64), (16, 64)]   # (G = ga_n, W = ga_w)
N_PREDICT = 8
SEED = 20240101
N_CTX = 2048


def needle(key):
    return f"The pass key is {key}. Remember it. {key} is the pass key."


def build(key, a, b):
    return "\n".join([INSTRUCTION, " ".join([FILLER] * a), needle(key), " ".join([FILLER] * b), QUESTION])


def tokenize(golden, model, text, work):
    path = os.path.join(work, "tok_in.txt")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    out = os.path.join(work, "tok_out.txt")
    subprocess.run([golden, "tokenize", model, path, out, "--bos"], check=True)
    with open(out) as f:
        return [int(x) for x in f.read().split()]


def make_keys(rng, n):
    keys = []
    for i in range(n):
        digits = 5 if i % 2 == 0 else rng.choice([3, 4, 6, 7, 8])
        keys.append(str(rng.randint(10 ** (digits - 1), 10 ** digits - 1)))
    return keys


def main():
    golden, completion, model, out_path, work = sys.argv[1:6]
    os.makedirs(work, exist_ok=True)
    rng = random.Random(SEED)
    keys = make_keys(rng, len(LENGTHS) * TRIALS)

    prompts = []
    for li, n_target in enumerate(LENGTHS):
        budget = n_target - ANSWER_ROOM
        for t in range(TRIALS):
            key = keys[li * TRIALS + t]
            depth = (t + 0.5) / TRIALS
            # largest filler count k that fits
            k = max(2, (budget - 80) // 25)
            while True:
                a = round(k * depth)
                if len(tokenize(golden, model, build(key, a, k - a), work)) > budget:
                    break
                k += 1
            k -= 1
            while True:
                a = max(1, min(k - 1, round(k * depth)))
                text = build(key, a, k - a)
                toks = tokenize(golden, model, text, work)
                if len(toks) <= budget:
                    break
                k -= 1
            prompts.append({"name": f"n{n_target}-t{t}", "n_target": n_target, "key": key, "depth": depth,
                            "filler_before": a, "filler_after": k - a, "n_tokens": len(toks),
                            "text": text, "tokens": toks})

    runs = []
    n_ok = {False: 0, True: 0}
    for pi, p in enumerate(prompts):
        pfile = os.path.join(work, f"prompt-{p['name']}.txt")
        with open(pfile, "w", encoding="utf-8") as f:
            f.write(p["text"])
        for (g, w) in SETTINGS:
            for n_batch in (w, 2048):
                n_ubatch = min(n_batch, 512)
                cmd = [completion, "-m", model, "-f", pfile, "-n", str(N_PREDICT), "--temp", "0", "--top-k", "1",
                       "-s", "42", "-c", str(N_CTX), "-b", str(n_batch), "-ub", str(n_ubatch), "-t", "2", "-tb", "2",
                       "-fa", "off", "--no-warmup", "-no-cnv", "--no-display-prompt", "--no-escape",
                       "-gan", str(g), "-gaw", str(w)]
                lc_text, lc_complete = None, False
                for fixed in (False, True):
                    gout = os.path.join(work, "ga.json")
                    subprocess.run([golden, "ga", model, pfile, str(g), str(w), str(n_batch), str(N_PREDICT), gout]
                                   + (["--fixed-div"] if fixed else []), check=True)
                    with open(gout, encoding="utf-8") as f:
                        mirror = json.load(f)
                    if mirror["prompt_tokens"] != p["tokens"]:
                        raise SystemExit(f"prompt tokenization differs for {p['name']}")
                    if not fixed:
                        # complete llama-completion stdout = generated pieces + "\n\n" (LOG("\n\n") at exit);
                        # its asynchronous logger is not flushed at exit and sometimes drops the tail,
                        # so rerun until complete; every output must be a prefix of the mirror's
                        full = mirror["text"] + "\n\n"
                        for attempt in range(10):
                            r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                               stdin=subprocess.DEVNULL)
                            if r.returncode != 0:
                                sys.stderr.write(r.stderr.decode("utf-8", "replace")[-3000:])
                                raise SystemExit(f"llama-completion failed for {p['name']} G{g} W{w} b{n_batch}")
                            out = r.stdout.decode("utf-8", "replace")
                            if not full.startswith(out):
                                raise SystemExit(f"mirror disagrees with llama-completion for {p['name']} G{g} "
                                                 f"W{w} b{n_batch}:\n  llama-completion: {out!r}\n"
                                                 f"  mirror: {mirror['text']!r}")
                            if lc_text is None or len(out) > len(lc_text):
                                lc_text = out
                            if out == full:
                                lc_complete = True
                                break
                    digits = ""
                    for ch in mirror["text"].lstrip():
                        if not ch.isdigit():
                            break
                        digits += ch
                    correct = digits == p["key"]
                    n_ok[fixed] += correct
                    run = {"prompt": pi, "name": p["name"], "ga_n": g, "ga_w": w, "n_batch": n_batch,
                           "n_ubatch": n_ubatch, "kv_div": "fixed" if fixed else "llamacpp",
                           "tokens": mirror["tokens"], "text": mirror["text"], "correct": correct,
                           "n_ga_ops": mirror["n_ga_ops"], "final_n_past": mirror["final_n_past"],
                           "final_ga_i": mirror["final_ga_i"], "decodes": mirror["decodes"]}
                    if not fixed:
                        run["llamacpp_stdout"] = lc_text
                        run["llamacpp_stdout_complete"] = lc_complete
                    runs.append(run)
                    print(f"{p['name']:10s} n={p['n_tokens']:4d} key={p['key']:>8s} G{g:<2d} W{w} b{n_batch:<4d} "
                          f"{run['kv_div']:8s} -> {mirror['text']!r} {'OK' if correct else ''}", flush=True)

    doc = {
        "description": "llama.cpp's Self-Extend approximation (llama-completion -gan/-gaw) on passkey prompts; "
                       "see tools/golden/README.md",
        "llamacpp": "0.5.0 (commit de3ff81, node-llama-cpp@3.22.1 gitRelease.bundle)",
        "model": os.path.basename(model),
        "format": {"instruction": INSTRUCTION, "filler": FILLER, "needle": needle("{key}"), "question": QUESTION,
                   "layout": "\\n.join([instruction, ' '.join([filler]*filler_before), needle, "
                             "' '.join([filler]*filler_after), question])",
                   "tokenization": "BOS + llama_tokenize(text, add_special=true, parse_special=true)"},
        "completion_args": f"-n {N_PREDICT} --temp 0 --top-k 1 -s 42 -c {N_CTX} -b N_BATCH -ub min(N_BATCH,512) "
                           "-t 2 -tb 2 -fa off --no-warmup -no-cnv --no-display-prompt --no-escape -gan G -gaw W",
        "n_predict": N_PREDICT,
        "kv_div": {"llamacpp": "exactly what llama-completion does (verified: same text); seq_div re-rotates the "
                               "cached K of a divided cell by old_pos - new_pos (llama_kv_cells::pos_div sign), "
                               "so its K carries RoPE angle 2*old - new while its cell position is new",
                   "fixed": "same position updates, but every cell's cached K is rotated to its new position "
                            "(seq_div emulated by per-position seq_add)"},
        "prompts": prompts,
        "runs": runs,
    }
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")
    half = len(runs) // 2
    n_complete = sum(1 for r in runs if r.get("llamacpp_stdout_complete"))
    print(f"llama-completion stdout complete (== mirror text + \\n\\n) in {n_complete}/{half} runs")
    print(f"retrieved: llama.cpp {n_ok[False]}/{half}, fixed seq_div {n_ok[True]}/{half}; wrote {out_path}")


if __name__ == "__main__":
    main()
