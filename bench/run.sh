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

source "$(dirname "${BASH_SOURCE[0]}")/../infra/local/lib.sh"
kms_install_cleanup_trap
cd "$KMS_REPO_ROOT"

seconds="${BENCH_SECONDS:-10}"
host_dll=src/Kms.LocalHost/bin/Release/net10.0/Kms.LocalHost.dll
bench_dll=bench/Kms.Bench/bin/Release/net10.0/Kms.Bench.dll

export Kms__Hsm__LibraryPath="${Kms__Hsm__LibraryPath:-$KMS_DEFAULT_HSM_LIBRARY}"
export Kms__Hsm__TokenLabel=kms-bench
export Kms__Hsm__SoPin=bench-so-0000
export Kms__Hsm__UserPin=bench-user-0000
export Kms__Hsm__RootKeyLabel=kms-root-1
export Kms__Storage__TablePrefix=bench
# Request logging at Information costs a console write per request; benchmarks measure the service.
export Logging__LogLevel__Default=Warning

data_dir="$(mktemp -d "${TMPDIR:-/tmp}/kms-bench.XXXXXX")"
kms_on_exit "rm -rf '$data_dir'"

kms_ensure_softhsm "$Kms__Hsm__LibraryPath"
kms_ensure_azurite
kms_log "building (Release)"
dotnet build src/Kms.LocalHost -c Release -v q -nologo >/dev/null || kms_die "build of Kms.LocalHost failed"
dotnet build bench/Kms.Bench -c Release -v q -nologo >/dev/null || kms_die "build of Kms.Bench failed"

kms_softhsm_configure "$data_dir"
kms_softhsm_ensure_token "$Kms__Hsm__TokenLabel" "$Kms__Hsm__SoPin" "$Kms__Hsm__UserPin"
read -r blob_port queue_port table_port kms_port hook_port <<<"$(kms_free_ports 5)"
kms_azurite_start "$data_dir" "$blob_port" "$queue_port" "$table_port" || kms_die "Azurite did not start"
export Kms__Storage__ConnectionString="$(kms_azurite_connection_string "$blob_port" "$queue_port" "$table_port")"
dotnet "$host_dll" init-hsm >/dev/null || kms_die "key ceremony failed"
# Requests carry a real token of the development issuer and pass authentication and authorization.
export Kms__Auth__Mode=Dev
export Kms__Auth__Audience=api://kms
export Kms__Auth__DevIssuer__SigningKeyFile="$data_dir/dev-issuer.pem"
dotnet "$host_dll" init-dev-issuer >/dev/null || kms_die "creating the dev token issuer key failed"

export KMS_PORT="$kms_port"
# The rewrap jobs' table source "local" is this stack's Azurite.
export Kms__Rewrap__Connections__local="$Kms__Storage__ConnectionString"
if [[ "${BENCH_EVENTS:-1}" == 1 ]]; then
    export Kms__Events__Enabled=true Kms__LocalEventGrid__Enabled=true
    export Kms__Events__TopicKey=bench-topic-key Kms__LocalEventGrid__AccessKey=bench-topic-key
    export Kms__Events__TopicEndpoint="http://127.0.0.1:$kms_port/eventgrid/api/events"
    # The time-to-revoke benchmark's webhook: revocation events only, so the load runs do not queue audit events for it.
    export Kms__LocalEventGrid__Subscriptions__0__Name=bench-revocations
    export Kms__LocalEventGrid__Subscriptions__0__Endpoint="http://127.0.0.1:$hook_port/kms-events"
    export Kms__LocalEventGrid__Subscriptions__0__IncludedEventTypes__0=Kms.KeyVersionRevoked
    # It is down until the revocation benchmark starts it: keep the handshake retries short so it is found at once.
    export Kms__LocalEventGrid__RetryInitialDelay=00:00:01 Kms__LocalEventGrid__RetryMaxDelay=00:00:02
fi
kms_spawn dotnet "$host_dll" >"$data_dir/host.log" 2>&1
host_pid=$KMS_LAST_PID
for _ in $(seq 1 150); do
    kms_port_open "$kms_port" && break
    kill -0 "$host_pid" 2>/dev/null || { tail -n 30 "$data_dir/host.log" >&2; kms_die "Kms.LocalHost exited"; }
    sleep 0.2
done
kms_port_open "$kms_port" || kms_die "Kms.LocalHost did not open port $kms_port"

echo "machine: $(nproc) cores, $(uname -sr), $(dotnet --version) SDK; events: ${Kms__Events__Enabled:-false}"
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
