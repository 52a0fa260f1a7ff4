#!/usr/bin/env python3
"""Attention alone on one GPU, Llama-3-8B head shape (32 query heads, 8 KV heads, head dim 128), Self-Extend G 8, W 1024:
our fused kernels (plain and Self-Extend, F16 cache) beside PyTorch SDPA flash attention (plain, bf16), the Self-Extend
authors' Triton kernel and (at 4096) their eager two-matrix version; prefill (all N queries) and decoding (one query
against N cached keys: split-KV + combine); N = 4096, 16384, 32768. Times in ms (triton.testing.do_bench, median).

    python3 tools/attn_bench.py               # on the GPU machine (torch, triton, cupy; no Java): ~2-4 minutes
    python3 tools/attn_bench.py --dry-run     # anywhere (no GPU, no torch): the plan, kernels, grids, shared memory,
                                              # splits, memory, and the --self-test below
    python3 tools/attn_bench.py --self-test   # anywhere (numpy): the buffers we hand our kernels, fed to a direct
                                              # implementation of their contract, give the seed's eager Self-Extend
    options: --lengths 4096,16384,32768  --eager-max 4096  --modes prefill,decode  --compile auto|nvrtc|nvcc|rawmodule  --out DIR

Prints one JSON line per (N, mode) as it is measured: ms of every implementation, ratios, TFLOPS (prefill) or GB/s of
K/V read (decoding), our kernels' launch (name, grid, shared memory, splits) and the checks: max abs error and relative
RMS error of ours against SDPA's output (plain), against the seed's eager reference (Self-Extend, N <= --eager-max) and
against an F32 reference (prefill at N <= --eager-max; decoding at every N). Then one markdown table and the issue's
two attention goals. With $OUT (or --out) set, attn.jsonl and attn.md are written there too. Exit status 1 when a
check fails (a fast wrong kernel must not pass), 2 on bad usage.

Our kernels are called exactly as the Java backend calls them (longlm4j-cuda/src/main/java/dev/longlm/backend/cuda/CudaKernels.java,
AttentionLaunch.java, and the contract longlm4j-cuda/src/main/resources/dev/longlm/backend/cuda/kernels/README.md): the files of
kernels.list concatenated in order into one unit, compiled by NVRTC with `--gpu-architecture=sm_XY --std=c++17` only
(through CuPy's NVRTC binding; nvcc -cubin with the same options if that binding cannot be loaded; `--compile
rawmodule` uses cupy.RawModule(code=..., options=('-std=c++17',)) instead, which also passes -ftz=true, an option the
contract forbids), launched through CuPy with the contract's grid, block,
dynamic shared memory (CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES set above 48 KB) and split-KV rule, on
torch's stream.

Copied from ../shared/anchors/seed-selfextend/attn_bench.py (the Self-Extend authors' benchmark setup around their
Triton kernel; MIT License, Copyright (c) 2024 Data Analytics Lab at Rice University, tools/LICENSE-seed-selfextend):
the shape constants, `rope`, the query/key construction (true and grouped positions), the SDPA, Triton and eager
calls and the FLOP count. Changed: our kernels added (plain, Self-Extend; prefill and decoding), decoding rows added
for every implementation, SDPA's flash backend forced for the flash row (the default backend's row kept), do_bench
with return_mode="median" and longer windows, the eager version timed only up to --eager-max (default 4096; the
seed went to 16384) and used as the reference of the checks, errors and checks added, the code arranged in functions
with a dry run and a CPU self-test, a final table. tools/selfextend_flash_attn_triton.py is the authors' kernel,
copied unchanged.
"""
import argparse
import json
import math
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KERNELS = os.path.join(ROOT, "longlm4j-cuda", "src", "main", "resources", "dev", "longlm", "backend", "cuda", "kernels")
H, KV, D = 32, 8, 128
G, W = 8, 1024
INT_MAX = 2147483647
# Checks: relative RMS error ||ours - ref|| / ||ref|| and max abs error. Ours rounds queries and probabilities to
# f16 (~1e-3 relative); a kernel that gets positions, windows or keys wrong is off by ~1 (see se_vs_plain_rel).
TOL_REL = 2e-2
TOL_ABS = 5e-2


# ---------------------------------------------------------------------------------------------------------------
# Our kernels: the source unit and the launch contract (kernels/README.md, AttentionLaunch.java).

def kernel_source():
    """kernels.list's files in order, as CudaKernels.source() concatenates them."""
    with open(os.path.join(KERNELS, "kernels.list"), encoding="utf-8") as f:
        names = [l.strip() for l in f.read().split("\n")]
    parts = []
    for name in names:
        if not name or name.startswith("#"):
            continue
        with open(os.path.join(KERNELS, name), encoding="utf-8") as f:
            parts.append("// ---- " + name + " ----\n" + f.read() + "\n")
    return "".join(parts)


MMA_HEAD_SIZES = (16, 32, 64, 80, 96, 128, 256)
DECODE_ROWS = 16
MAX_SPLITS = 256


def launch_shape(head_dim, rows, max_shared):
    """AttentionLaunch.shape for an F16 cache: (kernel, rows per block, threads, key tile, dynamic shared bytes)."""
    if head_dim not in MMA_HEAD_SIZES:
        raise ValueError(f"head size {head_dim}: only the tensor-core kernels are benchmarked here")
    decode = rows <= DECODE_ROWS
    block_rows = 16 if decode else 64
    key_tile = 32 if decode or head_dim == 256 else 64
    row = head_dim + 8
    smem = 2 * (5 * key_tile * row + (2 * block_rows * row if head_dim > 128 else 0))
    if smem > max_shared:
        raise ValueError(f"{smem} bytes of shared memory exceed the device's {max_shared}")
    name = ("attention_mma_decode_f16_hd" if decode else "attention_mma_f16_hd") + str(head_dim)
    return name, block_rows, 32 if decode else 128, key_tile, smem


def split_count(blocks_without_split, keys, key_tile, sms):
    """AttentionLaunch.splits: about four blocks per multiprocessor, at most one split per key tile, at most 256."""
    wanted = -(-4 * sms // blocks_without_split)
    most = min(-(-keys // key_tile), MAX_SPLITS)
    return max(1, min(wanted, most))


def plan(n, start, heads, kv_heads, head_dim, sms, max_shared):
    """Grid, block, shared memory, splits and workspace floats of one attention call."""
    rows = n * (heads // kv_heads)
    name, block_rows, threads, key_tile, smem = launch_shape(head_dim, rows, max_shared)
    grid_x = -(-rows // block_rows)
    splits = split_count(grid_x * kv_heads, start + n, key_tile, sms)
    return {"kernel": name, "grid": [grid_x, splits, kv_heads], "block": threads, "shared_bytes": smem, "splits": splits,
            "key_tile": key_tile, "workspace_floats": splits * n * heads * (head_dim + 2) if splits > 1 else 0}


# ---------------------------------------------------------------------------------------------------------------
# The buffers our kernels read, from the seed's tensors; written once for torch and numpy (the self-test).

class TorchOps:
    def __init__(self, torch):
        self.t = torch

    def f32(self, x):
        return x.float().contiguous()

    def f16(self, x):
        return x.half().contiguous()

    def zeros_f16(self, shape, like):
        return self.t.zeros(shape, dtype=self.t.float16, device=like.device)

    def arange(self, a, b, like):
        return self.t.arange(a, b, device=like.device, dtype=self.t.long)


class NumpyOps:
    def __init__(self, np):
        self.np = np

    def f32(self, x):
        return self.np.ascontiguousarray(x, dtype=self.np.float32)

    def f16(self, x):
        return self.np.ascontiguousarray(x, dtype=self.np.float16)

    def zeros_f16(self, shape, like):
        return self.np.zeros(shape, dtype=self.np.float16)

    def arange(self, a, b, like):
        return self.np.arange(a, b)


def our_inputs(ops, qn, kn, qg, kg, v, mode, window):
    """What one attention call of the engine sees, from [1, heads, N, D] true (qn, kn) and grouped (qg, kg) tensors.

    prefill: the N queries of one call starting at 0 (start 0, n N); decode: the query at N-1 (start N-1, n 1) after
    N-1 cached tokens. The cache holds every key at its scheme position (true for plain, grouped j/G for Self-Extend,
    this call's keys included); Self-Extend's near keys are the true-position keys: this call's as F32 `batchKeys`,
    older ones from the ring (slot j % W holds key j for the W-1 positions before `start`), as the engine's
    store_kv / attention / store_ring flow (kernels/README.md) leaves them.
    """
    n_all = qn.shape[2]
    start, n = (0, n_all) if mode == "prefill" else (n_all - 1, 1)
    q0 = ops.f32(qn[0].swapaxes(0, 1)[start:n_all])  # [n, heads, D]
    q1 = ops.f32(qg[0].swapaxes(0, 1)[start:n_all]) if window else q0
    keys = ops.f16((kg if window else kn)[0])  # [kv, capacity, D]
    values = ops.f16(v[0])
    batch_keys = ops.f32(kn[0].swapaxes(0, 1)[start:n_all])  # [n, kv, D]
    slots = window if window else 1
    ring = ops.zeros_f16((kn.shape[1], slots, kn.shape[3]), keys)
    if window and start > 0:
        js = ops.arange(max(0, start - window + 1), start, keys)
        ring[:, js % window] = ops.f16(kn[0][:, js])
    return {"q0": q0, "q1": q1, "K": keys, "V": values, "capacity": n_all, "ring": ring, "ring_slots": slots,
            "batch_keys": batch_keys, "n": n, "start": start, "window": window}


def contract_attention(np, b, heads, kv_heads, scale):
    """kernels/README.md's semantics, directly (float64), on the buffers of `our_inputs`: the self-test's model of our kernels."""
    q0, q1, K, V = (np.asarray(b[k], dtype=np.float64) for k in ("q0", "q1", "K", "V"))
    ring, bk = np.asarray(b["ring"], dtype=np.float64), np.asarray(np.asarray(b["batch_keys"], dtype=np.float16), dtype=np.float64)
    n, start, window, slots = b["n"], b["start"], b["window"], b["ring_slots"]
    group = heads // kv_heads
    out = np.zeros(q0.shape)
    for i in range(n):
        p = start + i
        first = 0
        first_near = first if window == 0 else max(first, p - window + 1)
        far_end = first if window == 0 else min(first_near, INT_MAX)
        for h in range(heads):
            g = h // group
            far = K[g, first:far_end] @ q1[i, h] if far_end > first else np.zeros(0)
            near_j = np.arange(first_near, p + 1)
            if window > 0:
                near_keys = np.stack([bk[j - start, g] if j >= start else ring[g, j % slots] for j in near_j])
            else:
                near_keys = K[g, first_near:p + 1]
            near = near_keys @ q0[i, h]
            s = np.concatenate([far, near]) * scale
            w = np.exp(s - s.max())
            w /= w.sum()
            out[i, h] = w @ V[g, first:p + 1]
    return out


def eager_reference(xp, qn, kn_r, qg, kg_r, v_r, window, rows=None, exact=True):
    """The seed's eager Self-Extend (two score matrices merged by distance, causal softmax), for torch or numpy.

    exact=False is the seed's own arithmetic (bf16 inputs, F32 scores, probabilities rounded to v's dtype);
    exact=True keeps everything in F32 (torch) or float64 (numpy). rows: the query positions (default all).
    window >= N gives plain attention. Returns [1, heads, len(rows), D].
    """
    n_all = qn.shape[2]
    is_torch = xp.__name__ == "torch"
    rows = list(range(n_all)) if rows is None else rows
    r0, r1 = rows[0], rows[-1] + 1
    heads = qn.shape[1]
    d = qn.shape[3]
    if is_torch:
        out = xp.empty((1, heads, r1 - r0, d), dtype=xp.float32 if exact else v_r.dtype, device=qn.device)
        i = xp.arange(r0, r1, device=qn.device)[:, None]
        j = xp.arange(n_all, device=qn.device)[None, :]
        cast = lambda t: t.float()
    else:
        out = xp.empty((1, heads, r1 - r0, d))
        i = xp.arange(r0, r1)[:, None]
        j = xp.arange(n_all)[None, :]
        cast = lambda t: t.astype(xp.float64)
    for h in range(0, heads, 8):  # head chunks keep the two score matrices small
        sl = slice(h, h + 8)
        s1 = cast(qn[:, sl, r0:r1]) @ cast(kn_r[:, sl]).swapaxes(-1, -2)
        s2 = cast(qg[:, sl, r0:r1]) @ cast(kg_r[:, sl]).swapaxes(-1, -2)
        s = xp.where(i - j < window, s1, s2) / math.sqrt(d)
        if is_torch:
            s = s.masked_fill(j > i, float("-inf"))
            p = xp.softmax(s, -1)
            out[:, sl] = p @ v_r[:, sl].float() if exact else p.to(v_r.dtype) @ v_r[:, sl]
        else:
            s = xp.where(j > i, -xp.inf, s)
            p = xp.exp(s - s.max(-1, keepdims=True))
            p /= p.sum(-1, keepdims=True)
            out[:, sl] = p @ cast(v_r[:, sl])
        del s1, s2, s
    return out


def errors(xp, ours, ref):
    """(max abs error, relative RMS error) of ours [n, heads, D] against ref [1, heads, n, D]."""
    r = ref[0].swapaxes(0, 1)
    if hasattr(r, "float"):
        r, o = r.float(), ours.float()
        diff = o - r
        return float(diff.abs().max()), float(diff.norm() / r.norm())
    diff = ours - r
    return float(abs(diff).max()), float(xp.linalg.norm(diff) / xp.linalg.norm(r))


def rope(xp, x, pos, base=500000.0):
    """The seed's rope (rotate-half), for torch or numpy."""
    half = x.shape[-1] // 2
    if xp.__name__ == "torch":
        inv = 1.0 / (base ** (xp.arange(0, half, device=x.device, dtype=xp.float32) / half))
        ang = pos[:, None].float() * inv[None, :]
        cos, sin = xp.cos(ang).to(x.dtype), xp.sin(ang).to(x.dtype)
        x1, x2 = x[..., :half], x[..., half:]
        return xp.cat([x1 * cos - x2 * sin, x1 * sin + x2 * cos], -1)
    inv = 1.0 / (base ** (xp.arange(0, half) / half))
    ang = pos[:, None] * inv[None, :]
    cos, sin = xp.cos(ang), xp.sin(ang)
    x1, x2 = x[..., :half], x[..., half:]
    return xp.concatenate([x1 * cos - x2 * sin, x1 * sin + x2 * cos], -1)


# ---------------------------------------------------------------------------------------------------------------
# Self-test (numpy, no GPU): our_inputs + the contract == the seed's eager Self-Extend; a broken buffer is caught.

def self_test():
    import numpy as np
    rng = np.random.default_rng(0)
    heads, kv, d, g, w, n_all = 4, 2, 16, 4, 64, 300
    f16 = lambda a: a.astype(np.float16).astype(np.float64)  # inputs exactly representable in our F16 cache
    q = f16(rng.standard_normal((1, heads, n_all, d)))
    k = f16(rng.standard_normal((1, kv, n_all, d)))
    v = f16(rng.standard_normal((1, kv, n_all, d)))
    pos = np.arange(n_all)
    qn, kn = f16(rope(np, q, pos)), f16(rope(np, k, pos))
    qg, kg = f16(rope(np, q, pos // g + w - w // g)), f16(rope(np, k, pos // g))
    rep = lambda t: np.repeat(t, heads // kv, axis=1)
    scale = 1 / math.sqrt(d)
    ops = NumpyOps(np)
    failures = []

    def check(name, ours, ref, tol=1e-5, expect_fail=False):
        mx, rel = errors(np, ours, ref)
        bad = rel > tol
        ok = bad if expect_fail else not bad
        print(f"  self-test {name}: max abs {mx:.2e}, rel {rel:.2e} ({'differs, as it must' if expect_fail and ok else 'ok' if ok else 'FAILED'})")
        if not ok:
            failures.append(name)

    for mode in ("prefill", "decode"):
        rows = list(range(n_all)) if mode == "prefill" else [n_all - 1]
        ref_se = eager_reference(np, qn, rep(kn), qg, rep(kg), rep(v), w, rows)
        ref_plain = eager_reference(np, qn, rep(kn), qg, rep(kg), rep(v), n_all + 1, rows)
        b = our_inputs(ops, qn, kn, qg, kg, v, mode, w)
        check(f"{mode} Self-Extend", contract_attention(np, b, heads, kv, scale), ref_se)
        check(f"{mode} plain", contract_attention(np, our_inputs(ops, qn, kn, qg, kg, v, mode, 0), heads, kv, scale), ref_plain)
        check(f"{mode} Self-Extend against plain", contract_attention(np, b, heads, kv, scale), ref_plain, tol=TOL_REL, expect_fail=True)
        if mode == "decode":
            broken = dict(b, ring=np.roll(b["ring"], 1, axis=1))  # ring slots off by one
            check("decode with a shifted ring", contract_attention(np, broken, heads, kv, scale), ref_se, tol=TOL_REL, expect_fail=True)
    # the launch rule against the README's numbers
    assert launch_shape(128, 4 * 4096, 232448)[4] == 87040 and launch_shape(128, 4, 232448)[4] == 43520
    assert plan(1, 32767, H, KV, D, 132, 232448)["splits"] == 66 and plan(32768, 0, H, KV, D, 132, 232448)["splits"] == 1
    if failures:
        print(f"self-test: FAILED ({', '.join(failures)})")
        return False
    print("self-test: ok")
    return True


# ---------------------------------------------------------------------------------------------------------------
# The GPU run.

def compile_ours(how):
    """Loads our kernels: NVRTC exactly as the Java backend ("nvrtc"), nvcc -cubin ("nvcc"), cupy.RawModule
    ("rawmodule"), or "auto": NVRTC, and nvcc when CuPy's NVRTC binding cannot be used (not on a compile error)."""
    import cupy
    import torch
    source = kernel_source()
    major, minor = torch.cuda.get_device_capability()
    t0 = time.time()
    if how == "auto":
        try:
            from cupy.cuda import nvrtc
            nvrtc.getVersion()
            how = "nvrtc"
        except Exception as e:  # noqa: BLE001 - no usable NVRTC through CuPy: nvcc makes the same CUBIN
            print(f"CuPy's NVRTC is not usable ({type(e).__name__}: {e}); compiling with nvcc", flush=True)
            how = "nvcc"
    if how == "nvcc":
        import subprocess
        import tempfile
        with tempfile.TemporaryDirectory() as d:
            cu, cubin = os.path.join(d, "longlm-kernels.cu"), os.path.join(d, "longlm-kernels.cubin")
            with open(cu, "w", encoding="utf-8") as f:
                f.write(source)
            cmd = [os.environ.get("NVCC", "nvcc"), "-cubin", f"-arch=sm_{major}{minor}", "-std=c++17", "-o", cubin, cu]
            r = subprocess.run(cmd, capture_output=True, text=True)
            if r.returncode != 0:
                raise RuntimeError(f"{' '.join(cmd)} failed:\n{r.stderr[-4000:]}")
            with open(cubin, "rb") as f:
                image = f.read()
        module = cupy.cuda.function.Module()
        module.load(image)
        info = f"nvcc -cubin -arch=sm_{major}{minor} -std=c++17"
        print(f"our kernels: {info}, compiled and loaded in {time.time() - t0:.1f} s", flush=True)
        return module.get_function, info
    if how == "rawmodule":
        module = cupy.RawModule(code=source, options=("-std=c++17",))
        module.compile()
        get = module.get_function
        info = "cupy.RawModule(options=('-std=c++17',)) (CuPy adds -arch and -ftz=true)"
    else:
        from cupy.cuda import nvrtc
        arch = major * 10 + minor
        supported = nvrtc.getSupportedArchs()
        cubin = arch in supported
        target = arch if cubin else max(a for a in supported if a <= arch)
        options = [f"--gpu-architecture={'sm' if cubin else 'compute'}_{target}", "--std=c++17"]
        prog = nvrtc.createProgram(source, "longlm-kernels.cu", (), ())
        try:
            try:
                nvrtc.compileProgram(prog, options)
            except nvrtc.NVRTCError as e:
                raise RuntimeError(f"NVRTC {' '.join(options)} failed: {e}\n{nvrtc.getProgramLog(prog)}") from e
            image = nvrtc.getCUBIN(prog) if cubin else nvrtc.getPTX(prog) + b"\0"
        finally:
            nvrtc.destroyProgram(prog)
        module = cupy.cuda.function.Module()
        module.load(image)
        get = module.get_function
        info = f"NVRTC {nvrtc.getVersion()} {' '.join(options)}"
    print(f"our kernels: {info}, compiled and loaded in {time.time() - t0:.1f} s", flush=True)
    return get, info


class Ours:
    """One attention call of the engine on given buffers, launched as AttentionLaunch does."""

    def __init__(self, get, torch, cupy, b, heads, kv_heads, head_dim, sms, max_shared):
        import numpy as np
        self.torch, self.cupy = torch, cupy
        self.plan = plan(b["n"], b["start"], heads, kv_heads, head_dim, sms, max_shared)
        self.b = b
        self.out = torch.empty((b["n"], heads, head_dim), dtype=torch.float32, device="cuda")
        ws = self.plan["workspace_floats"]
        self.workspace = torch.empty(max(ws, 1), dtype=torch.float32, device="cuda") if ws else None
        self.func = get(self.plan["kernel"])
        if self.plan["shared_bytes"] > 48 * 1024:
            if hasattr(self.func, "max_dynamic_shared_size_bytes"):  # cupy.RawKernel
                self.func.max_dynamic_shared_size_bytes = self.plan["shared_bytes"]
            else:  # cupy.cuda.Function: the driver attribute itself
                from cupy_backends.cuda.api import driver
                attr = getattr(driver, "CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES", 8)
                driver.funcSetAttribute(self.func.ptr, attr, self.plan["shared_bytes"])
        ptr = lambda t: np.uint64(t.data_ptr() if t is not None else 0)
        i32 = np.int32
        window = b["window"]
        # kernels/README.md's parameter list; q2 (successive-chunk queries) is read only under chunks (chunk = 0 here)
        self.args = (ptr(b["q0"]), ptr(b["q1"]), ptr(b["q0"]), ptr(b["K"]), ptr(b["V"]), np.int64(b["capacity"]),
                     ptr(b["ring"]), i32(b["ring_slots"]), ptr(b["batch_keys"]), ptr(self.out), ptr(self.workspace),
                     i32(b["n"]), i32(b["start"]), i32(heads), i32(kv_heads), i32(head_dim), i32(window), i32(INT_MAX),
                     i32(1 if window else 0), i32(0), i32(INT_MAX), np.float32(1 / math.sqrt(head_dim)), np.float32(0),
                     i32(self.plan["splits"]))
        self.stream = cupy.cuda.ExternalStream(torch.cuda.current_stream().cuda_stream)
        self.grid = tuple(self.plan["grid"])
        self.block = (self.plan["block"], 1, 1)
        if self.workspace is not None:
            self.combine = get("attention_combine")
            self.combine_args = (ptr(self.workspace), ptr(self.out), i32(b["n"]), i32(heads), i32(head_dim), i32(self.plan["splits"]))
            self.combine_grid = (b["n"] * heads, 1, 1)

    def __call__(self):
        self.func(self.grid, self.block, self.args, shared_mem=self.plan["shared_bytes"], stream=self.stream)
        if self.workspace is not None:
            self.combine(self.combine_grid, (128, 1, 1), self.combine_args, stream=self.stream)
        return self.out


def bench(triton, fn, long=False):
    return triton.testing.do_bench(fn, warmup=100 if long else 25, rep=500 if long else 200, return_mode="median")


def attempt(row, key, f):
    """row[key] = f(), or the error as text (the run goes on)."""
    try:
        row[key] = f()
    except Exception as e:  # noqa: BLE001 - any failure of one implementation is recorded, not fatal
        row[key] = f"error: {type(e).__name__}: {str(e)[:300]}"
        print(f"  {key}: {row[key]}", file=sys.stderr, flush=True)
    return row[key]


def run_gpu(args):
    import numpy as np
    import torch
    import triton
    import cupy
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from selfextend_flash_attn_triton import _self_extend_flash_forward_triton as seed_triton
    from torch.nn.attention import SDPBackend, sdpa_kernel
    F = torch.nn.functional
    torch.manual_seed(0)
    cupy.cuda.Device(torch.cuda.current_device()).use()
    cupy.zeros(1)  # the runtime's context, which torch made current, before the module is loaded
    props = torch.cuda.get_device_properties(0)
    sms = props.multi_processor_count
    max_shared = cupy.cuda.Device().attributes.get("MaxSharedMemoryPerBlockOptin", 232448)
    get, compile_info = compile_ours(args.compile)
    machine = {"gpu": torch.cuda.get_device_name(0), "sms": sms, "torch": torch.__version__, "triton": triton.__version__,
               "cupy": cupy.__version__, "ours": compile_info, "date_utc": time.strftime("%Y-%m-%d %H:%M", time.gmtime())}
    print(json.dumps(machine), flush=True)
    rows, failed = [], []
    rep = lambda t: t.repeat_interleave(H // KV, dim=1).contiguous()
    scale = 1 / math.sqrt(D)
    for N in args.lengths:
        q = torch.randn(1, H, N, D, device="cuda", dtype=torch.bfloat16)
        k = torch.randn(1, KV, N, D, device="cuda", dtype=torch.bfloat16)
        v = torch.randn(1, KV, N, D, device="cuda", dtype=torch.bfloat16)
        pos = torch.arange(N, device="cuda")
        qn, kn = rope(torch, q, pos), rope(torch, k, pos)
        gq_pos = pos // G + W - W // G
        qg, kg = rope(torch, q, gq_pos), rope(torch, k, pos // G)
        kn_r, kg_r, v_r = rep(kn), rep(kg), rep(v)
        ops = TorchOps(torch)
        for mode in args.modes:
            row = {"N": N, "mode": mode}
            decode = mode == "decode"
            long = not decode
            sl = slice(N - 1, N) if decode else slice(0, N)
            q_t, qg_t = qn[:, :, sl].contiguous(), qg[:, :, sl].contiguous()
            # PyTorch SDPA, plain: flash backend forced (with the KV heads repeated if it refuses enable_gqa); the default backend too
            def sdpa():
                return F.scaled_dot_product_attention(q_t, kn, v, is_causal=not decode, enable_gqa=True)

            def sdpa_flash():
                with sdpa_kernel([SDPBackend.FLASH_ATTENTION]):
                    return sdpa()

            try:
                sdpa_flash()
            except Exception as e:  # noqa: BLE001
                row["sdpa_flash_note"] = f"enable_gqa refused ({type(e).__name__}): KV heads repeated to {H}"

                def sdpa_flash():
                    with sdpa_kernel([SDPBackend.FLASH_ATTENTION]):
                        return F.scaled_dot_product_attention(q_t, kn_r, v_r, is_causal=not decode)

            attempt(row, "sdpa_flash_ms", lambda: bench(triton, sdpa_flash, long))
            attempt(row, "sdpa_default_ms", lambda: bench(triton, sdpa, long))
            sdpa_out = None
            try:
                sdpa_out = sdpa_flash()
            except Exception:  # noqa: BLE001 - the flash backend may refuse; the default one is the reference then
                sdpa_out = sdpa()
            # the authors' Triton Self-Extend
            attempt(row, "seed_triton_se_ms", lambda: bench(triton, lambda: seed_triton(q_t, kn_r, qg_t, kg_r, v_r, not decode, scale, W), long))
            # ours, plain and Self-Extend
            ours = {}
            for name, window in (("plain", 0), ("se", W)):
                try:
                    b = our_inputs(ops, qn, kn, qg, kg, v, mode, window)
                    call = Ours(get, torch, cupy, b, H, KV, D, sms, max_shared)
                    call()
                    torch.cuda.synchronize()
                    ours[name] = call
                    row[f"ours_{name}_launch"] = call.plan
                    attempt(row, f"ours_{name}_ms", lambda: bench(triton, call, long))
                except Exception as e:  # noqa: BLE001
                    row[f"ours_{name}_ms"] = f"error: {type(e).__name__}: {str(e)[:300]}"
                    print(f"  ours {name} {mode} N={N}: {row[f'ours_{name}_ms']}", file=sys.stderr, flush=True)
            # checks
            checks = {}
            rows_idx = list(range(N - 1, N)) if decode else None
            if "plain" in ours and sdpa_out is not None:
                checks["ours_plain_vs_sdpa"] = errors(torch, ours["plain"].out, sdpa_out)
            if decode or N <= args.eager_max:
                ref_plain = eager_reference(torch, qn, kn_r, qg, kg_r, v_r, N + 1, rows_idx)
                ref_se = eager_reference(torch, qn, kn_r, qg, kg_r, v_r, W, rows_idx)
                if "plain" in ours:
                    checks["ours_plain_vs_f32"] = errors(torch, ours["plain"].out, ref_plain)
                if "se" in ours:
                    checks["ours_se_vs_f32"] = errors(torch, ours["se"].out, ref_se)
                    checks["ours_se_vs_plain_f32"] = errors(torch, ours["se"].out, ref_plain)  # must be far off
                if sdpa_out is not None:
                    checks["sdpa_vs_f32"] = errors(torch, sdpa_out[0].swapaxes(0, 1).float(), ref_plain)
                try:
                    t_out = seed_triton(q_t, kn_r, qg_t, kg_r, v_r, not decode, scale, W)
                    checks["seed_triton_vs_f32"] = errors(torch, t_out[0].swapaxes(0, 1).float(), ref_se)
                except Exception:  # noqa: BLE001 - its error is already in the row
                    pass
                del ref_plain, ref_se
            if not decode and N <= args.eager_max:
                def eager():
                    return eager_reference(torch, qn, kn_r, qg, kg_r, v_r, W, exact=False)
                torch.cuda.reset_peak_memory_stats()
                attempt(row, "seed_eager_se_ms", lambda: triton.testing.do_bench(eager, warmup=2, rep=5, return_mode="median"))
                row["seed_eager_peak_gb"] = torch.cuda.max_memory_allocated() / 1e9
                if "se" in ours:
                    checks["ours_se_vs_seed_eager"] = errors(torch, ours["se"].out, eager())
            for key, (mx, rel) in checks.items():
                row[f"{key}_maxabs"], row[f"{key}_rel"] = mx, rel
                if key.startswith("ours_") and key != "ours_se_vs_plain_f32" and (rel > TOL_REL or mx > TOL_ABS):
                    failed.append(f"N={N} {mode} {key}: max abs {mx:.3g}, rel {rel:.3g} (tolerance {TOL_ABS}, {TOL_REL})")
            if "ours_se_vs_plain_f32" in checks and "ours_se_vs_f32" in checks:
                # the check's power: ours must be much nearer to the Self-Extend reference than to plain attention
                apart, err = checks["ours_se_vs_plain_f32"][1], checks["ours_se_vs_f32"][1]
                if err <= TOL_REL and (apart < 5 * err or apart <= TOL_REL):
                    failed.append(f"N={N} {mode}: our Self-Extend is {apart:.3g} from plain attention and {err:.3g} from the "
                                  "Self-Extend reference: the check cannot tell them apart (use a larger N)")
            for name in ("plain", "se"):
                if isinstance(row.get(f"ours_{name}_ms"), str):
                    failed.append(f"N={N} {mode} ours {name}: {row[f'ours_{name}_ms']}")
            ms = lambda key: row.get(key) if isinstance(row.get(key), float) else None
            if decode:
                kv_bytes = 2 * KV * N * D * 2  # K and V, 2-byte elements (our F16, SDPA's bf16)
                for key in ("sdpa_flash_ms", "ours_plain_ms", "ours_se_ms"):
                    if ms(key):
                        row[key.replace("_ms", "_GBps")] = kv_bytes / (ms(key) * 1e-3) / 1e9
            else:
                flops = 4 * N * N / 2 * D * H
                for key in ("sdpa_flash_ms", "ours_plain_ms", "ours_se_ms", "seed_triton_se_ms"):
                    if ms(key):
                        row[key.replace("_ms", "_tflops")] = flops / ms(key) / 1e9
            for a, b_ in (("ours_plain_ms", "sdpa_flash_ms"), ("seed_triton_se_ms", "ours_se_ms"), ("ours_se_ms", "ours_plain_ms")):
                if ms(a) and ms(b_):
                    row[f"{a[:-3]}/{b_[:-3]}"] = ms(a) / ms(b_)
            print(json.dumps(row), flush=True)
            rows.append(row)
            ours.clear()
            torch.cuda.empty_cache()
        del q, k, v, qn, kn, qg, kg, kn_r, kg_r, v_r
        torch.cuda.empty_cache()
    return machine, rows, failed


def table(machine, rows, failed):
    f = lambda x: f"{x:.3f}" if isinstance(x, float) and x < 1 else f"{x:.2f}" if isinstance(x, float) else "—" if x is None else "err"
    r2 = lambda x: f"{x:.2f}" if isinstance(x, float) else "—"
    lines = ["| N | mode | SDPA flash (plain) ms | ours plain ms | ours plain / flash | authors' Triton SE ms | ours SE ms "
             "| Triton SE / ours SE | ours SE / ours plain | ours plain, SE: rel error (vs) |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if r["mode"] == "prefill":
            errs = f"{r2_e(r, 'ours_plain_vs_sdpa')} (SDPA), {r2_e(r, 'ours_se_vs_seed_eager')} (seed eager)"
        else:
            errs = f"{r2_e(r, 'ours_plain_vs_f32')}, {r2_e(r, 'ours_se_vs_f32')} (F32)"
        lines.append(f"| {r['N']} | {r['mode']} | {f(r.get('sdpa_flash_ms'))} | {f(r.get('ours_plain_ms'))} | {r2(r.get('ours_plain/sdpa_flash'))} "
                     f"| {f(r.get('seed_triton_se_ms'))} | {f(r.get('ours_se_ms'))} | {r2(r.get('seed_triton_se/ours_se'))} "
                     f"| {r2(r.get('ours_se/ours_plain'))} | {errs} |")
    lines.append("")
    at = {(r["N"], r["mode"]): r for r in rows}
    big = max((r["N"] for r in rows), default=0)
    pre = at.get((big, "prefill"), {})
    if pre:
        s = pre.get("seed_triton_se/ours_se")
        p = pre.get("ours_plain/sdpa_flash")
        lines.append(f"- {'✓' if isinstance(s, float) and s >= 2 else '✗' if isinstance(s, float) else '?'} our Self-Extend prefill "
                     f"attention at {big}: {r2(s)}× faster than the authors' Triton kernel (goal ≥ 2)")
        lines.append(f"- {'✓' if isinstance(p, float) and p <= 1.3 else '✗' if isinstance(p, float) else '?'} our plain prefill attention "
                     f"at {big}: {r2(p)}× PyTorch flash attention's time (goal ≤ 1.3)")
    lines.append(f"- checks: {'all passed' if not failed else 'FAILED: ' + '; '.join(failed)}")
    lines.append("")
    lines.append(f"{machine.get('gpu')}, {machine.get('sms')} SMs; torch {machine.get('torch')}, triton {machine.get('triton')}, "
                 f"cupy {machine.get('cupy')}; ours: {machine.get('ours')}; {machine.get('date_utc')} UTC; `python3 tools/attn_bench.py`. "
                 f"Shape: {H} query heads, {KV} KV heads, head dim {D}; Self-Extend G {G}, W {W}; SDPA and Triton bf16, ours F16 "
                 "cache and F32 queries/outputs; decoding = the query at N-1 against N keys. do_bench median, L2 flushed per call.")
    return "\n".join(lines)


def r2_e(r, key):
    rel = r.get(f"{key}_rel")
    return f"{rel:.1e}" if isinstance(rel, float) else "—"


def dry_run(args):
    source = kernel_source()
    names = ["attention_mma_f16_hd128", "attention_mma_decode_f16_hd128", "attention_combine"]
    print(f"our kernels: {len(source):,} characters from {KERNELS}/kernels.list; NVRTC options "
          f"--gpu-architecture=sm_XY --std=c++17 (XY from torch.cuda.get_device_capability())")
    have = {n: (f"LONGLM_ATTENTION_MMA_HEAD({D}," in source if "mma" in n else f"void {n}(" in source) for n in names}
    found = ", ".join(n + (" (found)" if ok else " (MISSING)") for n, ok in have.items())
    print(f"kernels used: {found}")
    sms, max_shared = args.sms, 232448
    print(f"plan for {sms} SMs (H200: 132), opt-in shared memory {max_shared} bytes; shape {H}/{KV}/{D}, G {G}, W {W}")
    for N in args.lengths:
        for mode in args.modes:
            n, start = (N, 0) if mode == "prefill" else (1, N - 1)
            p = plan(n, start, H, KV, D, sms, max_shared)
            mem = (2 * 4 * n * H * D + 2 * 2 * KV * N * D + 4 * n * KV * D + 4 * n * H * D + 4 * p["workspace_floats"]) / 1e9
            rows = [f"SDPA flash{' causal' if mode == 'prefill' else ''}", "SDPA default", "authors' Triton SE",
                    "ours plain", "ours SE"] + (["seed eager SE (reference, timed)"] if mode == "prefill" and N <= args.eager_max else [])
            checks = ["ours plain vs SDPA"] + (["ours vs F32 reference"] if mode == "decode" or N <= args.eager_max else []) \
                + (["ours SE vs seed eager"] if mode == "prefill" and N <= args.eager_max else [])
            combine = f" + attention_combine grid {n * H} block 128" if p["splits"] > 1 else ""
            print(f"  N={N} {mode}: {', '.join(rows)}; ours: {p['kernel']} grid {tuple(p['grid'])} block {p['block']} "
                  f"shared {p['shared_bytes']} B, splits {p['splits']}{combine}, our buffers ~{mem:.2f} GB; checks: {', '.join(checks)}")
    if not all(have.values()):
        print("dry run: a kernel is missing from the source")
        return False
    return self_test()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dry-run", action="store_true", help="print the plan and run the self-test; no GPU needed")
    ap.add_argument("--self-test", action="store_true", help="numpy check of our buffers against the seed's eager Self-Extend")
    ap.add_argument("--lengths", default="4096,16384,32768")
    ap.add_argument("--modes", default="prefill,decode")
    ap.add_argument("--eager-max", type=int, default=4096, help="largest N for the seed's eager version (its memory: ~40 GB at 16384)")
    ap.add_argument("--compile", choices=("auto", "nvrtc", "nvcc", "rawmodule"), default="auto",
                    help="auto (default): NVRTC as the Java backend, nvcc if CuPy's NVRTC is unusable")
    ap.add_argument("--sms", type=int, default=132, help="--dry-run: multiprocessors assumed")
    ap.add_argument("--out", default=os.environ.get("OUT"), help="folder for attn.jsonl and attn.md (default $OUT)")
    args = ap.parse_args()
    try:
        args.lengths = [int(x) for x in args.lengths.split(",")]
        args.modes = [m for m in args.modes.split(",")]
    except ValueError:
        ap.error("--lengths takes comma-separated integers, e.g. 4096,16384")
    if any(m not in ("prefill", "decode") for m in args.modes):
        ap.error("--modes takes prefill and/or decode")
    if any(n < W + 1 or n % 64 for n in args.lengths):
        ap.error(f"--lengths: each N must be a multiple of 64 above the window {W}")
    if args.self_test:
        sys.exit(0 if self_test() else 1)
    if args.dry_run:
        sys.exit(0 if dry_run(args) else 1)
    machine, rows, failed = run_gpu(args)
    text = table(machine, rows, failed)
    print()
    print(text)
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        with open(os.path.join(args.out, "attn.jsonl"), "w") as f:
            f.write(json.dumps(machine) + "\n")
            for r in rows:
                f.write(json.dumps(r) + "\n")
        with open(os.path.join(args.out, "attn.md"), "w") as f:
            f.write(text + "\n")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
