#!/usr/bin/env bash
#
# Soak benchmark (not a test): mixed 1 KiB encrypt/decrypt over HTTP with a real token, at a fixed rate for
# SOAK_MINUTES, against Kms.LocalHost on a throw-away SoftHSM2 token and Azurite (started as bench/run.sh does).
# Prints per minute: ops, errors, p50/p99 latency and the host's RSS (VmRSS from /proc/<pid>/status), then a verdict:
# PASS when the last minute's p99 and RSS are flat against the first minute's and no request failed.
#
# Environment:
#   SOAK_MINUTES   length of the soak (default 10)
#   SOAK_RATE      offered load in ops/s (default 0: measure a 10 s peak at concurrency 16 first, run at half of it)
#   SOAK_EVENTS    1 (default, as infra/local/up.sh runs): events on, audit stream published; 0: events off
set -euo pipefail

minutes="${SOAK_MINUTES:-10}"
rate="${SOAK_RATE:-0}"

source "$(dirname "${BASH_SOURCE[0]}")/stack.sh"
kms_bench_prepare soak "${SOAK_EVENTS:-1}"
kms_bench_start_host
dotnet "$bench_dll" soak "http://127.0.0.1:$kms_port" "$minutes" "$rate" "$host_pid"
