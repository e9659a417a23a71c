#!/usr/bin/env bash
# STUN Binding transactions per second on one core over loopback: sipwall serve vs coturn vs
# a plain UDP echo (the practical ceiling), same load generator, same run. Servers are pinned
# to core 0, the load generator to core 1; sipwall's per-source rate limit is lifted (one
# source is the whole load). Repeats ROUNDS times; prints min/median.
#   bench/stun.sh [ROUNDS] [SECONDS] [WINDOW]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-5}"; seconds="${2:-5}"; window="${3:-64}"
cargo build --release --quiet -p sipwall --bin sipwall
cargo build --release --quiet -p sipwall-serve --example stun_load --example udp_echo
load=target/release/examples/stun_load
run_for=$(( rounds * (seconds + 2) * 3 + 10 ))

taskset -c 0 target/release/sipwall serve --primary 127.0.0.1:35478 --rate 1e9 --burst 1e9 --duration "$run_for" 2>/dev/null &
pids=($!)
taskset -c 0 turnserver -n --stun-only --no-cli --no-tls --no-dtls --listening-ip 127.0.0.1 \
  --listening-port 35479 --relay-threads 1 --no-auth --log-file /dev/null >/dev/null 2>&1 &
pids+=($!)
taskset -c 0 target/release/examples/udp_echo 127.0.0.1:35480 "$run_for" &
pids+=($!)
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT
sleep 1

declare -A results
for round in $(seq "$rounds"); do
  for server in sipwall:35478 coturn:35479 echo:35481; do
    name=${server%%:*}; port=${server##*:}
    [ "$name" = echo ] && port=35480
    env_echo=(); [ "$name" = echo ] && env_echo=(env STUN_LOAD_ECHO=1)
    line=$("${env_echo[@]}" taskset -c 1 "$load" "127.0.0.1:$port" "$seconds" "$window")
    echo "round $round $name $line"
    results[$name]+="$(sed -E 's/.*transactions_per_second=([0-9]+).*/\1/' <<<"$line") "
  done
done
echo
for name in sipwall coturn echo; do
  read -r -a values <<<"${results[$name]}"
  sorted=($(printf '%s\n' "${values[@]}" | sort -n))
  echo "$name: min ${sorted[0]} median ${sorted[$(( ${#sorted[@]} / 2 ))]} transactions/s"
done
