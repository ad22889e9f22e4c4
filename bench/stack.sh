# shellcheck shell=bash
# The throw-away stack the benchmarks run against (sourced by bench/run.sh and bench/soak.sh): a SoftHSM2 token,
# Azurite and Kms.LocalHost on free ports in a temporary folder, requests authenticated by the development issuer,
# request logging off. Like infra/local/test.sh, it installs SoftHSM2 and Azurite when missing.

source "$(dirname "${BASH_SOURCE[0]}")/../infra/local/lib.sh"
kms_install_cleanup_trap
cd "$KMS_REPO_ROOT"

host_dll=src/Kms.LocalHost/bin/Release/net10.0/Kms.LocalHost.dll
bench_dll=bench/Kms.Bench/bin/Release/net10.0/Kms.Bench.dll

# Builds, creates the token and the root key, starts Azurite and prepares the host's settings; the host is started by
# kms_bench_start_host, so the caller can add settings in between. Sets data_dir, kms_port and extra_port (a free
# port for the caller's own use, e.g. a webhook). Events are on (published to the host's own stand-in topic) when
# <events> is 1, as infra/local/up.sh runs.
kms_bench_prepare() {
    local name="$1" events="$2"
    export Kms__Hsm__LibraryPath="${Kms__Hsm__LibraryPath:-$KMS_DEFAULT_HSM_LIBRARY}"
    export Kms__Hsm__TokenLabel=kms-bench
    export Kms__Hsm__SoPin=bench-so-0000
    export Kms__Hsm__UserPin=bench-user-0000
    export Kms__Hsm__RootKeyLabel=kms-root-1
    export Kms__Storage__TablePrefix=bench
    # Request logging at Information costs a console write per request; benchmarks measure the service.
    export Logging__LogLevel__Default=Warning

    data_dir="$(mktemp -d "${TMPDIR:-/tmp}/kms-$name.XXXXXX")"
    kms_on_exit "rm -rf '$data_dir'"

    kms_ensure_softhsm "$Kms__Hsm__LibraryPath"
    kms_ensure_azurite
    kms_log "building (Release)"
    dotnet build src/Kms.LocalHost -c Release -v q -nologo >/dev/null || kms_die "build of Kms.LocalHost failed"
    dotnet build bench/Kms.Bench -c Release -v q -nologo >/dev/null || kms_die "build of Kms.Bench failed"

    kms_softhsm_configure "$data_dir"
    kms_softhsm_ensure_token "$Kms__Hsm__TokenLabel" "$Kms__Hsm__SoPin" "$Kms__Hsm__UserPin"
    local blob_port queue_port table_port
    read -r blob_port queue_port table_port kms_port extra_port <<<"$(kms_free_ports 5)"
    kms_azurite_start "$data_dir" "$blob_port" "$queue_port" "$table_port" || kms_die "Azurite did not start"
    export Kms__Storage__ConnectionString="$(kms_azurite_connection_string "$blob_port" "$queue_port" "$table_port")"
    dotnet "$host_dll" init-hsm >/dev/null || kms_die "key ceremony failed"
    # Requests carry a real token of the development issuer and pass authentication and authorization.
    export Kms__Auth__Mode=Dev
    export Kms__Auth__Audience=api://kms
    export Kms__Auth__DevIssuer__SigningKeyFile="$data_dir/dev-issuer.pem"
    dotnet "$host_dll" init-dev-issuer >/dev/null || kms_die "creating the dev token issuer key failed"

    export KMS_PORT="$kms_port"
    if [[ "$events" == 1 ]]; then
        export Kms__Events__Enabled=true Kms__LocalEventGrid__Enabled=true
        export Kms__Events__TopicKey="$name-topic-key" Kms__LocalEventGrid__AccessKey="$name-topic-key"
        export Kms__Events__TopicEndpoint="http://127.0.0.1:$kms_port/eventgrid/api/events"
    fi
}

# Starts Kms.LocalHost with the settings prepared above and waits until GET /api/health answers 200. Sets host_pid
# and host_healthy_seconds: from the spawn of the (already built) host to that first 200.
kms_bench_start_host() {
    local started="$EPOCHREALTIME" healthy=""
    kms_spawn dotnet "$host_dll" >"$data_dir/host.log" 2>&1
    host_pid=$KMS_LAST_PID
    for _ in $(seq 1 600); do
        if [[ "$(kms_bench_http_status "$kms_port" /api/health)" == 200 ]]; then
            healthy="$EPOCHREALTIME"
            break
        fi
        kill -0 "$host_pid" 2>/dev/null || { tail -n 30 "$data_dir/host.log" >&2; kms_die "Kms.LocalHost exited"; }
        sleep 0.05
    done
    [[ -n "$healthy" ]] || kms_die "Kms.LocalHost was not healthy on port $kms_port within 30 s (see $data_dir/host.log)"
    # EPOCHREALTIME is seconds.microseconds: subtract in microseconds, print seconds.
    local micros=$(( ${healthy/./} - ${started/./} ))
    host_healthy_seconds="$(printf '%d.%03d' $((micros / 1000000)) $(((micros % 1000000) / 1000)))"
    echo "host healthy after $host_healthy_seconds s (spawn to the first 200 from /api/health)"
    echo "machine: $(nproc) cores, $(uname -sr), $(dotnet --version) SDK; events: ${Kms__Events__Enabled:-false}; Azurite data: ${KMS_AZURITE_PERSISTENCE:-disk}"
}

# The status code of GET http://127.0.0.1:<port><path>, empty when nothing answers (bash /dev/tcp, as kms_port_open).
kms_bench_http_status() (
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 0
    printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' "$2" >&3
    local protocol status
    read -r -t 5 protocol status _ <&3 || true
    echo "${status:-}"
) 2>/dev/null
