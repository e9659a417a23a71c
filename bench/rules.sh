#!/usr/bin/env bash
# Rendering speed of `sipwall rules`: every vendor dialect x every built-in profile, plain and
# --explain, per pass; min and median over PASSES passes (default 50). Target: < 100 ms a pass.
#   bench/rules.sh [PASSES]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --release --quiet -p sipwall-firewall --example render_bench -- "${1:-50}"
