#!/usr/bin/env python3
"""Reference simulation of llama-completion's -gan/-gaw (Self-Extend approximation) KV bookkeeping,
llama.cpp 0.5.0 (commit de3ff81): tools/completion/completion.cpp + llama_kv_cache::seq_add/seq_div +
llama_kv_cells::pos_add/pos_div.

Every KV cell (one per token, single sequence) has
  pos   - its position (used by the causal mask: key visible iff pos_key <= pos_query) and
  angle - the RoPE position its cached K is rotated to (K is rotated once at decode with angle = the
          position it was decoded at; seq_add/seq_div accumulate a per-cell `shift`, applied as a RoPE
          rotation of the cached (f16) K by `shift` before the next llama_decode).
pos_add(d): pos += d; shift += d.            (angle follows pos)
pos_div(d): new = pos // d; shift += pos - new   <- llama.cpp 0.5.0 sign: angle moves UP by (pos - new)
                                                    while pos moves DOWN, so angle - pos grows by 2*(pos-new).
With fixed=True, pos_div uses shift += new - pos (angle == pos always).

Usage:
  ga_positions.py N_PROMPT N_BATCH GA_N GA_W N_GEN [--fixed]   print decode schedule and final cells
  ga_positions.py --check passkey-llamacpp-ga.json             compare schedule with every fixture run
"""
import json
import sys


def simulate(n_prompt, n_batch, ga_n, ga_w, n_gen, fixed=False):
    assert ga_w % ga_n == 0
    pos, angle = [], []          # per cell (token index)
    decodes, ops = [], []
    n_past = ga_i = n_consumed = n_generated = 0
    embd = 0                     # number of tokens waiting to be decoded
    while n_generated < n_gen:
        if embd:
            if ga_n != 1:
                while n_past >= ga_i + ga_w:
                    ib = (ga_n * ga_i) // ga_w
                    bd = (ga_w // ga_n) * (ga_n - 1)
                    dd = (ga_w // ga_n) - ib * bd - ga_w
                    ops.append((n_past, ga_i, ib, bd, dd))
                    # 1) seq_add(ga_i, n_past, ib*bd)
                    for c in range(len(pos)):
                        if ga_i <= pos[c] < n_past:
                            pos[c] += ib * bd
                            angle[c] += ib * bd
                    # 2) seq_div(ga_i + ib*bd, ga_i + ib*bd + ga_w, ga_n)
                    lo, hi = ga_i + ib * bd, ga_i + ib * bd + ga_w
                    for c in range(len(pos)):
                        if lo <= pos[c] < hi:
                            new = pos[c] // ga_n
                            angle[c] += (new - pos[c]) if fixed else (pos[c] - new)
                            pos[c] = new
                    # 3) seq_add(ga_i + ib*bd + ga_w, n_past + ib*bd, dd)
                    for c in range(len(pos)):
                        if hi <= pos[c] < n_past + ib * bd:
                            pos[c] += dd
                            angle[c] += dd
                    n_past -= bd
                    ga_i += ga_w // ga_n
            # llama_batch_get_one: positions seq_pos_max + 1 ... (== n_past)
            assert not pos or max(pos) + 1 == n_past
            decodes.append([n_past, embd])
            for j in range(embd):
                pos.append(n_past + j)
                angle.append(n_past + j)
            n_past += embd
        embd = 0
        if n_consumed >= n_prompt:
            n_generated += 1     # sample (argmax) from the last logits; it is decoded next round
            embd = 1
        else:
            embd = min(n_batch, n_prompt - n_consumed)
            n_consumed += embd
    return {"decodes": decodes, "ops": ops, "final_n_past": n_past, "final_ga_i": ga_i,
            "pos": pos, "angle": angle}


def check(path):
    doc = json.load(open(path))
    bad = 0
    for r in doc["runs"]:
        p = doc["prompts"][r["prompt"]]
        s = simulate(p["n_tokens"], r["n_batch"], r["ga_n"], r["ga_w"], len(r["tokens"]), r["kv_div"] == "fixed")
        ok = (s["decodes"] == r["decodes"] and len(s["ops"]) == r["n_ga_ops"]
              and s["final_n_past"] == r["final_n_past"] and s["final_ga_i"] == r["final_ga_i"])
        bad += not ok
        if not ok:
            print("MISMATCH", r["name"], r["ga_n"], r["ga_w"], r["n_batch"], r["kv_div"])
    print(f"{len(doc['runs']) - bad}/{len(doc['runs'])} runs match the simulated schedule")
    return bad == 0


def main():
    if sys.argv[1] == "--check":
        sys.exit(0 if check(sys.argv[2]) else 1)
    n_prompt, n_batch, ga_n, ga_w, n_gen = map(int, sys.argv[1:6])
    s = simulate(n_prompt, n_batch, ga_n, ga_w, n_gen, "--fixed" in sys.argv)
    print("decodes [start_pos, n_tokens]:", s["decodes"])
    for (n_past, ga_i, ib, bd, dd) in s["ops"]:
        print(f"op: n_past={n_past} ga_i={ga_i}: seq_add([{ga_i},{n_past}), {ib*bd}); "
              f"seq_div([{ga_i+ib*bd},{ga_i+ib*bd+ga_w}), {ga_n}); "
              f"seq_add([{ga_i+ib*bd+ga_w},{n_past+ib*bd}), {dd}); n_past -> {n_past-bd}, ga_i -> {ga_i+ga_w//ga_n}")
    print("final n_past", s["final_n_past"], "ga_i", s["final_ga_i"])
    print("cell pos  :", s["pos"])
    print("cell angle:", s["angle"])


if __name__ == "__main__":
    main()
