#!/usr/bin/env bash
# Wall time of `sipwall check` in the namespace lab against its targets, repeated ROUNDS times
# (min/median/max), with coturn's turnutils_natdiscovery as the yardstick for the NAT part:
#   1. quick check, everything but the lifetime, 10 s media       target <= 15 s
#   2. verdicts alone (--media-seconds 0)                         target <= 3 s
#      vs turnutils_natdiscovery -m -f and sipwall check --stun against coturn (ratio)
#   3. --lifetime quick --media-seconds 0 with router UDP timeouts 15/40 s
#                                                                 target 1.3 x 40 + 5 = 57 s
#      and the lifetime brackets of each priming pattern from the JSON
# One extra run of part 1 on a fake TTY (script) shows how long each test took.
#
#   bench/check.sh [--quick] [--rounds N] [--lifetime-rounds N] [--no-build] [--keep]
#   ROUNDS=5 LIFETIME_ROUNDS=2 bench/check.sh
#
# --quick skips part 3. Needs root (network namespaces), iproute2, nft, conntrack, jq,
# script (util-linux), coturn (turnserver, turnutils_natdiscovery: scripts/install-deps).
# All traffic stays inside the lab's namespaces. Every process started here has a timeout and
# the lab tears itself down after --duration; on exit (also Ctrl-C/SIGTERM) a trap stops the
# servers and the lab and deletes the lab's namespaces. Default run: ~4.5 min plus the build.
# Binaries: ${CARGO_TARGET_DIR:-target}/release (built unless --no-build).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

rounds="${ROUNDS:-5}"
lifetime_rounds="${LIFETIME_ROUNDS:-2}"
udp_timeout="${UDP_TIMEOUT:-15}"
stream_timeout="${UDP_STREAM_TIMEOUT:-40}"
skip_lifetime=0
build=1
keep=0

usage() { sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; }
die() { echo "bench/check.sh: error: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
  case "$1" in
    --quick) skip_lifetime=1 ;;
    --rounds) rounds="${2:?--rounds needs a number}"; shift ;;
    --lifetime-rounds) lifetime_rounds="${2:?--lifetime-rounds needs a number}"; shift ;;
    --no-build) build=0 ;;
    --keep) keep=1 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
  shift
done
for n in "$rounds" "$lifetime_rounds" "$udp_timeout" "$stream_timeout"; do
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || die "rounds and timeouts must be positive integers (got '$n')"
done

# ---------------------------------------------------------------- prerequisites
[ "$(id -u)" -eq 0 ] || die "needs root (the lab creates network namespaces); run with sudo"
missing=()
for tool in ip nft conntrack sysctl jq timeout script awk date; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
[ ${#missing[@]} -eq 0 ] || die "missing tools: ${missing[*]}"
for tool in turnserver turnutils_natdiscovery; do
  command -v "$tool" >/dev/null 2>&1 ||
    die "coturn's $tool not found: install coturn (scripts/install-deps)"
done
ip netns list >/dev/null 2>&1 || die "'ip netns' does not work here (no network namespaces?)"

bin="${CARGO_TARGET_DIR:-$repo/target}/release"
if [ "$build" -eq 1 ]; then
  command -v cargo >/dev/null 2>&1 || die "cargo not found (or use --no-build with binaries in $bin)"
  echo "building sipwall and sipwall-lab (release) into $bin ..."
  cargo build --release --quiet -p sipwall -p sipwall-lab || die "cargo build failed"
fi
for b in sipwall sipwall-lab; do
  [ -x "$bin/$b" ] || die "$bin/$b not found (build it, or set CARGO_TARGET_DIR)"
done

work=$(mktemp -d /tmp/sipwall-bench-check.XXXXXX)

# ---------------------------------------------------------------- process bookkeeping
lab_pid=""          # sipwall-lab up
lab_ns=()           # its namespaces (deleted by hand if the lab does not tear down)
server_pids=()      # timeout wrappers of sipwall serve / turnserver
current_pid=""      # the measured command (timeout wrapper)
failed=0

# Stops a `timeout` wrapper and the command it runs: TERM (forwarded by timeout), then KILL.
stop_pid() {
  local pid=$1 grace=${2:-5} i
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < grace * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    pkill -KILL -P "$pid" 2>/dev/null || true
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

stop_lab() {
  local pid ns
  [ -n "$current_pid" ] && stop_pid "$current_pid" 2
  current_pid=""
  for pid in "${server_pids[@]}"; do stop_pid "$pid" 5; done
  server_pids=()
  if [ -n "$lab_pid" ]; then
    stop_pid "$lab_pid" 30          # the lab deletes its namespaces on SIGTERM
    lab_pid=""
  fi
  for ns in "${lab_ns[@]}"; do
    if ip netns list 2>/dev/null | awk '{print $1}' | grep -qx "$ns"; then
      echo "warning: namespace $ns still there after the lab stopped; deleting it" >&2
      ip netns delete "$ns" 2>/dev/null || true
    fi
  done
  lab_ns=()
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM HUP
  stop_lab
  if [ "$keep" -eq 1 ] || [ "$rc" -ne 0 ] || [ "$failed" -ne 0 ]; then
    echo "outputs (JSON, logs) kept in $work" >&2
  else
    rm -rf "$work"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# Starts `sipwall-lab up ARGS... --duration D` and fills lab_pid, lab_ns, ns_client, ns_server.
start_lab() {
  local name=$1 duration=$2; shift 2
  local out="$work/lab-$name.out" i
  "$bin/sipwall-lab" up "$@" --duration "$duration" >"$out" 2>&1 &
  lab_pid=$!
  for ((i = 0; i < 600; i++)); do
    grep -qs '^lab is up' "$out" && break
    kill -0 "$lab_pid" 2>/dev/null || { cat "$out" >&2; die "sipwall-lab up $* failed"; }
    sleep 0.1
  done
  grep -q '^lab is up' "$out" || { cat "$out" >&2; die "lab not up after 60 s"; }
  ns_client=$(awk '$1 == "client" {print $2; exit}' "$out")
  ns_router=$(awk '$1 == "router" {print $2; exit}' "$out")
  ns_server=$(awk '$1 == "server" {print $2; exit}' "$out")
  [ -n "$ns_client" ] && [ -n "$ns_router" ] && [ -n "$ns_server" ] ||
    { cat "$out" >&2; die "cannot read the lab's namespace names"; }
  lab_ns=("$ns_client" "$ns_router" "$ns_server")
  echo "lab $name: sipwall-lab up $* (namespaces ${ns_client%-client}-*)"
}

# sipwall serve on 198.18.0.10:3478 / .11:3479 (SIP 5060/5080/5061, control 7443).
start_sipwall_serve() {
  local duration=$1 log="$work/serve-$2.log" i
  timeout -k 3 "$((duration + 10))" ip netns exec "$ns_server" \
    "$bin/sipwall" serve --primary 198.18.0.10:3478 --alternate 198.18.0.11:3479 \
    --duration "$duration" >"$log" 2>&1 &
  server_pids+=($!)
  for ((i = 0; i < 100; i++)); do
    grep -qs 'as control' "$log" && return 0
    kill -0 "${server_pids[-1]}" 2>/dev/null || { cat "$log" >&2; die "sipwall serve failed"; }
    sleep 0.1
  done
  cat "$log" >&2; die "sipwall serve not ready after 10 s"
}

# coturn, STUN only, RFC 5780 on 13478/13479 (-n: no config file; Debian's disables RFC 5780).
start_coturn() {
  local duration=$1 log="$work/coturn.log" i
  timeout -k 3 "$duration" ip netns exec "$ns_server" \
    turnserver -n --stun-only --no-cli --no-tls --no-dtls --no-auth \
    --listening-ip 198.18.0.10 --listening-ip 198.18.0.11 \
    --listening-port 13478 --alt-listening-port 13479 --log-file /dev/null >"$log" 2>&1 &
  server_pids+=($!)
  for ((i = 0; i < 100; i++)); do
    if [ "$(ip netns exec "$ns_server" ss -Hlun 2>/dev/null | grep -cE '198\.18\.0\.1[01]:1347[89] ')" -ge 4 ]; then
      return 0
    fi
    kill -0 "${server_pids[-1]}" 2>/dev/null || { cat "$log" >&2; die "turnserver failed"; }
    sleep 0.1
  done
  cat "$log" >&2; die "turnserver not listening on 198.18.0.10/11:13478/13479 after 10 s"
}

# timed LIMIT OUT -- COMMAND...: runs COMMAND (stdout to OUT, stderr to OUT.err) under a
# timeout, sets `took` (seconds, wall) and `rc`. In the background so signals stop it at once.
timed() {
  local limit=$1 out=$2; shift 3
  local start end
  start=$(date +%s.%N)
  timeout -k 3 "$limit" "$@" >"$out" 2>"$out.err" </dev/null &
  current_pid=$!
  rc=0; wait "$current_pid" || rc=$?
  current_pid=""
  end=$(date +%s.%N)
  took=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.3f", e - s }')
}

# A sipwall check must exit 0 (all passed) or 1 (something failed: the lab's ALG and missing
# hairpinning do that) and print the JSON report; anything else stops the benchmark.
expect_check() {
  local what=$1 out=$2
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then
    failed=1
    [ "$rc" -eq 124 ] && echo "$what: timed out" >&2
    cat "$out.err" >&2
    die "$what exited with $rc (output in $out)"
  fi
  jq -e '.schema == "sipwall.check" and .check.nat != null' "$out" >/dev/null 2>&1 ||
    { failed=1; die "$what: no JSON report with a NAT result (see $out, $out.err)"; }
}

# stats FILE: one number a line -> "min median max n" (median of an even count: mean of the two).
stats() {
  sort -g "$1" | awk '{ v[NR] = $1 } END {
    if (NR == 0) { print "- - - 0"; exit }
    m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf "%.2f %.2f %.2f %d\n", v[1], m, v[NR], NR }'
}
median() { stats "$1" | awk '{print $2}'; }

# ---------------------------------------------------------------- part 1 and 2
lab_a_duration=$((rounds * 45 + 90))
start_lab verdicts "$lab_a_duration" --nat port-preserving --alg udp/5060
start_sipwall_serve "$lab_a_duration" verdicts
start_coturn "$lab_a_duration"

: >"$work/quick.s"; : >"$work/media0.s"; : >"$work/natdiscovery.s"; : >"$work/stun.s"
printf '\n%-6s %9s %9s %9s %9s   %s\n' round quick media0 coturn stun "(wall s; quick: check elapsed / media elapsed ms)"
for r in $(seq "$rounds"); do
  o="$work/quick-$r.json"
  timed 60 "$o" -- ip netns exec "$ns_client" "$bin/sipwall" check --server 198.18.0.10 --json --media-seconds 10
  expect_check "quick check (round $r)" "$o"; t_quick=$took; echo "$took" >>"$work/quick.s"
  detail=$(jq -r '"\(.check.elapsed_ms) / \(.check.media.elapsed_ms // "-")"' "$o")

  o="$work/media0-$r.json"
  timed 30 "$o" -- ip netns exec "$ns_client" "$bin/sipwall" check --server 198.18.0.10 --json --media-seconds 0
  expect_check "check --media-seconds 0 (round $r)" "$o"; t_media0=$took; echo "$took" >>"$work/media0.s"

  o="$work/natdiscovery-$r.txt"
  timed 30 "$o" -- ip netns exec "$ns_client" turnutils_natdiscovery -m -f -p 13478 198.18.0.10
  if [ "$rc" -ne 0 ] || ! grep -q 'Mapping!' "$o" || ! grep -q 'Filtering!' "$o"; then
    failed=1; cat "$o" "$o.err" >&2
    die "turnutils_natdiscovery (round $r) exited with $rc or gave no mapping/filtering result"
  fi
  t_coturn=$took; echo "$took" >>"$work/natdiscovery.s"

  o="$work/stun-$r.json"
  timed 30 "$o" -- ip netns exec "$ns_client" "$bin/sipwall" check --stun 198.18.0.10:13478 --json
  expect_check "check --stun (round $r)" "$o"; t_stun=$took; echo "$took" >>"$work/stun.s"

  printf '%-6s %9s %9s %9s %9s   %s\n' "$r" "$t_quick" "$t_media0" "$t_coturn" "$t_stun" "$detail"
done

# What each side concluded (last round), so a fast wrong answer does not pass unnoticed.
coturn_said=$(grep -hE 'NAT with .*(Mapping|Filtering)!|^NAT' "$work/natdiscovery-$rounds.txt" | sed 's/^NAT with //; s/!$//' | paste -sd ';' -)
sipwall_said=$(jq -r '.check.nat | "mapping \(.mapping.verdict), filtering \(.filtering.verdict), hairpin \(.hairpin.verdict) (\(.classic_type))"' "$work/stun-$rounds.json" 2>/dev/null || true)
verdicts_media0=$(jq -r '[.check.verdicts[] | "\(.id)=\(.status)"] | join(" ")' "$work/media0-$rounds.json")

# Per-test durations: one more quick check on a fake TTY, where the check prints progress.
timed 60 "$work/progress.txt" -- script -qec \
  "ip netns exec $ns_client $bin/sipwall check --server 198.18.0.10 --media-seconds 10" /dev/null
progress=$(tr -d '\r' <"$work/progress.txt" | grep -E '✓ .* \([0-9.]+ s\)$' | sed 's/^ *✓ //' | paste -sd ',' - | sed 's/,/, /g')
stop_lab

# ---------------------------------------------------------------- part 3
if [ "$skip_lifetime" -eq 0 ]; then
  longest=$((udp_timeout > stream_timeout ? udp_timeout : stream_timeout))
  lifetime_target=$(awk -v t="$longest" 'BEGIN { printf "%.1f", 1.3 * t + 5 }')
  lab_b_duration=$((lifetime_rounds * 340 + 60))
  start_lab lifetime "$lab_b_duration" --nat port-preserving --alg udp/5060 \
    --udp-timeout "$udp_timeout" --udp-stream-timeout "$stream_timeout"
  start_sipwall_serve "$lab_b_duration" lifetime
  : >"$work/lifetime.s"
  echo
  echo "lifetime (router UDP timeouts: unreplied/young $udp_timeout s, stream $stream_timeout s)"
  for r in $(seq "$lifetime_rounds"); do
    o="$work/lifetime-$r.json"
    timed 330 "$o" -- ip netns exec "$ns_client" "$bin/sipwall" check --server 198.18.0.10 --json --lifetime quick --media-seconds 0
    expect_check "lifetime check (round $r)" "$o"
    jq -e '.check.lifetime != null' "$o" >/dev/null || { failed=1; die "lifetime check (round $r): no lifetime report in $o"; }
    echo "$took" >>"$work/lifetime.s"
    printf 'round %s: %s s wall (lifetime test %s s)\n' "$r" "$took" "$(jq -r '.check.lifetime.elapsed_s' "$o")"
    jq -r '.check.lifetime.patterns[] |
      "  \(.priming | . + " " * (18 - length)) [\(.lower_s) s, \(.upper_s // "-") s]  \(.outcome), decided after \(.decided_after_s) s"' "$o"
  done
  stop_lab
fi

# ---------------------------------------------------------------- summary
verdict() { awk -v v="$1" -v t="$2" 'BEGIN { print (v <= t) ? "meets" : "MISSES" }'; }
row() { # label file target-text target-number
  local s; s=$(stats "$2")
  read -r mn md mx n <<<"$s"
  if [ -n "${4:-}" ]; then
    printf '%-44s %2s %8s %8s %8s  %-9s %s\n' "$1" "$n" "$mn" "$md" "$mx" "$3" "$(verdict "$md" "$4")"
  else
    printf '%-44s %2s %8s %8s %8s  %-9s\n' "$1" "$n" "$mn" "$md" "$mx" "$3"
  fi
}
echo
echo "== sipwall check wall times, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(uname -r) =="
printf '%-44s %2s %8s %8s %8s  %-9s %s\n' "" n min median max target "(median)"
row "1. quick check (--media-seconds 10)" "$work/quick.s" "<= 15 s" 15
row "2. verdicts only (--media-seconds 0)" "$work/media0.s" "<= 3 s" 3
row "   coturn turnutils_natdiscovery -m -f" "$work/natdiscovery.s" ""
row "   sipwall check --stun (coturn, NAT only)" "$work/stun.s" ""
if [ "$skip_lifetime" -eq 0 ]; then
  row "3. --lifetime quick --media-seconds 0" "$work/lifetime.s" "<= ${lifetime_target} s" "$lifetime_target"
fi
ratio() { awk -v a="$(median "$1")" -v b="$(median "$2")" 'BEGIN { printf "%.1f", a / b }'; }
echo
echo "ratio natdiscovery / check --stun (medians):              $(ratio "$work/natdiscovery.s" "$work/stun.s") x"
echo "ratio natdiscovery / check --media-seconds 0 (medians):   $(ratio "$work/natdiscovery.s" "$work/media0.s") x"
echo "coturn says: $coturn_said"
[ -n "$sipwall_said" ] && echo "check --stun says: $sipwall_said"
echo "verdicts (--media-seconds 0): $verdicts_media0"
echo "per test (one TTY run of 1.): ${progress:-not captured}"
if [ "$skip_lifetime" -eq 0 ]; then
  echo "lifetime brackets expected: one_shot around $udp_timeout s, sip_like around $stream_timeout s, inbound_keepalive longer than tested"
fi
