#!/usr/bin/env bash
#
# Benchmarks of the KMS on the real local stack, loopback only and bounded in time:
#   - 1 KiB encrypt and decrypt over HTTP at concurrency 1 and 16: ops/s, p50/p95/p99
#   - the Kubernetes KMS v2 plugin's Encrypt/Decrypt of 32-byte seeds over its unix socket at concurrency 1 and 16
#   - the in-process HSM (PKCS#11) AES-GCM encrypt rate of 1 KiB beside it
#   - a rewrap job over 10,000 table items in Azurite (ciphertexts moved from version 1 to 2): items/s, total time
# It starts a throw-away SoftHSM2 token, Azurite and Kms.LocalHost on free ports, like infra/local/test.sh.
#
# Environment:
#   BENCH_SECONDS   length of each measured run (default 10; each run has a 2 s warm-up too)
#   BENCH_EVENTS    1 (default, as infra/local/up.sh runs): events on, the audit stream published to the
#                   host's stand-in topic; 0: events off, to see their cost
#   BENCH_REWRAP    1 (default): run the rewrap benchmark; 0: skip it
#   BENCH_K8S       1 (default): Kubernetes KMS v2 plugin Encrypt/Decrypt over its unix socket; 0: skip it
#   BENCH_REVOKE    number of revocations timed end to end (default 20; needs events on; 0: skip)
set -euo pipefail

seconds="${BENCH_SECONDS:-10}"

source "$(dirname "${BASH_SOURCE[0]}")/stack.sh"
kms_bench_prepare bench "${BENCH_EVENTS:-1}"
hook_port="$extra_port"
# The rewrap jobs' table source "local" is this stack's Azurite.
export Kms__Rewrap__Connections__local="$Kms__Storage__ConnectionString"
if [[ "${BENCH_EVENTS:-1}" == 1 ]]; then
    # The time-to-revoke benchmark's webhook: revocation events only, so the load runs do not queue audit events for it.
    export Kms__LocalEventGrid__Subscriptions__0__Name=bench-revocations
    export Kms__LocalEventGrid__Subscriptions__0__Endpoint="http://127.0.0.1:$hook_port/kms-events"
    export Kms__LocalEventGrid__Subscriptions__0__IncludedEventTypes__0=Kms.KeyVersionRevoked
    # It is down until the revocation benchmark starts it: keep the handshake retries short so it is found at once.
    export Kms__LocalEventGrid__RetryInitialDelay=00:00:01 Kms__LocalEventGrid__RetryMaxDelay=00:00:02
fi
kms_bench_start_host
dotnet "$bench_dll" http "http://127.0.0.1:$kms_port" "$seconds"
if [[ "${BENCH_K8S:-1}" != 0 ]]; then
    dotnet "$bench_dll" k8s "http://127.0.0.1:$kms_port" "$seconds"
fi
# The HSM figure runs while the host is idle, in its own process with its own PKCS#11 sessions.
dotnet "$bench_dll" hsm "$seconds"
if [[ "${BENCH_REWRAP:-1}" != 0 ]]; then
    dotnet "$bench_dll" rewrap "http://127.0.0.1:$kms_port" 10000
fi
if [[ "${BENCH_EVENTS:-1}" == 1 && "${BENCH_REVOKE:-20}" != 0 ]]; then
    dotnet "$bench_dll" revoke "http://127.0.0.1:$kms_port" "$hook_port" "${BENCH_REVOKE:-20}"
fi
