#!/usr/bin/env bash
# make bench: times ccpulse on synthetic Claude Code homes of three sizes, next to a compiled Bun
# hello-world (what any Bun binary pays), bench/floor.ts after each append (the least work the figures
# need) and ccusage where it can run, then prints one Markdown table and saves it with the raw hyperfine
# JSON in bench/results/<date>-<host>.md.
#
#   BENCH_SCALES="small medium large huge-line"  which scales to run (default: all four)
#   BENCH_HOMES=bench/homes            where the homes are generated (git-ignored)
#   BENCH_KEEP_HOMES=1                 keep each home after its scale instead of deleting it
#   CCUSAGE_VERSION=20.0.24            ccusage release to compare with
#
# Reports numbers only: nothing here passes or fails on time.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUN=$ROOT/node_modules/.bin/bun
SCALES=${BENCH_SCALES:-small medium large huge-line}
HOMES=$(mkdir -p "${BENCH_HOMES:-$ROOT/bench/homes}" && cd "${BENCH_HOMES:-$ROOT/bench/homes}" && pwd)
# 20.0.26 (latest when this was written) has no linux-x64 native package on npm; 20.0.24 has.
CCUSAGE_VERSION=${CCUSAGE_VERSION:-20.0.24}
APPEND_BYTES=1048576
# Each after-append run (warm-up runs too) grows the live transcripts by APPEND_BYTES, so their number
# is bounded: APPEND_BATCHES of APPEND_BATCH_RUNS each, in batches alternating with the hello-world
# like the warm calls (below), so that the after-append ratio's two sides are timed in the same minutes.
APPEND_BATCHES=4
APPEND_BATCH_RUNS=5
APPEND_HELLO_RUNS=20
LARGE_MIN_FREE_KIB=$((6 * 1024 * 1024))
# A warm call is a few ms, and this VM's speed drifts by more than the differences that matter between
# one hyperfine run and the next (its hello-world took 3.0 to 5.8 ms over one day). So each scale's
# hello-world and warm calls are timed in alternating batches, and each command's batches are read as
# one sample: drift falls on all of them alike.
WARM_BATCHES=10
WARM_BATCH_RUNS=30

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ccpulse-bench.XXXXXX")
MANIFEST=$WORK/manifest.jsonl
mkdir -p "$WORK/raw"
GENERATED=()

cleanup() {
  local dir
  for dir in "${GENERATED[@]}"; do
    # gen-home checks each pid's start time before killing; plain kill only if bun itself fails.
    "$BUN" "$ROOT/bench/gen-home.ts" --kill "$dir" 2>/dev/null || { [ -f "$dir/pids" ] && xargs -r kill -9 <"$dir/pids" 2>/dev/null; } || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { printf 'bench: %s\n' "$*" >&2; }
json_str() { local s=${1//\\/\\\\}; s=${s//\"/\\\"}; printf '"%s"' "${s//$'\n'/ }"; }
manifest() { printf '%s\n' "$1" >>"$MANIFEST"; }
note() { say "$*"; manifest "{\"kind\":\"note\",\"text\":$(json_str "$*")}"; }

apt_install() {
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  say "installing $* with apt"
  "${sudo[@]}" apt-get update -qq && "${sudo[@]}" apt-get install -y -qq "$@" >/dev/null
}

# ---------------------------------------------------------------- tools

command -v hyperfine >/dev/null || apt_install hyperfine
[ -x /usr/bin/time ] || apt_install time
HF_SHELL=()
# -N runs commands without a shell, so a few-ms call is not measured together with sh's start-up.
hyperfine --help 2>&1 | grep -qE '^\s+-N\b' && HF_SHELL=(-N)
make -s build
# Every binary timed is a file written in this run: how long ago a binary was written changed how
# many page faults exec'ing it takes (an identical hello-world took 0.5 ms longer, 40 faults more,
# as a file written two hours earlier than as a fresh copy of it).
CCPULSE=$WORK/ccpulse
cp "$ROOT/dist/ccpulse" "$CCPULSE"

# The reference binaries with the flags of ccpulse's own build (Makefile), so the ratios show what
# ccpulse adds to a bare Bun binary (the hello-world) and to the least work its figures need (the floor).
compile() {
  "$BUN" build "$1" --compile --minify --sourcemap --bytecode --format=esm --compile-jit-policy=1000 \
    --no-compile-autoload-dotenv --no-compile-autoload-bunfig --outfile "$2" >/dev/null
}
HELLO=$WORK/hello/hello
mkdir -p "$WORK/hello"
printf 'console.log("hi");\n' >"$WORK/hello/hello.ts"
compile "$WORK/hello/hello.ts" "$HELLO"
FLOOR=$WORK/floor/floor
compile "$ROOT/bench/floor.ts" "$FLOOR"

CCUSAGE=""
setup_ccusage() {
  local prefix=$WORK/ccusage log=$WORK/ccusage-install.log
  if ! command -v npm >/dev/null; then
    note "ccusage skipped: npm not found"
    return
  fi
  if ! npm install --prefix "$prefix" "ccusage@$CCUSAGE_VERSION" --no-audit --no-fund --loglevel=error >"$log" 2>&1; then
    note "ccusage skipped: npm install ccusage@$CCUSAGE_VERSION failed: $(grep -m1 -i error "$log" || tail -n1 "$log")"
    return
  fi
  local bin=$prefix/node_modules/.bin/ccusage out
  if ! out=$(timeout 20 "$bin" --version 2>&1); then
    note "ccusage skipped: ccusage@$CCUSAGE_VERSION does not start here: ${out:0:200}"
    return
  fi
  CCUSAGE=$bin
}
setup_ccusage

# ---------------------------------------------------------------- measuring

RUN_ENV=()

# measure SCALE TOOL COMMAND MODE PREPARE RUNS ARGV...: one hyperfine run; PREPARE and RUNS may be "-".
# With BATCH set, one batch of several (report.ts merges the batches of a command into one sample).
measure() {
  local scale=$1 tool=$2 command=$3 mode=$4 prepare=$5 runs=$6
  shift 6
  local out=$WORK/raw/$scale-$tool-${command// /_}-$mode${BATCH:+-$BATCH}.json
  local args=("${HF_SHELL[@]}" --warmup 3 --style basic --export-json "$out" --command-name "$tool $command")
  [ "$prepare" = - ] || args+=(--prepare "$prepare")
  [ "$runs" = - ] || args+=(--runs "$runs")
  say "$scale · $tool $command · $mode${BATCH:+ · batch $BATCH}"
  if ! env "${RUN_ENV[@]}" hyperfine "${args[@]}" "$*" >>"$WORK/hyperfine.log" 2>&1; then
    tail -n 20 "$WORK/hyperfine.log" >&2
    return 1
  fi
  manifest "{\"kind\":\"time\",\"scale\":\"$scale\",\"tool\":\"$tool\",\"command\":$(json_str "$command"),\"mode\":\"$mode\",\"file\":$(json_str "$out")}"
}

# peak_rss SCALE TOOL COMMAND MODE PREPARE ARGV...: the largest "Maximum resident set size" of 3 runs.
peak_rss() {
  local scale=$1 tool=$2 command=$3 mode=$4 prepare=$5 best=0 kib
  shift 5
  for _ in 1 2 3; do
    # Unquoted on purpose: PREPARE is a plain command line, as hyperfine -N takes it.
    [ "$prepare" = - ] || $prepare
    env "${RUN_ENV[@]}" /usr/bin/time -v -o "$WORK/time.txt" "$@" >/dev/null 2>&1 || true
    kib=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/time.txt")
    [ "${kib:-0}" -gt "$best" ] && best=$kib
  done
  manifest "{\"kind\":\"rss\",\"scale\":\"$scale\",\"tool\":\"$tool\",\"command\":$(json_str "$command"),\"mode\":\"$mode\",\"kib\":$best}"
}

CCPULSE_COMMANDS=("compact --tmux --tokens" "json")
CCUSAGE_COMMAND="daily --json --offline"

# bench_scale SCALE SESSIONS BYTES LIVE [GEN-HOME ARGS...]
bench_scale() {
  local scale=$1 sessions=$2 bytes=$3 live=$4
  shift 4
  local dir=$HOMES/$scale
  if [ "$scale" = large ]; then
    local free
    free=$(df -Pk "$HOMES" | awk 'NR == 2 {print $4}')
    if [ "$free" -lt "$LARGE_MIN_FREE_KIB" ]; then
      note "large skipped: $((free / 1024 / 1024)) GiB free under $HOMES, it needs about 6"
      return
    fi
  fi
  GENERATED+=("$dir")
  say "$scale: generating $sessions sessions, $bytes bytes, $live live"
  # Epoch now, so the transcripts end where a real home's would: minutes ago for live sessions.
  "$BUN" "$ROOT/bench/gen-home.ts" --out "$dir" --sessions "$sessions" --live "$live" --bytes "$bytes" --seed 1 --epoch "$(date +%s)000" "$@"
  # The generator leaves hundreds of MB of dirty pages; their writeback would land in the timings.
  sync
  # Counted from what gen-home wrote: --one-huge-line adds a live session of its own.
  local all live_bytes count live_count
  read -r all live_bytes count live_count < <("$BUN" -e "const e = await Bun.file('$dir/expected.json').json(); const s = Object.values(e.sessions); console.log(e.bytes.all, e.bytes.live, s.length, s.filter((x) => x.live).length)")
  manifest "{\"kind\":\"scale\",\"scale\":\"$scale\",\"sessions\":$count,\"live\":$live_count,\"bytes\":$all,\"liveBytes\":$live_bytes}"
  RUN_ENV=(HOME="$dir/home" CLAUDE_CONFIG_DIR="$dir/home/.claude" XDG_CACHE_HOME="$dir/cache")
  local clear_cache="rm -rf $dir/cache/ccpulse" cmd
  # Warm and cold first, while the transcripts hold exactly what gen-home reported. The hello-world
  # again, alternating with the warm calls (WARM_BATCHES above); each batch's warm-up runs make the
  # first batch's calls warm.
  local batch
  for ((batch = 1; batch <= WARM_BATCHES; batch++)); do
    BATCH=$batch measure "$scale" hello hi warm - "$WARM_BATCH_RUNS" "$HELLO"
    for cmd in "${CCPULSE_COMMANDS[@]}"; do
      # shellcheck disable=SC2086 # the command's flags are separate words
      BATCH=$batch measure "$scale" ccpulse "$cmd" warm - "$WARM_BATCH_RUNS" "$CCPULSE" $cmd
    done
  done
  for cmd in "${CCPULSE_COMMANDS[@]}"; do
    # shellcheck disable=SC2086
    measure "$scale" ccpulse "$cmd" cold "$clear_cache" - "$CCPULSE" $cmd
    # shellcheck disable=SC2086
    peak_rss "$scale" ccpulse "$cmd" cold "$clear_cache" "$CCPULSE" $cmd
    # One call on the cache the cold runs rebuilt, so the warm RSS runs start from a settled one. In
    # RUN_ENV like every call here: without it this one ran in the real home and wrote the real
    # ~/.cache/ccpulse.
    # shellcheck disable=SC2086
    env "${RUN_ENV[@]}" "$CCPULSE" $cmd >/dev/null
    # shellcheck disable=SC2086
    peak_rss "$scale" ccpulse "$cmd" warm - "$CCPULSE" $cmd
  done
  if [ -n "$CCUSAGE" ]; then
    local ccusage_runs=-
    [ "$scale" = small ] || ccusage_runs=5
    # shellcheck disable=SC2086
    if measure "$scale" ccusage "$CCUSAGE_COMMAND" warm - "$ccusage_runs" "$CCUSAGE" $CCUSAGE_COMMAND; then
      # shellcheck disable=SC2086
      peak_rss "$scale" ccusage "$CCUSAGE_COMMAND" warm - "$CCUSAGE" $CCUSAGE_COMMAND
    else
      note "ccusage failed on the $scale home (see the hyperfine output above); not compared"
    fi
  fi
  # Until 2026-12-05 the 20 after-append runs of each command came in one block, minutes after the
  # warm batches whose hello-world gave their ratio; the VM's speed moves by more than that ratio's
  # margins in less time.
  # And each after-append call runs just after gen-home's append (a Bun process that generates and writes
  # 1 MiB), which leaves the CPU's caches to whatever runs next: a hello-world timed after the same step
  # took 3.2-4.5 ms longer than one timed back to back with itself (20.8 against 24.5-25.2 ms, and 19.7
  # against 22.9, 4 batches of 20 runs each; after a `sleep 0.3` too, so it is not work the kernel
  # finishes later). So the hello-world of the after-append ratio runs after the same append, made to a
  # scratch home with as many live sessions (an append to the measured home would age it for the
  # ccpulse calls after it), and the one without it is timed alongside for the ratio as it was.
  local scratch=$dir-scratch
  GENERATED+=("$scratch")
  "$BUN" "$ROOT/bench/gen-home.ts" --out "$scratch" --sessions "$live_count" --live "$live_count" --bytes $((live_count << 20)) --seed 2 --epoch "$(date +%s)000" >/dev/null
  sync
  for ((batch = 1; batch <= APPEND_BATCHES; batch++)); do
    BATCH=$batch measure "$scale" hello hi append-bare - "$APPEND_HELLO_RUNS" "$HELLO"
    BATCH=$batch measure "$scale" hello hi append "$BUN $ROOT/bench/gen-home.ts --append $APPEND_BYTES --out $scratch" "$APPEND_HELLO_RUNS" "$HELLO"
    for cmd in "${CCPULSE_COMMANDS[@]}"; do
      # shellcheck disable=SC2086
      BATCH=$batch measure "$scale" ccpulse "$cmd" append "$BUN $ROOT/bench/gen-home.ts --append $APPEND_BYTES --out $dir" "$APPEND_BATCH_RUNS" "$CCPULSE" $cmd
    done
    # On the measured home, whose sub-agent files it must read as ccpulse does; its runs add half again
    # as many appends to that home as ccpulse's own.
    BATCH=$batch measure "$scale" floor "compact --tmux --tokens" append "$BUN $ROOT/bench/gen-home.ts --append $APPEND_BYTES --out $dir" "$APPEND_BATCH_RUNS" "$FLOOR"
  done

  "$BUN" "$ROOT/bench/gen-home.ts" --kill "$dir"
  "$BUN" "$ROOT/bench/gen-home.ts" --kill "$scratch"
  rm -rf "$scratch"
  [ "${BENCH_KEEP_HOMES:-}" = 1 ] || rm -rf "$dir"
}

# What a fresh 4 KiB page costs the kernel to hand out, timed by a Bun loop touching 64 MiB (the median
# of 3), at the start and at the end of the run. It is the VM's phase: a hello-world is mostly page faults,
# ccpulse's calls mostly interpreted JavaScript and system calls, so the ratios move with it (at ~11 µs a
# fault the hello-world took 16-24 ms and a call after an append 2.0-3.1 times that; at ~1.7 µs 3-4 ms and
# 3.2-5.4 times: bench/LOG.md, tenth round).
FAULT_COST_JS='const size = 64 << 20; const bytes = new Uint8Array(size); const t = performance.now(); for (let i = 0; i < size; i += 4096) bytes[i] = 1; console.log(((performance.now() - t) * 1000 / (size / 4096)).toFixed(2));'
fault_cost() {
  local when=$1 us
  us=$(for _ in 1 2 3; do "$BUN" -e "$FAULT_COST_JS"; done | sort -n | sed -n 2p)
  manifest "{\"kind\":\"fault\",\"when\":\"$when\",\"us\":${us:-null}}"
}

HOST=$(uname -n)
fault_cost start
manifest "$(printf '{"kind":"machine","date":%s,"host":%s,"nproc":"%s","cpu":%s,"ram":%s,"kernel":%s,"fs":%s,"bun":%s,"ccpulse":%s,"hyperfine":%s,"ccusage":%s}' \
  "$(json_str "$(date -u +%FT%TZ)")" "$(json_str "$HOST")" "$(nproc)" \
  "$(json_str "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')")" \
  "$(json_str "$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)")" \
  "$(json_str "$(uname -sr)")" "$(json_str "$(df -PT "$HOMES" | awk 'NR == 2 {print $2}') under $HOMES")" \
  "$(json_str "bun $("$BUN" --version)")" "$(json_str "ccpulse $("$CCPULSE" --version)")" \
  "$(json_str "$(hyperfine --version)")" "$(json_str "${CCUSAGE:+ccusage $CCUSAGE_VERSION}")")"

RUN_ENV=(HOME="$WORK/hello")
measure - hello hi warm - - "$HELLO"
peak_rss - hello hi warm - "$HELLO"
# ccpulse's own start-up (module load, no files read): what every call pays before any work.
measure - ccpulse --version warm - - "$CCPULSE" --version
peak_rss - ccpulse --version warm - "$CCPULSE" --version

for scale in $SCALES; do
  case $scale in
    small) bench_scale small 5 $((20 << 20)) 2 ;;
    medium) bench_scale medium 50 $((500 << 20)) 8 ;;
    large) bench_scale large 200 $((2 << 30)) 20 ;;
    # The memory target's hard case: one live transcript holding a single 100 MB tool-result line.
    huge-line) bench_scale huge-line 4 $((4 << 20)) 2 --one-huge-line 100 ;;
    *) note "unknown scale '$scale' (small, medium, large, huge-line)" ;;
  esac
done

fault_cost end
mkdir -p "$ROOT/bench/results"
"$BUN" "$ROOT/bench/report.ts" "$MANIFEST" "$ROOT/bench/results/$(date +%F)-$HOST.md"
say "saved bench/results/$(date +%F)-$HOST.md"
