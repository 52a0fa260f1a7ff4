#!/usr/bin/env python3
"""Helpers of tools/bench-gpu.sh: what the bash script would do badly (GGUF sizes, JSON, the table).

    python3 tools/bench/gpubench.py gguf [--into P] [--names N,...] FILE...  # per file: bytes, weights read per token, KV shape
    python3 tools/bench/gpubench.py bandwidth [--into P]    # GPU copy bandwidth via torch
    python3 tools/bench/gpubench.py machine [--into P]      # GPU, driver, CUDA, CPU, memory, date
    python3 tools/bench/gpubench.py record-ours  --results DIR --model NAME --file F --method M --depth D --wall S --cmd C < stdout
    python3 tools/bench/gpubench.py record-llama --results DIR --model NAME --wall S --cmd C < llama-bench jsonl
    python3 tools/bench/gpubench.py have --results DIR ENGINE MODEL VARIANT TEST...   # exit 0 if all measured
    python3 tools/bench/gpubench.py table DIR...            # the markdown table from one or more result folders
    python3 tools/bench/gpubench.py selftest                # checks of the parsers and the table on made-up data

Each prints JSON, or with --into P stores it under the key "models", "bandwidth" or "machine" of the
JSON file P (prepare.json; written to a temporary name and renamed). Result folders hold ours.jsonl and
llama.jsonl (one line per measurement: engine, model, test, variant = plain/se for longlm and fa1/fa0
for llama.cpp, tokens/s mean and sd, the command), prepare.json and commands.txt. `table` merges
folders (the later line of one key wins), so the table can be made on any machine from the $OUT files
of several device calls. Standard library only, except `bandwidth` (torch, on the GPU machine).
"""
import argparse
import json
import math
import os
import struct
import subprocess
import sys
import time

# ---------------------------------------------------------------------------------------------------
# GGUF: enough of the format to size every tensor and read the attention shape.

GGML_BLOCKS = {  # type id: (values per block, bytes per block), as ggml's type traits
    0: (1, 4), 1: (1, 2), 2: (32, 18), 3: (32, 20), 6: (32, 22), 7: (32, 24), 8: (32, 34), 9: (32, 36),
    10: (256, 84), 11: (256, 110), 12: (256, 144), 13: (256, 176), 14: (256, 210), 15: (256, 292),
    24: (1, 1), 25: (1, 2), 26: (1, 4), 27: (1, 8), 28: (1, 8), 30: (1, 2),
}
GGML_NAMES = {0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 6: "Q5_0", 7: "Q5_1", 8: "Q8_0", 9: "Q8_1", 10: "Q2_K",
              11: "Q3_K", 12: "Q4_K", 13: "Q5_K", 14: "Q6_K", 15: "Q8_K", 30: "BF16"}
_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}


class _Reader:
    def __init__(self, f):
        self.f = f

    def take(self, fmt):
        n = struct.calcsize(fmt)
        b = self.f.read(n)
        if len(b) != n:
            raise ValueError("truncated GGUF file")
        return struct.unpack(fmt, b)[0]

    def string(self):
        n = self.take("<Q")
        b = self.f.read(n)
        if len(b) != n:
            raise ValueError("truncated GGUF string")
        return b.decode("utf-8", "replace")

    def value(self, vtype, keep):
        if vtype in _SCALARS:
            return self.take(_SCALARS[vtype])
        if vtype == 8:
            return self.string()
        if vtype == 9:
            itype, count = self.take("<I"), self.take("<Q")
            if not keep and itype in _SCALARS:  # skip big arrays (token scores, types) without decoding
                self.f.seek(count * struct.calcsize(_SCALARS[itype]), 1)
                return None
            items = [self.value(itype, keep) for _ in range(count)]
            return items if keep else None
        raise ValueError(f"unknown GGUF value type {vtype}")


def gguf_info(path):
    """Sizes and shape of a GGUF model: what a decoding step must read."""
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        r = _Reader(f)
        if f.read(4) != b"GGUF":
            raise ValueError(f"{path}: not a GGUF file")
        version = r.take("<I")
        if version < 2:
            raise ValueError(f"{path}: GGUF version {version} is not supported (2 or later)")
        n_tensors, n_kv = r.take("<Q"), r.take("<Q")
        meta = {}
        for _ in range(n_kv):
            key = r.string()
            vtype = r.take("<I")
            keep = not key.startswith("tokenizer.")
            v = r.value(vtype, keep)
            if keep:
                meta[key] = v
        tensors = []
        for _ in range(n_tensors):
            name = r.string()
            dims = [r.take("<Q") for _ in range(r.take("<I"))]
            ttype = r.take("<I")
            offset = r.take("<Q")
            tensors.append({"name": name, "dims": dims, "type": ttype, "offset": offset})
        align = int(meta.get("general.alignment", 32))
        data_start = (f.tell() + align - 1) // align * align
    by_offset = sorted(tensors, key=lambda t: t["offset"])
    for i, t in enumerate(by_offset):
        end = by_offset[i + 1]["offset"] if i + 1 < len(by_offset) else size - data_start
        count = math.prod(t["dims"])
        if t["type"] in GGML_BLOCKS:
            per, nbytes = GGML_BLOCKS[t["type"]]
            t["bytes"] = count // per * nbytes
        else:  # an unknown type: its extent in the file (alignment padding included)
            t["bytes"] = end - t["offset"]
        t["count"] = count
    arch = meta.get("general.architecture", "llama")
    get = lambda k, d=None: meta.get(f"{arch}.{k}", d)
    names = {t["name"]: t for t in tensors}
    embd = names.get("token_embd.weight")
    tied = "output.weight" not in names
    weights = sum(t["bytes"] for t in tensors)
    per_token = weights
    if embd is not None and not tied:
        # only one row of the embedding is read per token; the output projection is its own matrix
        per_token -= embd["bytes"] - embd["bytes"] // max(1, embd["dims"][-1])
    heads = int(get("attention.head_count", 0) or 0)
    dim = int(get("embedding_length", 0) or 0)
    kv_heads = get("attention.head_count_kv", heads)
    kv_heads = int(kv_heads[0] if isinstance(kv_heads, list) else kv_heads or 0)
    head_dim = int(get("attention.key_length", dim // heads if heads else 0) or 0)
    layers = int(get("block_count", 0) or 0)
    types = {}
    for t in tensors:
        n = GGML_NAMES.get(t["type"], str(t["type"]))
        types[n] = types.get(n, 0) + t["bytes"]
    return {
        "file": os.path.abspath(path), "name": os.path.basename(path), "file_bytes": size,
        "tensor_bytes": weights, "weights_bytes_per_token": per_token, "tied_embeddings": tied,
        "parameters": sum(t["count"] for t in tensors), "layers": layers, "heads": heads, "kv_heads": kv_heads,
        "head_dim": head_dim, "context_length": int(get("context_length", 0) or 0), "bytes_by_type": types,
        # an F16 cache: K and V of every layer, per cached position
        "kv_bytes_per_position_f16": layers * 2 * kv_heads * head_dim * 2,
    }


# ---------------------------------------------------------------------------------------------------
# The device: copy bandwidth and what machine this is.

def bandwidth(gib=2.0, iterations=20, rounds=5):
    """Device-to-device copy of a `gib` GiB buffer; GB/s counts bytes read plus bytes written."""
    try:
        import torch
    except ImportError:
        sys.exit("bandwidth: needs torch (the GPU machine's python3 has it)")
    if not torch.cuda.is_available():
        sys.exit("bandwidth: torch sees no CUDA device")
    n = int(gib * (1 << 30))
    a = torch.empty(n, dtype=torch.uint8, device="cuda")
    a.fill_(1)
    b = torch.empty_like(a)
    for _ in range(3):
        b.copy_(a)
    torch.cuda.synchronize()
    results = []
    for _ in range(rounds):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        for _ in range(iterations):
            b.copy_(a)
        end.record()
        torch.cuda.synchronize()
        seconds = start.elapsed_time(end) / 1e3 / iterations
        results.append(2 * n / seconds / 1e9)
    # a read-mostly figure too (a sum reads everything and writes one value), for information
    x = a.view(torch.float16)[: n // 2]
    x.zero_()
    torch.cuda.synchronize()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(iterations):
        x.sum(dtype=torch.float32)
    end.record()
    torch.cuda.synchronize()
    read = n / (start.elapsed_time(end) / 1e3 / iterations) / 1e9
    results.sort()
    return {"copy_GBps": results[len(results) // 2], "copy_GBps_all": results, "read_sum_GBps": read,
            "buffer_bytes": n, "method": "torch copy_ of a uint8 buffer, (read + written bytes) / time, median of "
                                         f"{rounds} rounds of {iterations}", "device": torch.cuda.get_device_name(0),
            "torch": torch.__version__}


def _run(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=60).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def machine():
    info = {"date_utc": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()), "cpus": os.cpu_count()}
    smi = _run(["nvidia-smi", "--query-gpu=name,driver_version,memory.total,clocks.max.sm,clocks.max.mem",
                "--format=csv,noheader"])
    info["gpu"] = smi.splitlines()[0] if smi else "unknown (no nvidia-smi)"
    head = _run(["nvidia-smi"])
    for word in head.split("|"):
        if "CUDA Version" in word:
            info["cuda_driver"] = word.split("CUDA Version:")[-1].strip()
    try:
        with open("/proc/cpuinfo") as f:
            info["cpu"] = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), "unknown")
        with open("/proc/meminfo") as f:
            info["memory_gib"] = round(int(f.readline().split()[1]) / (1 << 20), 1)
    except OSError:
        pass
    return info


# ---------------------------------------------------------------------------------------------------
# Results: one JSON line per measurement.

def test_name(n_prompt, n_gen, depth):
    name = f"pp{n_prompt}" if n_prompt > 0 else f"tg{n_gen}"
    return name + (f"@d{depth}" if depth > 0 else "")


def _append(results, engine_file, lines):
    os.makedirs(results, exist_ok=True)
    with open(os.path.join(results, engine_file), "a") as f:
        for line in lines:
            f.write(json.dumps(line, sort_keys=True) + "\n")


def record_ours(a, stdout):
    objects = [l for l in stdout.splitlines() if l.strip().startswith("{")]
    if not objects:
        sys.exit(f"record-ours: longlm bench printed no JSON line for {a.model} ({a.method}); its output was:\n{stdout[-2000:]}")
    raw = json.loads(objects[-1])
    base = {"engine": "longlm", "model": a.model, "file": a.file, "variant": a.method, "depth": raw.get("ctx_depth", a.depth),
            "reps": raw.get("repetitions"), "wall_s": a.wall, "cmd": a.cmd, "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "backend": raw.get("backend"), "method_described": raw.get("method")}
    lines = []
    if "prompt_tokens_per_s" in raw:
        lines.append(dict(base, test=test_name(raw["n_prompt"], 0, base["depth"]), n_prompt=raw["n_prompt"], n_gen=0,
                          tps=raw["prompt_tokens_per_s"], sd=raw.get("prompt_tokens_per_s_sd")))
    if "gen_tokens_per_s" in raw:
        lines.append(dict(base, test=test_name(0, raw["n_gen"], base["depth"]), n_prompt=0, n_gen=raw["n_gen"],
                          tps=raw["gen_tokens_per_s"], sd=raw.get("gen_tokens_per_s_sd")))
    if not lines:
        sys.exit(f"record-ours: no tokens/s in longlm's JSON: {objects[-1]}")
    _append(a.results, "ours.jsonl", lines)
    for l in lines:
        print(f"  longlm {a.model} {l['test']} {a.method}: {l['tps']:.2f} ± {l['sd'] or 0:.2f} t/s")


def record_llama(a, stdout):
    lines = []
    for l in stdout.splitlines():
        l = l.strip()
        if not l.startswith("{"):
            continue
        raw = json.loads(l)
        fa = raw.get("flash_attn")
        fa = int(fa) if isinstance(fa, (int, bool)) or (isinstance(fa, str) and fa.lstrip("-").isdigit()) else fa
        lines.append({"engine": "llama.cpp", "model": a.model, "variant": f"fa{fa}", "fa": fa,
                      "test": test_name(raw["n_prompt"], raw["n_gen"], raw["n_depth"]), "n_prompt": raw["n_prompt"],
                      "n_gen": raw["n_gen"], "depth": raw["n_depth"], "tps": raw["avg_ts"], "sd": raw.get("stddev_ts"),
                      "reps": len(raw.get("samples_ts") or []), "wall_s": a.wall, "cmd": a.cmd,
                      "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                      "llama_model_type": raw.get("model_type"), "llama_model_size": raw.get("model_size"),
                      "llama_model_n_params": raw.get("model_n_params"), "build_commit": raw.get("build_commit"),
                      "gpu_info": raw.get("gpu_info"), "backends": raw.get("backends"), "n_ubatch": raw.get("n_ubatch")})
    if not lines:
        sys.exit(f"record-llama: llama-bench printed no JSON line for {a.model}; its output was:\n{stdout[-2000:]}")
    _append(a.results, "llama.jsonl", lines)
    if getattr(a, "first", False):
        l = lines[0]
        print(f"  llama.cpp loads our {a.file or a.model}: {l['llama_model_type']}, {(l['llama_model_size'] or 0) / 2**30:.2f} GiB, "
              f"{(l['llama_model_n_params'] or 0) / 1e9:.2f} B parameters, on {l['gpu_info']} ({l['backends']})")
    for l in lines:
        print(f"  llama.cpp {a.model} {l['test']} fa={l['fa']}: {l['tps']:.2f} ± {l['sd'] or 0:.2f} t/s"
              f"  ({l['llama_model_type']}, {l['llama_model_size'] or 0:,} bytes)")


def load_results(dirs):
    """Measurements keyed by (engine, model, test, variant); a later line (file order, folder order) wins."""
    out, meta = {}, {"models": {}, "bandwidth": None, "machine": None, "commands": []}
    for d in dirs:
        for name in ("ours.jsonl", "llama.jsonl"):
            p = os.path.join(d, name)
            if os.path.exists(p):
                with open(p) as f:
                    for line in f:
                        if line.strip():
                            r = json.loads(line)
                            out[(r["engine"], r["model"], r["test"], r["variant"])] = r
        p = os.path.join(d, "prepare.json")
        if os.path.exists(p):
            with open(p) as f:
                prepared = json.load(f)
            meta["models"].update(prepared.get("models", {}))
            for key in ("bandwidth", "machine"):
                if prepared.get(key):
                    meta[key] = prepared[key]
        p = os.path.join(d, "commands.txt")
        if os.path.exists(p):
            with open(p) as f:
                meta["commands"] += [l.rstrip("\n") for l in f if l.strip()]
    return out, meta


def have(a):
    results, _ = load_results([a.results])
    missing = [t for t in a.tests if (a.engine, a.model, t, a.variant) not in results]
    sys.exit(0 if not missing else 1)


# ---------------------------------------------------------------------------------------------------
# The table.

def _fmt(r):
    if r is None:
        return "—"
    sd = r.get("sd") or 0
    return f"{r['tps']:.0f} ± {sd:.0f}" if r["tps"] >= 100 else f"{r['tps']:.1f} ± {sd:.1f}"


def _ratio(a, b):
    return a["tps"] / b["tps"] if a and b and b["tps"] > 0 else None


def _model_order(name):
    shape, _, qtype = name.partition("-")
    return ({"8b": 0, "1b": 1}.get(shape, 2), {"q4_k_m": 0, "q8_0": 1, "f16": 2}.get(qtype, 3), name)


def _test_order(t):
    kind, _, depth = t.partition("@d")
    return (0 if kind.startswith("pp") else 1, int(depth or 0), int(kind[2:]))


def table(dirs, out=sys.stdout):
    results, meta = load_results(dirs)
    if not results:
        sys.exit(f"table: no measurements in {', '.join(dirs)} (ours.jsonl / llama.jsonl)")
    bw = (meta["bandwidth"] or {}).get("copy_GBps")
    models = sorted({k[1] for k in results}, key=_model_order)
    tests = sorted({k[2] for k in results}, key=_test_order)
    p = lambda *s: print(*s, file=out)
    p("| model | test | llama.cpp t/s (best -fa) | longlm t/s | longlm / llama.cpp | longlm Self-Extend t/s | SE / plain "
      "| SE / llama.cpp | % of bandwidth limit (weights) | % (weights + KV) |")
    p("|---|---|---|---|---|---|---|---|---|---|")
    summary = []
    for m in models:
        info = next((v for k, v in meta["models"].items() if k == m), None)
        for t in tests:
            ours = results.get(("longlm", m, t, "plain"))
            se = results.get(("longlm", m, t, "se"))
            llamas = [v for k, v in results.items() if k[0] == "llama.cpp" and k[1] == m and k[2] == t]
            if not (ours or se or llamas):
                continue
            llama = max(llamas, key=lambda r: r["tps"]) if llamas else None
            lfa = f"{_fmt(llama)} (fa {llama['fa']})" if llama else "—"
            r = _ratio(ours, llama)
            s = _ratio(se, ours)
            sl = _ratio(se, llama)
            bound = bound_kv = "—"
            if t.startswith("tg") and bw and info and ours:
                per_token = info["weights_bytes_per_token"]
                n_gen = ours.get("n_gen") or int(t.split("@")[0][2:])
                context = ours.get("depth", 0) + n_gen / 2  # mean cached positions while the n tokens are generated
                kv = info["kv_bytes_per_position_f16"] * context
                bound = f"{100 * ours['tps'] / (bw * 1e9 / per_token):.0f}%"
                bound_kv = f"{100 * ours['tps'] / (bw * 1e9 / (per_token + kv)):.0f}%"
            f2 = lambda x: f"{x:.2f}" if x is not None else "—"
            p(f"| {m} | {t} | {lfa} | {_fmt(ours)} | {f2(r)} | {_fmt(se)} | {f2(s)} | {f2(sl)} | {bound} | {bound_kv} |")
            summary.append((m, t, ours, se, llama, r, s))
    p("")
    if bw:
        p(f"Bandwidth limit = measured device copy bandwidth {bw:.0f} GB/s (bytes read + written, "
          f"{(meta['bandwidth'] or {}).get('method', '')}; read-mostly sum {meta['bandwidth'].get('read_sum_GBps', 0):.0f} GB/s) "
          "/ bytes read per generated token: every weight matrix once (one embedding row unless the embedding is the tied "
          "output matrix), plus for the second figure the F16 KV cache at the mean depth of the test.")
        for m in models:
            info = meta["models"].get(m)
            if info:
                p(f"- {m}: {info['weights_bytes_per_token'] / 1e9:.2f} GB of weights per token -> limit "
                  f"{bw * 1e9 / info['weights_bytes_per_token']:.0f} t/s; KV {info['kv_bytes_per_position_f16'] / 1e3:.0f} kB per cached position")
    else:
        p("No bandwidth in prepare.json: the % columns are empty (run the prepare phase on the GPU machine).")
    p("")
    goals(summary, results, meta, p)
    p("")
    mach = meta["machine"] or {}
    llama_any = next((v for k, v in results.items() if k[0] == "llama.cpp"), None)
    ours_any = next((v for k, v in results.items() if k[0] == "longlm"), None)
    times = sorted(v["time"] for v in results.values() if v.get("time"))
    p(f"Machine: {mach.get('gpu', 'unknown GPU')}, CUDA (driver) {mach.get('cuda_driver', '?')}, {mach.get('cpus', '?')} CPUs "
      f"({mach.get('cpu', '?')}), {mach.get('memory_gib', '?')} GiB. Measured {times[0][:16]} – {times[-1][:16]} UTC." if times else
      f"Machine: {mach.get('gpu', 'unknown GPU')}.")
    if llama_any:
        p(f"llama.cpp: build {llama_any.get('build_commit')}, {llama_any.get('backends')}, e.g. `{llama_any['cmd']}`")
    if ours_any:
        p(f"longlm: {ours_any.get('backend')}, e.g. `{ours_any['cmd']}`")
    for c in meta["commands"]:
        p(f"- `{c}`")


def goals(summary, results, meta, p):
    """The issue's goals, checked against the table (✓ met, ✗ not met, ? not measured)."""
    lines = []
    get = lambda e, m, t, v: results.get((e, m, t, v))
    best_llama = lambda m, t: max((v for k, v in results.items() if k[0] == "llama.cpp" and k[1] == m and k[2] == t),
                                  key=lambda r: r["tps"], default=None)
    models = sorted({k[1] for k in results}, key=_model_order)
    for m in models:
        for t, need in (("tg128", 1.2), ("tg128@d32768", 1.2)):
            r = _ratio(get("longlm", m, t, "plain"), best_llama(m, t))
            lines.append(("✓" if r and r >= need else "✗" if r else "?", f"decoding {m} {t}: {r:.2f}× llama.cpp (goal ≥ {need})"
                          if r else f"decoding {m} {t}: not measured for both engines"))
        need = 0.9 if m.endswith("f16") else 0.8
        for t in ("pp512", "pp4096"):
            r = _ratio(get("longlm", m, t, "plain"), best_llama(m, t))
            lines.append(("✓" if r and r >= need else "✗" if r else "?", f"prefill {m} {t}: {r:.2f}× llama.cpp (goal ≥ {need})"
                          if r else f"prefill {m} {t}: not measured for both engines"))
        info = meta["models"].get(m)
        bw = (meta["bandwidth"] or {}).get("copy_GBps")
        ours = get("longlm", m, "tg128", "plain")
        if (m.endswith("f16") or m.endswith("q8_0")) and info and bw and ours:
            frac = ours["tps"] / (bw * 1e9 / info["weights_bytes_per_token"])
            lines.append(("✓" if frac >= 0.8 else "✗", f"decoding {m} tg128 at {100 * frac:.0f}% of the bandwidth limit (goal ≥ 80%)"))
        s = _ratio(get("longlm", m, "tg128@d32768", "se"), get("longlm", m, "tg128@d32768", "plain"))
        if s:
            lines.append(("✓" if s >= 0.95 else "✗", f"Self-Extend decoding {m} at 32768 cached: {s:.2f}× plain (goal ≥ 0.95)"))
        s = _ratio(get("longlm", m, "pp32768", "se"), get("longlm", m, "pp32768", "plain"))
        if s:
            lines.append(("✓" if s >= 0.85 else "✗", f"Self-Extend prefill {m} pp32768: {s:.2f}× plain (goal ≥ 0.85)"))
        r = get("longlm", m, "tg128@d131072", "se")
        if r:
            lines.append(("✓", f"Self-Extend {m} decodes at 131072 cached tokens: {_fmt(r)} t/s"))
    p("Goals (issue 13):")
    missing = [text.split(": not measured")[0] for mark, text in lines if mark == "?"]
    for mark, text in lines:
        if mark != "?":
            p(f"- {mark} {text}")
    if missing:
        p(f"- ? not measured for both engines: {', '.join(missing)}")


# ---------------------------------------------------------------------------------------------------

def selftest():
    """Parsers and table on made-up data (no GPU): a GGUF written here, fake tool outputs."""
    import tempfile
    d = tempfile.mkdtemp()
    path = os.path.join(d, "m.gguf")

    def s(x):
        b = x.encode()
        return struct.pack("<Q", len(b)) + b

    kv = [("general.architecture", 8, s("llama")), ("llama.block_count", 4, struct.pack("<I", 2)),
          ("llama.embedding_length", 4, struct.pack("<I", 64)), ("llama.attention.head_count", 4, struct.pack("<I", 4)),
          ("llama.attention.head_count_kv", 4, struct.pack("<I", 2)), ("llama.context_length", 4, struct.pack("<I", 256)),
          ("tokenizer.ggml.tokens", 9, struct.pack("<IQ", 8, 3) + s("a") + s("b") + s("c")),
          ("tokenizer.ggml.scores", 9, struct.pack("<IQ", 6, 3) + struct.pack("<3f", 0, 0, 0))]
    tensors = [("token_embd.weight", [64, 3], 1), ("output.weight", [64, 3], 8), ("blk.0.attn_q.weight", [64, 64], 8)]
    body = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(kv))
    for k, t, v in kv:
        body += s(k) + struct.pack("<I", t) + v
    offset, sizes = 0, []
    for name, dims, t in tensors:
        per, nb = GGML_BLOCKS[t]
        n = math.prod(dims) // per * nb
        body += s(name) + struct.pack("<I", len(dims)) + b"".join(struct.pack("<Q", x) for x in dims) + struct.pack("<IQ", t, offset)
        sizes.append(n)
        offset += (n + 31) // 32 * 32
    body += b"\0" * ((32 - len(body) % 32) % 32) + b"\1" * offset
    with open(path, "wb") as f:
        f.write(body)
    info = gguf_info(path)
    assert info["tensor_bytes"] == sum(sizes), info
    assert info["weights_bytes_per_token"] == sum(sizes) - sizes[0] + sizes[0] // 3, info
    assert (info["layers"], info["heads"], info["kv_heads"], info["head_dim"]) == (2, 4, 2, 16), info
    assert info["kv_bytes_per_position_f16"] == 2 * 2 * 2 * 16 * 2, info
    res = os.path.join(d, "res")

    class A:
        pass

    a = A()
    a.results, a.model, a.file, a.method, a.depth, a.wall, a.cmd = res, "8b-q4_k_m", path, "plain", 0, 1.0, "longlm bench"
    record_ours(a, 'WARNING x\n{"prompt_tokens_per_s": 9000.5, "prompt_tokens_per_s_sd": 10.0, "gen_tokens_per_s": 300.0, '
                   '"gen_tokens_per_s_sd": 1.0, "n_prompt": 512, "n_gen": 128, "repetitions": 3, "ctx_depth": 0, "method": "none"}')
    a.method = "se"
    record_ours(a, '{"gen_tokens_per_s": 290.0, "gen_tokens_per_s_sd": 1.0, "n_prompt": 0, "n_gen": 128, "repetitions": 3, "ctx_depth": 0}')
    a.cmd, a.first = "llama-bench", True
    record_llama(a, 'noise\n{"model_type": "llama 8B Q4_K - Medium", "model_size": 4900000000, "n_prompt": 512, "n_gen": 0, '
                    '"n_depth": 0, "flash_attn": 1, "avg_ts": 9418.0, "stddev_ts": 20.0, "samples_ts": [1, 2, 3]}\n'
                    '{"n_prompt": 0, "n_gen": 128, "n_depth": 0, "flash_attn": 1, "avg_ts": 269.0, "stddev_ts": 1.0}\n'
                    '{"n_prompt": 0, "n_gen": 128, "n_depth": 0, "flash_attn": 0, "avg_ts": 250.0, "stddev_ts": 1.0}')
    prepare = os.path.join(res, "prepare.json")
    store(prepare, "models", {"8b-q4_k_m": info})
    store(prepare, "bandwidth", {"copy_GBps": 4000.0, "read_sum_GBps": 4100.0, "method": "test"})
    store(prepare, "machine", {"gpu": "Test GPU"})
    with open(prepare) as f:
        assert set(json.load(f)) == {"models", "bandwidth", "machine"}
    a.tests = ["pp512", "tg128"]
    a.engine, a.variant = "longlm", "plain"
    loaded, _ = load_results([res])
    assert ("longlm", "8b-q4_k_m", "tg128", "se") in loaded and ("llama.cpp", "8b-q4_k_m", "tg128", "fa0") in loaded
    import io
    buf = io.StringIO()
    table([res], buf)
    text = buf.getvalue()
    row = next(l for l in text.splitlines() if l.startswith("| 8b-q4_k_m | tg128 |"))
    assert "269 ± 1 (fa 1)" in row and "| 1.12 |" in row and "| 0.97 |" in row, row
    expect = 100 * 300.0 / (4000e9 / info["weights_bytes_per_token"])
    assert f"| {expect:.0f}% |" in row, (row, expect)
    assert "✗ decoding 8b-q4_k_m tg128: 1.12× llama.cpp (goal ≥ 1.2)" in text, text
    assert "- ? not measured for both engines: decoding 8b-q4_k_m tg128@d32768, prefill 8b-q4_k_m pp4096" in text, text
    assert "✗ prefill 8b-q4_k_m pp512: 0.96× llama.cpp" not in text and "✓ prefill 8b-q4_k_m pp512: 0.96× llama.cpp (goal ≥ 0.8)" in text, text
    print(text)
    print("selftest: ok")


def store(path, key, value):
    """Sets (for "models": merges) `key` of the JSON object in `path`, via a temporary file and a rename."""
    data = {}
    if os.path.exists(path):
        with open(path) as f:
            data = json.load(f)
    if key == "models":
        data.setdefault("models", {}).update(value)
    else:
        data[key] = value
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w") as f:
        json.dump(data, f, indent=1)
    os.replace(tmp, path)


def _emit(a, key, value):
    if a.into:
        store(a.into, key, value)
        print(json.dumps(value)[:400] + (" ..." if len(json.dumps(value)) > 400 else ""))
    else:
        print(json.dumps(value, indent=1))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="action", required=True)
    g = sub.add_parser("gguf")
    g.add_argument("files", nargs="+")
    g.add_argument("--names", help="comma-separated model names the files are keyed by (default: the file names)")
    for name in ("bandwidth", "machine"):
        sub.add_parser(name).add_argument("--into")
    g.add_argument("--into")
    for name in ("record-ours", "record-llama"):
        r = sub.add_parser(name)
        r.add_argument("--results", required=True)
        r.add_argument("--model", required=True)
        r.add_argument("--file", default="")
        r.add_argument("--method", default="plain")
        r.add_argument("--depth", type=int, default=0)
        r.add_argument("--wall", type=float, default=0.0)
        r.add_argument("--cmd", default="")
        r.add_argument("--first", action="store_true", help="record-llama: also say that llama.cpp loaded the file")
    h = sub.add_parser("have")
    h.add_argument("--results", required=True)
    h.add_argument("engine")
    h.add_argument("model")
    h.add_argument("variant")
    h.add_argument("tests", nargs="+")
    t = sub.add_parser("table")
    t.add_argument("dirs", nargs="+")
    sub.add_parser("selftest")
    a = ap.parse_args()
    if a.action == "gguf":
        names = a.names.split(",") if a.names else [os.path.basename(f) for f in a.files]
        if len(names) != len(a.files):
            sys.exit("gguf: --names must name every file")
        _emit(a, "models", {n: gguf_info(f) for n, f in zip(names, a.files)})
    elif a.action == "bandwidth":
        _emit(a, "bandwidth", bandwidth())
    elif a.action == "machine":
        _emit(a, "machine", machine())
    elif a.action == "record-ours":
        record_ours(a, sys.stdin.read())
    elif a.action == "record-llama":
        record_llama(a, sys.stdin.read())
    elif a.action == "have":
        have(a)
    elif a.action == "table":
        table(a.dirs)
    elif a.action == "selftest":
        selftest()


if __name__ == "__main__":
    main()
