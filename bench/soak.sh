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

source "$(dirname "${BASH_SOURCE[0]}")/../infra/local/lib.sh"
kms_install_cleanup_trap
cd "$KMS_REPO_ROOT"

minutes="${SOAK_MINUTES:-10}"
rate="${SOAK_RATE:-0}"
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

data_dir="$(mktemp -d "${TMPDIR:-/tmp}/kms-soak.XXXXXX")"
kms_on_exit "rm -rf '$data_dir'"

kms_ensure_softhsm "$Kms__Hsm__LibraryPath"
kms_ensure_azurite
kms_log "building (Release)"
dotnet build src/Kms.LocalHost -c Release -v q -nologo >/dev/null || kms_die "build of Kms.LocalHost failed"
dotnet build bench/Kms.Bench -c Release -v q -nologo >/dev/null || kms_die "build of Kms.Bench failed"

kms_softhsm_configure "$data_dir"
kms_softhsm_ensure_token "$Kms__Hsm__TokenLabel" "$Kms__Hsm__SoPin" "$Kms__Hsm__UserPin"
read -r blob_port queue_port table_port kms_port <<<"$(kms_free_ports 4)"
kms_azurite_start "$data_dir" "$blob_port" "$queue_port" "$table_port" || kms_die "Azurite did not start"
export Kms__Storage__ConnectionString="$(kms_azurite_connection_string "$blob_port" "$queue_port" "$table_port")"
dotnet "$host_dll" init-hsm >/dev/null || kms_die "key ceremony failed"
# Requests carry a real token of the development issuer and pass authentication and authorization.
export Kms__Auth__Mode=Dev
export Kms__Auth__Audience=api://kms
export Kms__Auth__DevIssuer__SigningKeyFile="$data_dir/dev-issuer.pem"
dotnet "$host_dll" init-dev-issuer >/dev/null || kms_die "creating the dev token issuer key failed"

export KMS_PORT="$kms_port"
if [[ "${SOAK_EVENTS:-1}" == 1 ]]; then
    export Kms__Events__Enabled=true Kms__LocalEventGrid__Enabled=true
    export Kms__Events__TopicKey=soak-topic-key Kms__LocalEventGrid__AccessKey=soak-topic-key
    export Kms__Events__TopicEndpoint="http://127.0.0.1:$kms_port/eventgrid/api/events"
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
dotnet "$bench_dll" soak "http://127.0.0.1:$kms_port" "$minutes" "$rate" "$host_pid"
