#!/usr/bin/env bash
#
# Benchmarks of the KMS on the real local stack, loopback only and bounded in time, each figure printed beside its
# target from issue 10 ("met" or "MISSED"; a missed target never fails the script), then a table of all targets:
#   - the host's start: from spawning the built Kms.LocalHost to its first 200 from /api/health (target < 5 s)
#   - in process through the PKCS#11 connector (SoftHSM2), while the host is idle: AES-GCM encrypt of 1 KiB (c=1) and
#     RSA_2048 sign (c=16), the raw rates the HTTP figures are compared with
#   - over HTTP (ops/s, p50/p95/p99): 1 KiB encrypt and decrypt at concurrency 1 and 16 (>= 5,000/s and p99 < 10 ms at
#     16, p50 < 1 ms at 1); at concurrency 16 a batch encrypt of 1000 x 1 KiB items per request (>= 25,000 items/s and
#     more than half the raw HSM AES-GCM rate), generate-data-key (>= 5,000/s), EC_P256 sign (>= 5,000/s) and RSA_2048
#     sign (>= 80% of the raw HSM rate); the host's peak RSS (VmRSS) through the c=16 runs (< 400 MiB)
#   - Kms.Client envelope encryption of 1 KiB with a cached data key on one thread (>= 200,000 msg/s), beside raw
#     .NET AesGcm 1 KiB encrypts on one thread
#   - the Kubernetes KMS v2 plugin's Encrypt/Decrypt of 32-byte seeds over its unix socket at concurrency 1 and 16
#   - a rewrap job over 10,000 table items in Azurite (ciphertexts moved from version 1 to 2): items/s (>= 2,000/s)
#   - time to revoke: request to Kms.KeyVersionRevoked at a webhook (p50 < 1 s)
# It starts a throw-away SoftHSM2 token, Azurite and Kms.LocalHost on free ports, like infra/local/test.sh. With the
# defaults it takes about 7 minutes after the build.
#
# Environment:
#   BENCH_SECONDS   length of each measured run (default 5)
#   BENCH_RUNS      measured runs per figure (default 3): the figure is the median run, every run's rate printed
#                   beside it (one run on this shared 2-core machine moves by 10 % or more)
#   BENCH_WARMUP    seconds of load before a figure's runs (default 2)
#   BENCH_HOST_WARMUP  seconds of each HTTP operation at c=16 before the first HTTP figure (default 3; 0: measure
#                   from a cold start, while the JIT still compiles the request path)
#   BENCH_AZURITE   memory (default): Azurite keeps its data in memory only; disk: in a file, as infra/local/up.sh
#                   runs it. On disk Azurite rewrites its whole database file every 5 s while writes come in, so the
#                   cost of every operation grows with everything the run stored before it (docs/performance.md);
#                   Azure Table storage has no such cost, and neither mode makes a write durable when it is answered
#   BENCH_EVENTS    1 (default, as infra/local/up.sh runs): events on, the audit stream published to the
#                   host's stand-in topic; 0: events off, to see their cost
#   BENCH_HSM       1 (default): the raw in-process HSM figures; 0: skip them
#   BENCH_HTTP      1 (default): the HTTP load (encrypt, decrypt, batch, data keys, signing, RSS); 0: skip it
#   BENCH_HTTP_ONLY a comma list of encrypt, decrypt, batch, generate_data_key, sign_ec_p256, sign_rsa_2048: only
#                   those HTTP figures (and their warm-up), to profile or compare one operation; unset: all of them
#   BENCH_ENVELOPE  1 (default): Kms.Client envelope encryption and raw AesGcm; 0: skip them
#   BENCH_REWRAP    1 (default): run the rewrap benchmark; 0: skip it
#   BENCH_K8S       1 (default): Kubernetes KMS v2 plugin Encrypt/Decrypt over its unix socket; 0: skip it
#   BENCH_REVOKE    number of revocations timed end to end (default 20; needs events on; 0: skip)
# Targets of skipped parts show "not run" in the table. Only the envelope figures, for example:
#   BENCH_SECONDS=5 BENCH_HSM=0 BENCH_HTTP=0 BENCH_K8S=0 BENCH_REWRAP=0 BENCH_REVOKE=0 bench/run.sh
set -euo pipefail

seconds="${BENCH_SECONDS:-5}"

export KMS_AZURITE_PERSISTENCE="${BENCH_AZURITE:-memory}"
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
# The HTTP benchmark prints the CPU the host, Azurite and itself spend per operation (they share the machine's cores).
export BENCH_AZURITE_PID="$KMS_AZURITE_PID"
# The bench processes record their figures here; each prints the targets its figures complete, the last the table.
export BENCH_FIGURES="$data_dir/figures.tsv"
printf 'host.healthy_s\t%s\n' "$host_healthy_seconds" >>"$BENCH_FIGURES"
# The raw HSM figures run first, while the host is idle, in their own process with their own PKCS#11 sessions.
if [[ "${BENCH_HSM:-1}" != 0 ]]; then
    dotnet "$bench_dll" hsm "$seconds"
fi
if [[ "${BENCH_HTTP:-1}" != 0 ]]; then
    dotnet "$bench_dll" http "http://127.0.0.1:$kms_port" "$seconds" "$host_pid"
fi
if [[ "${BENCH_ENVELOPE:-1}" != 0 ]]; then
    dotnet "$bench_dll" envelope "http://127.0.0.1:$kms_port" "$seconds"
fi
if [[ "${BENCH_K8S:-1}" != 0 ]]; then
    dotnet "$bench_dll" k8s "http://127.0.0.1:$kms_port" "$seconds"
fi
if [[ "${BENCH_REWRAP:-1}" != 0 ]]; then
    dotnet "$bench_dll" rewrap "http://127.0.0.1:$kms_port" 10000
fi
if [[ "${BENCH_EVENTS:-1}" == 1 && "${BENCH_REVOKE:-20}" != 0 ]]; then
    dotnet "$bench_dll" revoke "http://127.0.0.1:$kms_port" "$hook_port" "${BENCH_REVOKE:-20}"
fi
dotnet "$bench_dll" summary
