#!/usr/bin/env bash
# longlm bench --device cuda next to llama-bench (llama.cpp 0.5.0 CUDA) on the same GGUF files, on the
# GPU machine: pp512, pp4096, tg128, tg128 at 4096 / 16384 / 32768 cached tokens; longlm plain and
# Self-Extend (G 8, W 1024); % of the copy-bandwidth limit for decoding. Runs ON the GPU machine, from
# the project's root, in phases that each fit one device call of at most 10 minutes:
#
#   bash tools/bench-gpu.sh prepare   # llama.cpp build started (background); 1B and 8B models written with
#                                     # our writer and quantized with our quantizer into /tmp/longlm-bench;
#                                     # copy bandwidth; CUDA kernels compiled once (a smoke run); waits for
#                                     # the build with the time left                          (~6-9 min)
#   bash tools/bench-gpu.sh both      # llama-bench and longlm bench alternately, per model and depth
#   bash tools/bench-gpu.sh ours      # longlm only          bash tools/bench-gpu.sh llama   # llama.cpp only
#   bash tools/bench-gpu.sh long      # 8B Q4_K_M: pp32768 (plain, Self-Extend, llama.cpp) and
#                                     # tg128 at 131072 cached tokens (plain and Self-Extend), 1 repetition
#   bash tools/bench-gpu.sh table [DIR...]   # the table from result folders (default /tmp/longlm-bench/results;
#                                     # any machine: give it the folders the device calls' $OUT came back in)
#   bash tools/bench-gpu.sh all       # prepare, both, long, table without a time budget (a machine with time)
#   bash tools/bench-gpu.sh --dry-run PHASE   # prints the plan and every command, runs nothing (no GPU needed)
#
# Device calls (the machine keeps /tmp only ~30 s between calls, so run them back to back):
#   here, once:  ../shared/tools/device-java && mkdir -p .llamacpp-cuda && cp ../shared/anchors/llamacpp-0.5.0-cuda-src.tar.xz \
#                ../shared/tools/llamacpp-cuda .llamacpp-cuda/     (.llamacpp-cuda/ is git-ignored)
#   call 1: carry [".device-java", ".llamacpp-cuda"]   bash tools/bench-gpu.sh prepare
#   call 2: carry [".device-java"]                     bash tools/bench-gpu.sh both      (8B first; stops at the budget)
#   call 3: carry [".device-java"]                     bash tools/bench-gpu.sh both      (continues: measured keys are skipped)
#           and/or                                     bash tools/bench-gpu.sh long
#   attention alone (no Java, no models; ~3 min):      python3 tools/attn_bench.py   -- in a call of its own, or
#           first in one of the above with a smaller budget: python3 tools/attn_bench.py; BUDGET_S=330 bash tools/bench-gpu.sh both
# The working tree (~42 MiB) + .device-java (~17 MiB) + .llamacpp-cuda (~4.4 MiB) is just under the 64 MiB
# limit (63.7 MiB on 2026-12-01): carry .llamacpp-cuda in the prepare call only (later phases do not need
# it). If the sum grows past 64 MiB, start the build in a short call of its own first (carry only
# .llamacpp-cuda: bash .llamacpp-cuda/llamacpp-cuda start) and run prepare right after it. The table of a
# cold machine's earlier calls: bash tools/bench-gpu.sh table OUT1 OUT2 ... (their files_at folders).
# Rough costs: our writer makes the 1B F16 file in ~6 s on a 2-core VM (8B: ~40 s, disk-bound); our
# quantizer needs ~90 core-seconds for 1B Q4_K_M (8B: ~600, spread over THREADS); each longlm bench run
# pays JVM start, model load and a fixed 5 s of warm-up decoding, and fills the depth before every
# repetition: ~9 runs per model file, ~3-5 min per 8B file with llama-bench's runs; the 8B files come first.
#
# What it prints: each step with its time; every measurement as it lands ("longlm 8b-q4_k_m tg128 se:
# 201.33 ± 0.52 t/s"); anything not run, with the reason; last, the markdown table (model × test:
# llama.cpp's best of -fa 1/0, longlm plain, ratio, longlm Self-Extend, SE/plain, % of the bandwidth
# limit by weights and by weights + KV cache), the issue's goals checked, machine, date, commands.
# Files (also under $OUT, ≤ 8 come back): bench-gpu.log, ours.jsonl, llama.jsonl, prepare.json
# (machine, bandwidth, model sizes), commands.txt, table.md. Exit status: 0 all done, 1 a step failed,
# 3 stopped at the time budget (rerun the phase to continue), 2 bad usage.
#
# Environment (defaults): WORK (/tmp/longlm-bench: models/, results/, cache/), MODELS_DIR ($WORK/models), SHAPES ("8b 1b"),
# TYPES ("q4_k_m q8_0 f16"), MODELS (every shape-type, e.g. "8b-q4_k_m 1b-f16"), TESTS ("pp512 pp4096
# tg128 tg128@d4096 tg128@d16384 tg128@d32768"), METHODS ("plain se"), SE_FLAGS ("--group-size 8
# --window 1024"), SE_SHORT (0: no Self-Extend run where all keys are within the window, as there it is plain
# attention: pp512 alone; tg128 at depth 0 comes with the Self-Extend run of pp4096), REPS (3), WARMUP_S (1: seconds of untimed decoding before our timings; the GPU needs no JIT warm-up of its kernels), LLAMA_FA ("1,0" at depth 0: llama-bench runs both, the table takes the
# faster), LLAMA_FA_DEPTH ("1": at depth, where flash attention is the faster),
# LONG_MODELS ("8b-q4_k_m"), LONG_TESTS ("pp32768 tg128@d131072"), LONG_LLAMA_TESTS ("pp32768"), LONG_REPS (1),
# BUDGET_S (560; 0 = none; `all` defaults to none), THREADS (nproc, for the quantizer), FORCE (0; 1 re-measures),
# WAIT_BUILD (1: a measuring phase first waits for a running llama.cpp build, so that the compiler does not
# compete with the measurements), LONGLM (the CLI; default from .device-java/env.sh), LCB (/tmp/lcb: the build),
# DEVICE (cuda; cpu only to try the script on a machine without a GPU, with MODELS_DIR files of your own).
set -u -o pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
T0=$SECONDS
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }

DRY=0
ARGS=()
for a in "$@"; do
  case $a in
    --dry-run) DRY=1 ;;
    -h | --help) usage; exit 0 ;;
    *) ARGS+=("$a") ;;
  esac
done
PHASE=${ARGS[0]:-}
case $PHASE in
  prepare | both | ours | llama | long | table | all) ;;
  "") usage; echo "bench-gpu: give a phase: prepare, both, ours, llama, long, table, all" >&2; exit 2 ;;
  *) echo "bench-gpu: unknown phase '$PHASE'; choose prepare, both, ours, llama, long, table, all" >&2; exit 2 ;;
esac
[[ ${#ARGS[@]} -gt 1 && $PHASE != table ]] && { echo "bench-gpu: only 'table' takes more arguments (result folders); set options in the environment" >&2; exit 2; }

WORK=${WORK:-/tmp/longlm-bench}
MODELS_DIR=${MODELS_DIR:-$WORK/models}
RESULTS=$WORK/results
OUT_DIR=${OUT:-$WORK/out}
SHAPES=${SHAPES:-8b 1b}
TYPES=${TYPES:-q4_k_m q8_0 f16}   # measured in this order: 8B first, Q4_K_M first (the budget cuts the end)
if [[ -z ${MODELS:-} ]]; then
  MODELS=""
  for s in $SHAPES; do for t in $TYPES; do MODELS+="$s-$t "; done; done
fi
TESTS=${TESTS:-pp512 pp4096 tg128 tg128@d4096 tg128@d16384 tg128@d32768}
METHODS=${METHODS:-plain se}
SE_FLAGS=${SE_FLAGS:---group-size 8 --window 1024}
REPS=${REPS:-3}
LLAMA_FA=${LLAMA_FA:-1,0}
LLAMA_FA_DEPTH=${LLAMA_FA_DEPTH:-1}
SE_SHORT=${SE_SHORT:-0}
SE_WINDOW=$(sed -nE 's/.*(--window|-gaw|--grp-attn-w)[ =]+([0-9]+).*/\2/p' <<<"$SE_FLAGS")
SE_WINDOW=${SE_WINDOW:-0}
LONG_MODELS=${LONG_MODELS:-8b-q4_k_m}
LONG_TESTS=${LONG_TESTS:-pp32768 tg128@d131072}
LONG_LLAMA_TESTS=${LONG_LLAMA_TESTS:-pp32768}
LONG_REPS=${LONG_REPS:-1}
if [[ $PHASE == all ]]; then BUDGET_S=${BUDGET_S:-0}; else BUDGET_S=${BUDGET_S:-560}; fi
THREADS=${THREADS:-$(nproc)}
FORCE=${FORCE:-0}
WAIT_BUILD=${WAIT_BUILD:-1}
LCB=${LCB:-/tmp/lcb}
DEVICE=${DEVICE:-cuda}
VOCAB=src/test/resources/vocab/ggml-vocab-llama-bpe.gguf
PY="python3 $ROOT/tools/bench/gpubench.py"
FAILED=()   # steps that failed, reported at the end
TABLE_DIRS=""  # result folders whose table the phase prints last
STOPPED=0   # 1 once the time budget stopped the phase

mkdir -p "$RESULTS" "$OUT_DIR" "$MODELS_DIR" || { echo "bench-gpu: cannot create $WORK or $OUT_DIR" >&2; exit 1; }
TEE_PID=""
if [[ $DRY == 0 && $PHASE != table ]]; then
  exec > >(tee -a "$RESULTS/bench-gpu.log") 2>&1
  TEE_PID=$!
fi

log() { printf '[%s +%4ss] %s\n' "$(date -u +%H:%M:%S)" $((SECONDS - T0)) "$*"; }
fail() { log "!! $*"; FAILED+=("$*"); }
elapsed() { echo $((SECONDS - T0)); }

# Copies what the lead needs back into $OUT (at most 8 files come back from a device call).
sync_out() {
  [[ $DRY == 1 || $OUT_DIR -ef $RESULTS ]] && return 0
  local f
  for f in bench-gpu.log ours.jsonl llama.jsonl prepare.json commands.txt table.md; do
    [[ -f $RESULTS/$f ]] && cp "$RESULTS/$f" "$OUT_DIR/$f"
  done
  return 0
}

# step NAME CMD...: runs CMD, prints its time and status; a failure is remembered, never hidden.
step() {
  local name=$1; shift
  if [[ $DRY == 1 ]]; then
    echo "+ $*"
    return 0
  fi
  log "== $name"
  local t=$SECONDS
  "$@"
  local rc=$?
  if [[ $rc == 0 ]]; then log "-- $name: ok in $((SECONDS - t)) s"; else fail "$name: exit $rc after $((SECONDS - t)) s"; fi
  return $rc
}

# Whether an estimated `$1` seconds more fit the budget; prints why not.
fits_budget() {
  [[ $BUDGET_S == 0 || $DRY == 1 ]] && return 0
  local left=$((BUDGET_S - $(elapsed)))
  if ((left < $1)); then
    log "budget: $left s of BUDGET_S=$BUDGET_S left, the next step needs ~$1 s"
    return 1
  fi
  return 0
}

model_file() { # 8b-q4_k_m -> the GGUF file
  local shape=${1%%-*} type=${1#*-}
  case $shape in
    1b) echo "$MODELS_DIR/llama-3.2-1b-shape-$type.gguf" ;;
    8b) echo "$MODELS_DIR/llama-3.1-8b-shape-$type.gguf" ;;
    *) echo "$MODELS_DIR/unknown-shape-$1.gguf" ;;
  esac
}

need_java() {
  [[ $DRY == 1 ]] && { LONGLM=${LONGLM:-\$LONGLM}; return 0; }
  if [[ -z ${LONGLM:-} ]]; then
    if [[ ! -f .device-java/env.sh ]]; then
      fail "no .device-java/ in $ROOT: run ../shared/tools/device-java in the checkout and carry .device-java"
      return 1
    fi
    # shellcheck disable=SC1091
    source .device-java/env.sh || { fail "sourcing .device-java/env.sh failed"; return 1; }
  fi
  export LONGLM_CACHE=${LONGLM_CACHE:-$WORK/cache}
  return 0
}

# ---- llama.cpp CUDA build (../shared/tools/llamacpp-cuda: sources in /tmp/lc, build in /tmp/lcb) ----------------
build_state() { # built, running, failed or absent
  if [[ -f /tmp/lcb.done ]]; then
    if [[ $(cat /tmp/lcb.done) == 0 && -x $LCB/bin/llama-bench ]]; then echo built; else echo failed; fi
  elif pgrep -f "cmake.*$LCB" >/dev/null; then
    echo running
  elif [[ -x $LCB/bin/llama-bench ]]; then
    echo built   # a build made some other way (LCB pointing at it)
  elif [[ -d /tmp/lc || -d $LCB ]]; then
    echo failed  # sources or a build folder but no build process and no exit status: it died
  else
    echo absent
  fi
}

start_llama_build() {
  local state
  state=$(build_state)
  case $state in
    built) log "llama.cpp CUDA already built in $LCB/bin"; return 0 ;;
    running) log "llama.cpp CUDA build already running (log /tmp/lcb.log)"; return 0 ;;
  esac
  if [[ ! -f .llamacpp-cuda/llamacpp-cuda || ! -f .llamacpp-cuda/llamacpp-0.5.0-cuda-src.tar.xz ]]; then
    fail "llama.cpp build not started: .llamacpp-cuda/ lacks llamacpp-cuda or the source tarball (copy both from ../shared and carry .llamacpp-cuda)"
    return 1
  fi
  step "start the llama.cpp CUDA build (background, ~7 min)" bash .llamacpp-cuda/llamacpp-cuda start
}

# wait_llama_build SECONDS: 0 when built; prints the build's last line when it failed or is still running.
wait_llama_build() {
  local max=$1 t=$SECONDS state
  state=$(build_state)
  if [[ $state == running ]]; then
    log "waiting up to $max s for the llama.cpp build: $(tail -c 300 /tmp/lcb.log 2>/dev/null | tr '\r' '\n' | tail -1)"
    while [[ $(build_state) == running ]] && ((SECONDS - t < max)); do sleep 5; done
    state=$(build_state)
    log "llama.cpp build: $state after waiting $((SECONDS - t)) s"
  fi
  case $state in
    built) return 0 ;;
    running) log "llama.cpp build still running: $(tail -c 300 /tmp/lcb.log 2>/dev/null | tr '\r' '\n' | tail -1)"; return 3 ;;
    failed) fail "llama.cpp build failed (exit status: $(cat /tmp/lcb.done 2>/dev/null || echo none, the build process is gone)): $(tail -n 5 /tmp/lcb-cmake.log /tmp/lcb.log 2>/dev/null | tail -n 8)"; return 1 ;;
    absent) fail "llama.cpp is not built and no build is running: run the prepare phase (with .llamacpp-cuda carried) first"; return 1 ;;
  esac
}

# Before measuring: a compiler running beside the measurements would disturb them (batch-1 decoding is
# sensitive to CPU time), so wait for a running build unless WAIT_BUILD=0.
quiet_machine() {
  [[ $DRY == 1 ]] && return 0
  if [[ $(build_state) == running ]]; then
    if [[ $WAIT_BUILD == 1 ]]; then
      local left=$((BUDGET_S == 0 ? 900 : BUDGET_S - $(elapsed) - 60))
      ((left < 0)) && left=0
      wait_llama_build "$left" || true
    else
      log "WAIT_BUILD=0: measuring while the llama.cpp build runs (timings may suffer)"
    fi
  fi
}

# ---- prepare ----------------------------------------------------------------------------------------------------
approx_bytes() { # bytes the model file will take (for the disk check)
  case $1 in
    1b-f16) echo 2500000000 ;; 1b-q8_0) echo 1400000000 ;; 1b-q4_k_m) echo 850000000 ;;
    8b-f16) echo 16100000000 ;; 8b-q8_0) echo 8600000000 ;; 8b-q4_k_m) echo 5000000000 ;;
    *) echo 16100000000 ;;
  esac
}

write_models() {
  local need=0 m f
  for m in $MODELS; do
    f=$(model_file "$m")
    [[ -f $f ]] || need=$((need + $(approx_bytes "$m")))
    [[ ${m#*-} != f16 && ! -f $(model_file "${m%%-*}-f16") ]] && need=$((need + $(approx_bytes "${m%%-*}-f16")))
  done
  if [[ $DRY == 0 ]]; then
    local avail
    avail=$(df -B1 --output=avail "$MODELS_DIR" | tail -1 | tr -d ' ')
    log "disk: $((avail / 1000000000)) GB free in $MODELS_DIR, the missing models need ~$((need / 1000000000)) GB"
    if ((avail < need + 2000000000)); then
      fail "not enough disk in $MODELS_DIR for the models (set WORK to a larger file system or fewer MODELS)"
      return 1
    fi
  fi
  local shape type f16 q
  for shape in $SHAPES; do
    f16=$(model_file "$shape-f16")
    local wanted=0
    for m in $MODELS; do [[ ${m%%-*} == "$shape" ]] && wanted=1; done
    ((wanted)) || continue
    if [[ -f $f16 ]]; then
      log "$f16 exists ($(du -h "$f16" | cut -f1))"
    else
      rm -f "$f16.part"
      step "write $shape F16 model (our writer)" $LONGLM bench write-model --shape "$shape" --vocab "$VOCAB" "$f16.part" &&
        { [[ $DRY == 1 ]] || mv "$f16.part" "$f16"; } || continue
    fi
    for m in $MODELS; do
      [[ ${m%%-*} == "$shape" ]] || continue
      type=${m#*-}
      [[ $type == f16 ]] && continue
      q=$(model_file "$m")
      if [[ -f $q ]]; then log "$q exists ($(du -h "$q" | cut -f1))"; continue; fi
      rm -f "$q.part"
      step "quantize $m (our quantizer, $THREADS threads)" $LONGLM quantize "$f16" "$q.part" "$type" -t "$THREADS" &&
        { [[ $DRY == 1 ]] || mv "$q.part" "$q"; }
    done
  done
  # which of the requested files exist now, and what a token of each reads
  local names="" files=()
  for m in $MODELS; do
    f=$(model_file "$m")
    if [[ -f $f || $DRY == 1 ]]; then names+="${names:+,}$m"; files+=("$f"); else fail "model $m ($f) is missing after prepare"; fi
  done
  ((${#files[@]})) && step "model sizes (GGUF tensors)" $PY gguf --into "$RESULTS/prepare.json" --names "$names" "${files[@]}"
  return 0
}

phase_prepare() {
  step "machine" $PY machine --into "$RESULTS/prepare.json"
  [[ $DRY == 1 ]] || nvidia-smi --query-gpu=name,driver_version,memory.used,memory.total --format=csv,noheader
  start_llama_build
  need_java || return 1
  [[ $DRY == 1 ]] || step "longlm version" $LONGLM --version
  write_models
  step "device copy bandwidth (torch)" $PY bandwidth --into "$RESULTS/prepare.json"
  # One short run compiles the CUDA kernels into $LONGLM_CACHE (later runs load them) and shows that the
  # backend works before the long phases start.
  local smoke=""
  for m in 1b-q4_k_m $MODELS; do [[ -f $(model_file "$m") || $DRY == 1 ]] && { smoke=$(model_file "$m"); break; }; done
  if [[ -n $smoke ]]; then
    step "$DEVICE smoke run (compiles the CUDA kernels once)" $LONGLM bench -m "$smoke" --device "$DEVICE" -p 64 -n 8 -r 1 --json
  else
    fail "no model file for the CUDA smoke run"
  fi
  if [[ $DRY == 0 && $(build_state) == running ]]; then
    local left=$((BUDGET_S == 0 ? 900 : BUDGET_S - $(elapsed)))
    if ((left > 10)); then
      wait_llama_build "$left"
      [[ $? == 3 ]] && log "the next phase waits for the rest of the build before it measures"
    else
      log "no time left to wait for the llama.cpp build; the next phase waits for it before it measures"
    fi
  fi
  return 0
}

# ---- measurements ---------------------------------------------------------------------------------------------
# A test is ppP, tgN, ppP@dD or tgN@dD. parse_test T -> "P N D"
parse_test() {
  if [[ $1 =~ ^(pp|tg)([0-9]+)(@d?([0-9]+))?$ ]]; then
    local n=${BASH_REMATCH[2]} d=${BASH_REMATCH[4]:-0}
    if [[ ${BASH_REMATCH[1]} == pp ]]; then echo "$n 0 $d"; else echo "0 $n $d"; fi
  else
    echo "bench-gpu: bad test '$1' (ppN, tgN, ppN@dD or tgN@dD)" >&2
    return 1
  fi
}

test_name() { # P N D -> canonical name
  local name
  if (($1 > 0)); then name=pp$1; else name=tg$2; fi
  (($3 > 0)) && name+="@d$3"
  echo "$name"
}

# Rough seconds of one longlm run, for the budget only: startup, model load, warm-up, repetitions with
# their depth fill (longlm fills the depth before every repetition; llama-bench once: see llama()).
estimate_s() { # engine model P N D reps
  local engine=$1 shape=${2%%-*} p=$3 n=$4 d=$5 r=$6 scale=1
  [[ $shape == 8b ]] && scale=4
  # the depth fill's attention grows with the square of the depth
  echo $((12 + 3 * scale + r * (scale * (d + p) / 20000 + scale * (d / 1024) * (d / 1024) / 4096 + n / 60 + 1)))
}

declare -A SEEN_S=()  # observed seconds of an invocation kind (engine:shape:P:N:D), better than estimate_s

# guess ENGINE MODEL P N D REPS: the observed time of the same kind of run, else estimate_s
guess_s() {
  local seen=${SEEN_S[$1:${2%%-*}:$3:$4:$5]:-}
  if [[ -n $seen ]]; then echo $((seen + 5)); else estimate_s "$@"; fi
}

# run_limit ESTIMATE: seconds after which one run is killed (a hang must not eat the device call): four times
# the estimate, at least 120 s, at most what is left of the budget.
run_limit() {
  local limit=$(($1 * 4 > 120 ? $1 * 4 : 120))
  if [[ $BUDGET_S != 0 ]]; then
    local left=$((BUDGET_S + 30 - $(elapsed)))
    ((left < limit)) && limit=$left
    ((limit < 10)) && limit=10
  fi
  echo "$limit"
}

have() { # engine model variant tests... -> 0 when all measured (and FORCE is not set)
  [[ $FORCE == 1 ]] && return 1
  $PY have --results "$RESULTS" "$@" 2>/dev/null
}

# ours MODEL METHOD P N D REPS
ours() {
  local m=$1 method=$2 p=$3 n=$4 d=$5 reps=$6 f tests=() flags=()
  f=$(model_file "$m")
  (($p > 0)) && tests+=("$(test_name "$p" 0 "$d")")
  (($n > 0)) && tests+=("$(test_name 0 "$n" "$d")")
  if have longlm "$m" "$method" "${tests[@]}"; then
    log "longlm $m ${tests[*]} $method: already measured (FORCE=1 to redo)"
    return 0
  fi
  [[ $method == se ]] && read -r -a flags <<<"$SE_FLAGS"
  local cmd=(bench -m "$f" --device "$DEVICE" -p "$p" -n "$n" -d "$d" -r "$reps" --warmup "${WARMUP_S:-1}" --json ${flags[@]+"${flags[@]}"})
  if [[ $DRY == 1 ]]; then
    echo "+ $LONGLM ${cmd[*]}      # ${tests[*]} $method, ~$(estimate_s longlm "$m" "$p" "$n" "$d" "$reps") s"
    return 0
  fi
  local est
  est=$(guess_s longlm "$m" "$p" "$n" "$d" "$reps")
  fits_budget "$est" || { STOPPED=1; return 3; }
  [[ -f $f ]] || { fail "longlm $m: $f is missing (run prepare first, in the same warm machine)"; return 1; }
  log "longlm $m ${tests[*]} $method (~$est s): longlm ${cmd[*]}"
  local t=$SECONDS stdout rc
  local limit
  limit=$(run_limit "$est")
  stdout=$(timeout --kill-after=10 "$limit" $LONGLM "${cmd[@]}" 2> >(grep -v '^WARNING: Using incubator' >&2))
  rc=$?
  if [[ $rc != 0 ]]; then
    fail "longlm $m ${tests[*]} $method: $( ((rc == 124 || rc == 137)) && echo "killed at the limit of $limit s" || echo "exit $rc after $((SECONDS - t)) s")"
    return 1
  fi
  printf '%s\n' "$stdout" | $PY record-ours --results "$RESULTS" --model "$m" --file "$f" --method "$method" --depth "$d" \
    --wall $((SECONDS - t)) --cmd "longlm ${cmd[*]}" || fail "longlm $m ${tests[*]} $method: no result recorded"
  SEEN_S[longlm:${m%%-*}:$p:$n:$d]=$((SECONDS - t))
  log "   ($((SECONDS - t)) s)"
  sync_out
}

declare -A LLAMA_LOADED=() LLAMA_BROKEN=()

# llama MODEL "P1,P2|0" "N1|0" D REPS FA
llama() {
  local m=$1 ps=$2 ns=$3 d=$4 reps=$5 fa=$6 f tests=() x v
  f=$(model_file "$m")
  for x in ${ps//,/ }; do ((x > 0)) && tests+=("$(test_name "$x" 0 "$d")"); done
  for x in ${ns//,/ }; do ((x > 0)) && tests+=("$(test_name 0 "$x" "$d")"); done
  local all=1
  for v in ${fa//,/ }; do have llama.cpp "$m" "fa$v" "${tests[@]}" || all=0; done
  if ((all)); then
    log "llama.cpp $m ${tests[*]} fa $fa: already measured (FORCE=1 to redo)"
    return 0
  fi
  local cmd=(-m "$f" -ngl 99 -fa "$fa" -p "$ps" -n "$ns" -d "$d" -r "$reps" -o jsonl)
  # one model load, then per -fa value: the depth filled once, each test warmed up once and repeated
  local est=0 nfa=0 scale=1
  [[ ${m%%-*} == 8b ]] && scale=4
  for x in ${ps//,/ }; do ((x > 0)) && est=$((est + (reps + 1) * (scale * x / 20000 + 1))); done
  for x in ${ns//,/ }; do ((x > 0)) && est=$((est + (reps + 1) * (x / 100 + 1))); done
  for v in ${fa//,/ }; do nfa=$((nfa + 1)); done
  est=$((6 + 2 * scale + nfa * (est + scale * d / 20000 + scale * (d / 1024) * (d / 1024) / 4096)))
  [[ -n ${SEEN_S[llama:${m%%-*}:$ps:$ns:$d]:-} ]] && est=$((SEEN_S[llama:${m%%-*}:$ps:$ns:$d] + 5))
  if [[ $DRY == 1 ]]; then
    echo "+ $LCB/bin/llama-bench ${cmd[*]}      # ${tests[*]}, ~$est s"
    return 0
  fi
  if [[ -n ${LLAMA_BROKEN[$m]:-} ]]; then
    fail "llama.cpp $m ${tests[*]}: not run, llama.cpp could not load $f earlier"
    return 1
  fi
  fits_budget "$est" || { STOPPED=1; return 3; }
  [[ -f $f ]] || { fail "llama.cpp $m: $f is missing (run prepare first, in the same warm machine)"; return 1; }
  [[ -x $LCB/bin/llama-bench ]] || { fail "llama.cpp $m: no $LCB/bin/llama-bench"; return 1; }
  log "llama.cpp $m ${tests[*]} (~$est s): llama-bench ${cmd[*]}"
  local t=$SECONDS stdout rc errf=$RESULTS/llama-bench.err
  local limit
  limit=$(run_limit "$est")
  stdout=$(LD_LIBRARY_PATH=$LCB/bin${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} timeout --kill-after=10 "$limit" "$LCB/bin/llama-bench" "${cmd[@]}" 2>"$errf")
  rc=$?
  ((rc == 124 || rc == 137)) && echo "killed at the limit of $limit s" >> "$errf"
  if [[ $rc != 0 ]]; then
    if [[ -z ${LLAMA_LOADED[$m]:-} ]] && grep -qiE "failed to load model|error loading model" "$errf"; then
      LLAMA_BROKEN[$m]=1
      fail "llama.cpp cannot load our file $f: $(grep -iE 'error|failed' "$errf" | tail -3 | tr '\n' ' ')"
    else
      fail "llama.cpp $m ${tests[*]}: exit $rc after $((SECONDS - t)) s: $(tail -3 "$errf" | tr '\n' ' ')"
    fi
    return 1
  fi
  local first=()
  [[ -z ${LLAMA_LOADED[$m]:-} ]] && first=(--first)
  LLAMA_LOADED[$m]=1
  printf '%s\n' "$stdout" | $PY record-llama --results "$RESULTS" --model "$m" --file "$f" --wall $((SECONDS - t)) \
    --cmd "llama-bench ${cmd[*]}" ${first[@]+"${first[@]}"} || fail "llama.cpp $m ${tests[*]}: no result recorded"
  SEEN_S[llama:${m%%-*}:$ps:$ns:$d]=$((SECONDS - t))
  log "   ($((SECONDS - t)) s)"
  sync_out
}

# existing_models LIST: sets EXISTING to the models of LIST whose files exist; each missing one is a failure.
existing_models() {
  local m
  EXISTING=""
  for m in $1; do
    if [[ $DRY == 1 || -f $(model_file "$m") ]]; then EXISTING+="$m "; else fail "model $m: $(model_file "$m") is missing (run the prepare phase first, on this warm machine)"; fi
  done
}

# measure ENGINES MODELS TESTS METHODS REPS FA LLAMA_TESTS: per model, per depth group, the engines in
# alternating order (llama.cpp first in even groups, longlm first in odd ones).
measure() {
  local engines=$1 models=$2 tests=$3 methods=$4 reps=$5 fa=$6 llama_tests=$7
  local m t group=0 depths d p n x
  local -a parsed
  for t in $tests $llama_tests; do parse_test "$t" >/dev/null || return 2; done
  existing_models "$models"
  models=$EXISTING
  if [[ -z ${models// /} ]]; then
    fail "no model file to measure in $MODELS_DIR"
    return 1
  fi
  depths=$(for t in $tests $llama_tests; do parse_test "$t" | cut -d' ' -f3; done | sort -nu)
  for m in $models; do
    for d in $depths; do
      local pps=() tgs=() lpps=() ltgs=()
      for t in $tests; do
        read -r -a parsed <<<"$(parse_test "$t")"
        [[ ${parsed[2]} == "$d" ]] || continue
        ((parsed[0] > 0)) && pps+=("${parsed[0]}")
        ((parsed[1] > 0)) && tgs+=("${parsed[1]}")
      done
      for t in $llama_tests; do
        read -r -a parsed <<<"$(parse_test "$t")"
        [[ ${parsed[2]} == "$d" ]] || continue
        ((parsed[0] > 0)) && lpps+=("${parsed[0]}")
        ((parsed[1] > 0)) && ltgs+=("${parsed[1]}")
      done
      local order=$engines
      if [[ $engines == "llama longlm" ]] && ((group % 2 == 1)); then order="longlm llama"; fi
      group=$((group + 1))
      for e in $order; do
        if [[ $e == llama && $((${#lpps[@]} + ${#ltgs[@]})) -gt 0 ]]; then
          local pj nj
          pj=$(IFS=,; echo "${lpps[*]:-0}")
          nj=$(IFS=,; echo "${ltgs[*]:-0}")
          llama "$m" "$pj" "$nj" "$d" "$reps" "$( ((d == 0)) && echo "$fa" || echo "$LLAMA_FA_DEPTH")"
          [[ $STOPPED == 1 ]] && return 3
        elif [[ $e == longlm && $((${#pps[@]} + ${#tgs[@]})) -gt 0 ]]; then
          # one longlm run measures a prompt test and a generation test: the longest prompt goes with the
          # first generation test, so that the Self-Extend run of pp4096 also gives tg128
          local k count=$((${#pps[@]} > ${#tgs[@]} ? ${#pps[@]} : ${#tgs[@]}))
          mapfile -t pps < <(printf '%s\n' ${pps[@]+"${pps[@]}"} | sort -nr)
          for ((k = 0; k < count; k++)); do
            p=${pps[k]:-0}
            n=${tgs[k]:-0}
            for x in $methods; do
              if [[ $x == se && $SE_SHORT == 0 ]] && ((d + (p > n ? p : n) <= SE_WINDOW)); then
                local short=()
                ((p > 0)) && short+=("$(test_name "$p" 0 "$d")")
                ((n > 0)) && short+=("$(test_name 0 "$n" "$d")")
                log "longlm $m ${short[*]} se: not run: every key is within the window W=$SE_WINDOW, where Self-Extend is plain attention (SE_SHORT=1 runs it)"
                continue
              fi
              ours "$m" "$x" "$p" "$n" "$d" "$reps"
              [[ $STOPPED == 1 ]] && return 3
            done
          done
        fi
      done
    done
  done
  return 0
}

print_table() {
  [[ $DRY == 1 ]] && { echo "+ $PY table $*"; return 0; }
  local out=$RESULTS/table.md
  if $PY table "$@" > "$out.tmp"; then
    mv "$out.tmp" "$out"
    sync_out
    echo
    cat "$out"
  else
    rm -f "$out.tmp"
    fail "table: no measurements to show yet"
    return 1
  fi
}

note_command() {
  [[ $DRY == 1 ]] && return 0
  echo "$(date -u +%FT%TZ) bash tools/bench-gpu.sh $PHASE (MODELS=\"${MODELS% }\" TESTS=\"$TESTS\" METHODS=\"$METHODS\" SE_FLAGS=\"$SE_FLAGS\" REPS=$REPS LLAMA_FA=$LLAMA_FA$( [[ $PHASE == long || $PHASE == all ]] && echo " LONG_MODELS=\"$LONG_MODELS\" LONG_TESTS=\"$LONG_TESTS\" LONG_REPS=$LONG_REPS"))" >> "$RESULTS/commands.txt"
}

finish() {
  local rc=0
  ((${#FAILED[@]})) && rc=1
  if [[ $STOPPED == 1 ]]; then
    log "STOPPED at the time budget (BUDGET_S=$BUDGET_S): run 'bash tools/bench-gpu.sh $PHASE' again while the machine is warm; measured keys are skipped"
    rc=3
  fi
  if ((${#FAILED[@]})); then
    log "${#FAILED[@]} step(s) failed:"
    local x
    for x in "${FAILED[@]}"; do echo "   - $x"; done
  fi
  log "phase $PHASE done in $(elapsed) s (exit $rc); results in $RESULTS$( [[ $DRY == 0 ]] && echo ", copies in $OUT_DIR")"
  [[ -n $TABLE_DIRS ]] && print_table $TABLE_DIRS
  sync_out
  if [[ -n $TEE_PID ]]; then  # let tee write the last lines to the log, then copy it once more
    exec >&- 2>&-
    wait "$TEE_PID" 2>/dev/null || sleep 0.5
    sync_out
  fi
  exit $rc
}

case $PHASE in
  prepare) note_command; phase_prepare ;;
  ours | llama | both | long)
    note_command
    TABLE_DIRS=$RESULTS
    engines="llama longlm"
    [[ $PHASE == ours ]] && engines=longlm
    [[ $PHASE == llama ]] && engines=llama
    if [[ $engines == *longlm* ]]; then need_java || finish; fi
    if [[ $engines == *llama* && $DRY == 0 ]]; then
      wait_llama_build $((BUDGET_S == 0 ? 900 : BUDGET_S - 120))
      case $? in
        0) ;;
        3) STOPPED=1; finish ;;
        *) [[ $PHASE == llama ]] && finish; engines=longlm; log "no llama.cpp: measuring longlm only" ;;
      esac
    fi
    quiet_machine
    if [[ $PHASE == long ]]; then
      measure "$engines" "$LONG_MODELS" "$LONG_TESTS" "$METHODS" "$LONG_REPS" 1 "$([[ $engines == *llama* ]] && echo "$LONG_LLAMA_TESTS")"
    else
      measure "$engines" "$MODELS" "$TESTS" "$METHODS" "$REPS" "$LLAMA_FA" "$([[ $engines == *llama* ]] && echo "$TESTS")"
    fi
    ;;
  table)
    dirs=("${ARGS[@]:1}")
    ((${#dirs[@]})) || dirs=("$RESULTS")
    print_table "${dirs[@]}"
    exit $?
    ;;
  all)
    note_command
    TABLE_DIRS=$RESULTS
    phase_prepare
    need_java || finish
    engines=longlm
    if [[ $DRY == 1 ]] || wait_llama_build 900; then engines="llama longlm"; else log "no llama.cpp: measuring longlm only"; fi
    quiet_machine
    measure "$engines" "$MODELS" "$TESTS" "$METHODS" "$REPS" "$LLAMA_FA" "$([[ $engines == *llama* ]] && echo "$TESTS")" &&
      measure "$engines" "$LONG_MODELS" "$LONG_TESTS" "$METHODS" "$LONG_REPS" 1 "$([[ $engines == *llama* ]] && echo "$LONG_LLAMA_TESTS")"
    ;;
  *) echo "bench-gpu: unknown phase '$PHASE'; choose prepare, both, ours, llama, long, table, all" >&2; exit 2 ;;
esac
finish
