#!/usr/bin/env bash
# STUN Binding transactions per second on one core over loopback: sipwall serve vs coturn vs
# a plain UDP echo (the practical ceiling), same load generator, same run. See bench/README.md.
#
#   bench/stun.sh [ROUNDS] [SECONDS]          defaults: 5 rounds of 4 s (about 2 minutes)
#
# Servers are pinned to core 0, the load generator (examples/stun_load.rs) to core 1.
# sipwall's per-source rate limit is lifted (the bench is one source IP). Per round and server:
# one peak run (closed loop, SOCKETS sockets x WINDOW in flight). Then per server one paced
# run at 50 % of its median peak (open loop) for latency. Environment: SOCKETS (8), WINDOW (16),
# PORT (35478: sipwall PORT, coturn PORT+1, echo PORT+2), RETRIES (4: a disturbed run, one
# where other processes took over 10 % of a core, is repeated after a 5 s pause, this many
# times in all).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-5}"; seconds="${2:-4}"
sockets="${SOCKETS:-8}"; window="${WINDOW:-16}"; port="${PORT:-35478}"
target="${CARGO_TARGET_DIR:-target}/release"
cargo build --release --quiet -p sipwall --bin sipwall
cargo build --release --quiet -p sipwall-serve --example stun_load --example udp_echo
load="$target/examples/stun_load"
# Every benchmark process starts pinned through these (arrays, not functions: `function &`
# would fork a subshell, and $! would not be the server).
core0=(taskset -c 0); core1=(taskset -c 1)

declare -A ports=([sipwall]=$port [coturn]=$((port + 1)) [echo]=$((port + 2)))
servers=(sipwall coturn echo)
if ! command -v turnserver >/dev/null; then
  echo "turnserver (coturn) not found: apt-get install -y coturn; running without it" >&2
  servers=(sipwall echo)
fi

# Is anything bound to UDP port $1 (any address)? /proc/net/udp has ports in hex.
bound() { awk -v p="$(printf '%04X' "$1")" 'NR > 1 && $2 ~ ":" p "$" { f = 1 } END { exit !f }' /proc/net/udp; }
for name in "${servers[@]}"; do
  # coturn binds with SO_REUSEPORT: a leftover instance would silently take half the load.
  if bound "${ports[$name]}"; then echo "UDP port ${ports[$name]} is in use; set PORT" >&2; exit 1; fi
done

# Every server stops by itself after run_for seconds; the trap stops them earlier.
retries="${RETRIES:-4}"
run_for=$(( (rounds * ${#servers[@]} + ${#servers[@]} + retries) * (seconds + 3) + retries * 5 + 30 ))
declare -A pid
cleanup() { for p in "${pid[@]}"; do kill "$p" 2>/dev/null || true; done; wait; }
trap cleanup EXIT
trap 'exit 130' INT TERM
"${core0[@]}" "$target/sipwall" serve --primary "127.0.0.1:${ports[sipwall]}" \
  --rate 1e9 --burst 1e9 --duration "$run_for" 2>/dev/null &
pid[sipwall]=$!
if [[ " ${servers[*]} " == *" coturn "* ]]; then
  "${core0[@]}" timeout "$run_for" turnserver -n --stun-only --no-cli --no-tls --no-dtls \
    --listening-ip 127.0.0.1 --listening-port "${ports[coturn]}" --relay-threads 1 --no-auth \
    --log-file /dev/null >/dev/null 2>&1 &
  pid[coturn]=$!
fi
"${core0[@]}" "$target/examples/udp_echo" "127.0.0.1:${ports[echo]}" "$run_for" &
pid[echo]=$!
for name in "${servers[@]}"; do
  for _ in $(seq 50); do bound "${ports[$name]}" && break; sleep 0.1; done
  bound "${ports[$name]}" || { echo "$name did not start" >&2; exit 1; }
done
# `timeout` runs turnserver as its child: measure the child (CPU time, memory).
if [ -n "${pid[coturn]:-}" ]; then pid[coturn_server]=$(pgrep -P "${pid[coturn]}" turnserver); fi
server_pid() { if [ "$1" = coturn ]; then echo "${pid[coturn_server]}"; else echo "${pid[$1]}"; fi; }

field() { sed -nE "s/.*(^| )$1=([^ ]*).*/\2/p" <<<"$2"; }
# One generator run against server $1 with extra options; prints the result line.
generate() {
  local name=$1; shift
  local echo_flag=(); [ "$name" = echo ] && echo_flag=(--echo)
  "${core1[@]}" timeout $(( seconds + 20 )) "$load" "127.0.0.1:${ports[$name]}" \
    --seconds "$seconds" --sockets "$sockets" --window "$window" \
    --server-pid "$(server_pid "$name")" "${echo_flag[@]}" "$@"
}
# CPU time others took on the two cores during a run, in % of one core: core 0 busy minus
# the server, core 1 busy minus the generator. Above 10 the run is marked disturbed.
noise() {
  local l=$1
  local busy0 busy1; busy0=$(field cpu0 "$l"); busy1=$(field cpu1 "$l")
  echo $(( ${busy0%/*} - $(field server_cpu_pct "$l") + ${busy1%/*} - $(field gen_cpu_pct "$l") ))
}
disturbed() { [ "$(noise "$1")" -gt 10 ]; }
mark() { if disturbed "$1"; then echo "  DISTURBED: others took $(noise "$1")% of a core"; fi; }
# Sets $line to the result of `generate "$@"`; a disturbed run is repeated after a pause, up
# to $retries times over the whole bench (not in a subshell, so that the count goes down).
run() {
  line=$(generate "$@")
  while disturbed "$line" && [ "$retries" -gt 0 ]; do
    retries=$(( retries - 1 ))
    printf '    (disturbed: others took %s%% of a core; again in 5 s)\n' "$(noise "$line")"
    sleep 5
    line=$(generate "$@")
  done
}
median() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
minimum() { tr ' ' '\n' | grep . | sort -n | head -1; }
count() { wc -w | tr -d ' '; }
ratio() { awk -v a="$1" -v b="$2" -v p="${3:-}" 'BEGIN { if (b > 0) printf(p ? "%.0f%%" : "%.2f", (p ? 100 : 1) * a / b); else print "-" }'; }

echo "peak: $rounds rounds x $seconds s, $sockets sockets x $window in flight"
# Per server: every run's tx/s, the undisturbed runs' tx/s, every run's tx per server CPU-s.
declare -A peak clean per_cpu
for round in $(seq "$rounds"); do
  for name in "${servers[@]}"; do
    run "$name"
    tps=$(field transactions_per_second "$line")
    peak[$name]+="$tps "; per_cpu[$name]+="$(field tx_per_server_cpu_s "$line") "
    disturbed "$line" || clean[$name]+="$tps "
    # The queue columns tell on which side the in-flight requests waited (the bottleneck).
    printf 'round %d %-7s %7s tx/s  lost %s invalid %s  p99 %6s us  server cpu %3s%%  queued server/generator %s/%s B%s\n' \
      "$round" "$name" "$tps" "$(field lost "$line")" "$(field invalid "$line")" \
      "$(field p99_us "$line")" "$(field server_cpu_pct "$line")" \
      "$(field queued_server_bytes "$line")" "$(field queued_generator_bytes "$line")" \
      "$(mark "$line")"
  done
done
# The peak figures: undisturbed runs only, unless there are none (then all, marked '*').
declare -A stats
for name in "${servers[@]}"; do
  if [ -n "${clean[$name]:-}" ]; then stats[$name]=${clean[$name]}; else stats[$name]=${peak[$name]}; fi
done

echo; echo "paced: 50 % of each server's median peak, $seconds s"
declare -A paced
for name in "${servers[@]}"; do
  rate=$(( $(median <<<"${stats[$name]}") / 2 ))
  run "$name" --rate "$rate"
  paced[$name]=$line
  printf 'paced %-7s %7s/s  p50 %s us  p99 %s us  p99.9 %s us  lost %s  invalid %s  send lag max %s us%s\n' \
    "$name" "$rate" "$(field p50_us "$line")" "$(field p99_us "$line")" \
    "$(field p999_us "$line")" "$(field lost "$line")" "$(field invalid "$line")" \
    "$(field send_lag_max_us "$line")" "$(mark "$line")"
done

declare -A memory
for name in "${servers[@]}"; do
  memory[$name]=$(awk '/^VmHWM/ { print $2 }' "/proc/$(server_pid "$name")/status")
done

echo
printf '%-8s %9s %9s %5s %8s %7s %9s %8s %8s %8s %7s %9s\n' server "peak min" median runs \
  "x coturn" "of echo" "tx/cpu-s" "x coturn" "p50 us" "p99 us" lost "max RSS"
median_of() { if [ -n "${!1:-}" ]; then median <<<"${!1}"; else echo 0; fi; }
coturn_median=$(median_of 'stats[coturn]'); echo_median=$(median_of 'stats[echo]')
coturn_cpu=$(median_of 'per_cpu[coturn]')
for name in "${servers[@]}"; do
  m=$(median <<<"${stats[$name]}"); c=$(median <<<"${per_cpu[$name]}")
  runs="$(count <<<"${stats[$name]}")/$rounds"; [ -z "${clean[$name]:-}" ] && runs+="*"
  printf '%-8s %9s %9s %5s %8s %7s %9s %8s %8s %8s %7s %6s kB\n' "$name" \
    "$(minimum <<<"${stats[$name]}")" "$m" "$runs" "$(ratio "$m" "$coturn_median")" \
    "$(ratio "$m" "$echo_median" 1)" "$c" "$(ratio "$c" "$coturn_cpu")" \
    "$(field p50_us "${paced[$name]}")" "$(field p99_us "${paced[$name]}")" \
    "$(field lost "${paced[$name]}")" "${memory[$name]}"
done
cat <<'EOF'
peak min/median: tx/s over the undisturbed peak runs (runs: how many; * = none was, so all);
x coturn, of echo: ratios of those medians. tx/cpu-s: transactions per CPU-second the server
used (median of all runs; barely moved by noise) and its ratio to coturn's. p50/p99/lost: the
paced run at 50 % of the server's own median peak. max RSS: the server's VmHWM.
EOF
