# shellcheck shell=bash
#
# Shared helpers for the local stack scripts (up.sh, test.sh). Source it; do not run it.
#
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#
# Everything here is prefixed kms_ (functions) or KMS_ (variables). Functions report problems on
# stderr; kms_die ends the script, which runs the cleanup trap installed by kms_install_cleanup_trap.
#
# Needs: bash 4.4+, node (20 or later; also used instead of jq/python3 for JSON and ports), npm,
# coreutils. Installs SoftHSM2 and promtool (Debian package prometheus) with apt-get when they are missing.

if [[ -n "${KMS_LIB_LOADED:-}" ]]; then
    return 0
fi
KMS_LIB_LOADED=1

KMS_LOCAL_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
KMS_REPO_ROOT="$(cd "$KMS_LOCAL_DIR/../.." && pwd)"
KMS_DEFAULT_HSM_LIBRARY=/usr/lib/softhsm/libsofthsm2.so

# The well-known Azurite development account (public, documented by Microsoft; not a secret).
KMS_AZURITE_ACCOUNT=devstoreaccount1
KMS_AZURITE_KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='

# Processes started through kms_spawn, in start order; the cleanup trap stops them in reverse order.
KMS_CHILD_PIDS=()
# Shell commands the cleanup trap runs after the processes are stopped (e.g. removing a temp folder).
KMS_EXIT_HOOKS=()

# Quieter dotnet output on fresh machines (no banner, no telemetry notice). The caller's values win.
export DOTNET_NOLOGO="${DOTNET_NOLOGO:-1}"
export DOTNET_CLI_TELEMETRY_OPTOUT="${DOTNET_CLI_TELEMETRY_OPTOUT:-1}"

# --- messages -------------------------------------------------------------------------------------

kms_log() { printf '[kms] %s\n' "$*" >&2; }
kms_warn() { printf '[kms] warning: %s\n' "$*" >&2; }
kms_die() {
    printf '[kms] error: %s\n' "$*" >&2
    exit 1
}

# --- privileges and packages ----------------------------------------------------------------------

# Runs a command as root: directly when we are root, through sudo when it exists, else fails.
kms_as_root() {
    if [[ $EUID -eq 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        kms_die "need root to run '$*' (not root and no sudo); run it yourself and retry"
    fi
}

# Installs Debian packages. The package lists are refreshed only when the first attempt fails
# (clean CI images often ship without lists; refreshing every time is slow).
kms_apt_install() {
    command -v apt-get >/dev/null 2>&1 || kms_die "apt-get not found: install these packages by hand: $*"
    local -a install=(env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@")
    kms_log "installing with apt-get: $*"
    if ! kms_as_root "${install[@]}"; then
        kms_log "apt-get install failed; refreshing package lists (apt-get update) and retrying"
        kms_as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q ||
            kms_die "apt-get update failed"
        kms_as_root "${install[@]}" || kms_die "apt-get install $* failed"
    fi
}

# (a) Makes sure softhsm2-util and the SoftHSM2 PKCS#11 library are present.
#     $1: library path (default /usr/lib/softhsm/libsofthsm2.so).
# The tests check signatures with the openssl command line, as a user of the public keys would; minimal
# Debian images have the library but not the command.
kms_ensure_openssl() {
    command -v openssl >/dev/null 2>&1 || kms_apt_install openssl
    command -v openssl >/dev/null 2>&1 || kms_die "openssl still not found after installing it"
}

kms_ensure_softhsm() {
    local library="${1:-$KMS_DEFAULT_HSM_LIBRARY}"
    if ! command -v softhsm2-util >/dev/null 2>&1 || [[ ! -f "$library" ]]; then
        kms_apt_install softhsm2
    fi
    command -v softhsm2-util >/dev/null 2>&1 || kms_die "softhsm2-util still not found after installing softhsm2"
    [[ -f "$library" ]] || kms_die "SoftHSM2 library not found at $library (set Kms__Hsm__LibraryPath)"
}

# Makes sure a headless-capable Chromium is present for the operator console's end-to-end test, and exports its
# path as KMS_CHROMIUM (the test fails, rather than skips, without it).
kms_ensure_chromium() {
    local chromium
    chromium="$(command -v chromium || true)"
    if [[ -z "$chromium" ]]; then
        kms_apt_install chromium
        chromium="$(command -v chromium || true)"
    fi
    [[ -n "$chromium" ]] || kms_die "chromium still not found after installing it"
    export KMS_CHROMIUM="$chromium"
}

# Makes sure promtool (Prometheus' rule checker and unit-test runner) is present. Debian ships it in the
# `prometheus` package, which also installs the Prometheus server as a service: the install runs under a
# policy-rc.d that forbids starting services (unless the machine already has one), and on a systemd machine the
# service is disabled again, so nothing is left running or starting at boot because of the tests.
kms_ensure_promtool() {
    command -v promtool >/dev/null 2>&1 && return 0
    local policy=/usr/sbin/policy-rc.d
    if [[ ! -e "$policy" ]]; then
        KMS_POLICY_RC_CREATED=1
        kms_on_exit kms__remove_policy_rc
        kms_as_root sh -c "printf '#!/bin/sh\n# written by infra/local/lib.sh while installing promtool\nexit 101\n' >$policy && chmod 755 $policy" ||
            kms_die "could not write $policy to keep the prometheus service from starting"
    fi
    kms_apt_install prometheus
    kms__remove_policy_rc
    if [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null 2>&1; then
        kms_log "disabling the prometheus service the package installed (only promtool is needed)"
        kms_as_root systemctl disable --now prometheus >/dev/null 2>&1 || kms_warn "could not disable the prometheus service"
    fi
    command -v promtool >/dev/null 2>&1 || kms_die "promtool still not found after installing prometheus"
}

kms__remove_policy_rc() {
    if [[ "${KMS_POLICY_RC_CREATED:-}" == 1 ]]; then
        kms_as_root rm -f /usr/sbin/policy-rc.d || kms_warn "could not remove /usr/sbin/policy-rc.d"
        KMS_POLICY_RC_CREATED=
    fi
}

kms_ensure_node() {
    command -v node >/dev/null 2>&1 || kms_die "node not found: install Node.js 20 or later"
    command -v npm >/dev/null 2>&1 || kms_die "npm not found: install npm (it comes with Node.js)"
    local major
    major="$(node -p 'process.versions.node.split(".")[0]')"
    ((major >= 20)) || kms_die "Node.js $(node -v) is too old for Azurite 3.37: install Node.js 20 or later"
}

# Prints why infra/local/node_modules needs an `npm ci`, or nothing when the install is current.
kms__azurite_install_reason() {
    local dir="$KMS_LOCAL_DIR"
    if [[ ! -x "$dir/node_modules/.bin/azurite" ]]; then
        echo "not installed"
    elif [[ ! -f "$dir/node_modules/.package-lock.json" || "$dir/node_modules/.package-lock.json" -ot "$dir/package-lock.json" ]]; then
        echo "package-lock.json is newer than the installed packages"
    elif ! node -e '
        const [lockPath, pkgPath] = process.argv.slice(1);
        const locked = require(lockPath).packages["node_modules/azurite"].version;
        process.exit(require(pkgPath).version === locked ? 0 : 1);
    ' "$dir/package-lock.json" "$dir/node_modules/azurite/package.json" 2>/dev/null; then
        echo "installed version differs from package-lock.json"
    fi
}

# (b) Makes sure Azurite is installed in infra/local/node_modules at the version of the committed
#     lock. Runs `npm ci` when it is missing, when the lock changed after the last install, or when
#     the installed version differs from the locked one. Several scripts may start at once (e.g.
#     parallel test runs): the check and install run under a lock on package-lock.json (npm ci only
#     reads that file), so only one of them installs and the others wait and reuse it.
kms_ensure_azurite() {
    kms_ensure_node
    local dir="$KMS_LOCAL_DIR" reason lock_fd=""
    KMS_AZURITE_BIN="$dir/node_modules/.bin/azurite"
    reason="$(kms__azurite_install_reason)"
    [[ -n "$reason" ]] || return 0

    if command -v flock >/dev/null 2>&1; then
        exec {lock_fd}<"$dir/package-lock.json"
        flock -w 900 "$lock_fd" || kms_die "timed out waiting for another npm ci in $dir"
        reason="$(kms__azurite_install_reason)" # another script may have installed meanwhile
    fi
    if [[ -n "$reason" ]]; then
        kms_log "installing Azurite with npm ci in ${dir#"$KMS_REPO_ROOT"/} ($reason)"
        (cd "$dir" && npm ci --no-audit --no-fund) || kms_die "npm ci failed in $dir"
        [[ -x "$KMS_AZURITE_BIN" ]] || kms_die "npm ci did not install node_modules/.bin/azurite"
    fi
    if [[ -n "$lock_fd" ]]; then
        exec {lock_fd}<&-
    fi
}

# --- ports ----------------------------------------------------------------------------------------

# (c) Prints N distinct free TCP ports on 127.0.0.1, separated by spaces (default N=1).
#     All N sockets are bound at the same time so the ports are distinct; they are closed before
#     printing, so a port can in theory be taken by someone else before it is used.
kms_free_ports() {
    local count="${1:-1}"
    node -e '
        const net = require("net");
        const count = Number(process.argv[1]);
        const servers = [];
        let listening = 0;
        for (let i = 0; i < count; i++) {
            const server = net.createServer();
            server.on("error", (e) => { console.error(e.message); process.exit(1); });
            server.listen(0, "127.0.0.1", () => {
                if (++listening < count) return;
                const ports = servers.map((s) => s.address().port);
                servers.forEach((s) => s.close());
                console.log(ports.join(" "));
            });
            servers.push(server);
        }
    ' "$count"
}

# True when something accepts TCP connections on 127.0.0.1:$1 (bash /dev/tcp; no curl/nc needed).
kms_port_open() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Fails with a clear message when a port we are about to listen on is already taken.
kms_require_port_free() {
    local port="$1" what="$2" variable="$3"
    if kms_port_open "$port"; then
        kms_die "port $port for $what is already in use (another Azurite or KMS still running?); stop it or set $variable"
    fi
}

# --- SoftHSM2 ---------------------------------------------------------------------------------------

# (d) Writes <data>/softhsm2.conf with the token folder under <data>/softhsm/tokens and exports
#     SOFTHSM2_CONF, so that softhsm2-util and the PKCS#11 library use only this folder.
kms_softhsm_configure() {
    local data="$1"
    local tokens="$data/softhsm/tokens"
    mkdir -p "$tokens"
    cat >"$data/softhsm2.conf" <<EOF
# Written by infra/local/lib.sh. SoftHSM2 configuration of the local KMS stack.
directories.tokendir = $tokens
objectstore.backend = file
log.level = ERROR
EOF
    export SOFTHSM2_CONF="$data/softhsm2.conf"
}

# True when a token with exactly this label exists (softhsm2-util pads labels with spaces).
kms_softhsm_token_exists() {
    local label="$1"
    softhsm2-util --show-slots 2>/dev/null | awk -v label="$label" '
        /^[ \t]*Label:/ {
            sub(/^[ \t]*Label:[ \t]*/, "")
            sub(/[ \t]+$/, "")
            if ($0 == label) found = 1
        }
        END { exit found ? 0 : 1 }
    '
}

# (e) Creates the token unless one with the label exists. An existing token (and every key in it)
#     is never re-initialised. Needs SOFTHSM2_CONF (kms_softhsm_configure).
kms_softhsm_ensure_token() {
    local label="$1" so_pin="$2" user_pin="$3"
    [[ -n "${SOFTHSM2_CONF:-}" ]] || kms_die "SOFTHSM2_CONF is not set (call kms_softhsm_configure first)"
    [[ -n "$label" && -n "$so_pin" && -n "$user_pin" ]] || kms_die "token label, SO PIN and user PIN are all required"
    if kms_softhsm_token_exists "$label"; then
        kms_log "SoftHSM2 token '$label' exists; keeping it"
        return 0
    fi
    kms_log "creating SoftHSM2 token '$label'"
    # --free picks the first uninitialised slot; the slot id changes on init, so the host must
    # find the token by label.
    softhsm2-util --init-token --free --label "$label" --so-pin "$so_pin" --pin "$user_pin" >/dev/null ||
        kms_die "softhsm2-util --init-token failed for token '$label'"
    kms_softhsm_token_exists "$label" || kms_die "token '$label' not visible after creating it"
}

# --- Azurite ----------------------------------------------------------------------------------------

# (g) Prints the connection string for an Azurite on 127.0.0.1 with these ports.
kms_azurite_connection_string() {
    local blob="$1" queue="$2" table="$3"
    local base="http://127.0.0.1"
    printf 'DefaultEndpointsProtocol=http;AccountName=%s;AccountKey=%s;BlobEndpoint=%s:%s/%s;QueueEndpoint=%s:%s/%s;TableEndpoint=%s:%s/%s;\n' \
        "$KMS_AZURITE_ACCOUNT" "$KMS_AZURITE_KEY" \
        "$base" "$blob" "$KMS_AZURITE_ACCOUNT" \
        "$base" "$queue" "$KMS_AZURITE_ACCOUNT" \
        "$base" "$table" "$KMS_AZURITE_ACCOUNT"
}

# (f) Starts Azurite (blob, queue, table) on 127.0.0.1 with its data in <data>/azurite and its
#     output in <data>/azurite.log, then waits until the three ports accept connections.
#     Sets KMS_AZURITE_PID. Returns 1 (after printing the log tail) when Azurite does not come up.
#     Args: data blob_port queue_port table_port. Needs kms_ensure_azurite first.
#     KMS_AZURITE_PERSISTENCE=memory keeps Azurite's data in memory only (--inMemoryPersistence; gone when it stops):
#     for throw-away stacks whose load would otherwise grow the database file that Azurite rewrites whole every 5 s
#     (see docs/performance.md). Default: disk, in <data>/azurite.
kms_azurite_start() {
    local data="$1" blob="$2" queue="$3" table="$4"
    local timeout="${KMS_AZURITE_START_TIMEOUT:-60}"
    local log="$data/azurite.log"
    [[ -n "${KMS_AZURITE_BIN:-}" ]] || kms_die "call kms_ensure_azurite before kms_azurite_start"
    mkdir -p "$data/azurite"
    local -a persistence=(--location "$data/azurite")
    local where="$data/azurite"
    case "${KMS_AZURITE_PERSISTENCE:-disk}" in
        disk) ;;
        memory) persistence=(--inMemoryPersistence) where="memory only" ;;
        *) kms_die "KMS_AZURITE_PERSISTENCE must be disk or memory, not '${KMS_AZURITE_PERSISTENCE}'" ;;
    esac

    kms_log "starting Azurite (blob $blob, queue $queue, table $table), data in $where"
    # In a session of its own: Ctrl-C in the terminal reaches the whole foreground process group, and Azurite
    # (Node resets the ignored SIGINT of a background job) would die at once, while the host still needs storage to
    # stop (Durable Task releases its partitions). The cleanup trap stops the host first, then Azurite's group.
    kms_spawn setsid "$KMS_AZURITE_BIN" \
        --blobHost 127.0.0.1 --blobPort "$blob" \
        --queueHost 127.0.0.1 --queuePort "$queue" \
        --tableHost 127.0.0.1 --tablePort "$table" \
        "${persistence[@]}" \
        --skipApiVersionCheck --loose --silent --disableTelemetry \
        >"$log" 2>&1
    KMS_AZURITE_PID="$KMS_LAST_PID"
    echo "$KMS_AZURITE_PID" >"$data/azurite.pid"

    local deadline=$((SECONDS + timeout)) port
    while :; do
        if ! kill -0 "$KMS_AZURITE_PID" 2>/dev/null; then
            kms_warn "Azurite exited during start-up; last lines of $log:"
            tail -n 20 "$log" >&2 || true
            return 1
        fi
        local ready=1
        for port in "$table" "$blob" "$queue"; do
            kms_port_open "$port" || { ready=0; break; }
        done
        if ((ready)); then
            kms_log "Azurite is up (pid $KMS_AZURITE_PID)"
            return 0
        fi
        if ((SECONDS >= deadline)); then
            kms_warn "Azurite did not accept connections within ${timeout}s; last lines of $log:"
            tail -n 20 "$log" >&2 || true
            return 1
        fi
        sleep 0.2
    done
}

# --- local settings ---------------------------------------------------------------------------------

# (h) Exports every entry of "Values" in an Azure Functions local settings file as an environment
#     variable. Like Functions Core Tools, a variable already set in the environment wins over the
#     file. Names that are not valid shell variable names (e.g. with dots) are skipped with a warning.
kms_settings_export() {
    local file="$1"
    [[ -f "$file" ]] || kms_die "settings file not found: $file"
    local pairs
    pairs="$(mktemp)"
    # name NUL value NUL ... so values may hold any character (';', '=', quotes, newlines).
    # shellcheck disable=SC2016 # JavaScript template literals, not shell expansions
    if ! node -e '
        const fs = require("fs");
        const file = process.argv[1];
        let settings;
        try { settings = JSON.parse(fs.readFileSync(file, "utf8")); }
        catch (e) { console.error(`cannot read ${file}: ${e.message}`); process.exit(1); }
        const values = settings.Values ?? {};
        for (const [name, value] of Object.entries(values)) {
            if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
                console.error(`[kms] warning: skipping setting "${name}": not a valid environment variable name`);
                continue;
            }
            const text = value === null ? "" : typeof value === "object" ? JSON.stringify(value) : String(value);
            process.stdout.write(name + "\0" + text + "\0");
        }
    ' "$file" >"$pairs"; then
        rm -f "$pairs"
        kms_die "could not read the Values of $file"
    fi
    local name value
    while IFS= read -r -d '' name && IFS= read -r -d '' value; do
        if [[ -n "${!name+set}" ]]; then
            kms_log "keeping $name from the environment (overrides ${file##*/})"
        else
            export "$name=$value"
        fi
    done <"$pairs"
    rm -f "$pairs"
}

# --- processes and cleanup --------------------------------------------------------------------------

# Starts a command in the background, records its PID for the cleanup trap and sets KMS_LAST_PID.
# Redirections given with the call apply to the command.
kms_spawn() {
    "$@" &
    KMS_LAST_PID=$!
    KMS_CHILD_PIDS+=("$KMS_LAST_PID")
}

# Runs a command as a tracked child and waits for it; returns its exit code. Running it in the
# background and waiting (rather than running it in the foreground) lets the INT/TERM trap fire at
# once and stop it, instead of waiting for the command to finish on its own.
kms_run() {
    kms_spawn "$@"
    local rc=0
    wait "$KMS_LAST_PID" || rc=$?
    return "$rc"
}

# Registers a shell command the cleanup trap runs after stopping the child processes.
kms_on_exit() {
    KMS_EXIT_HOOKS+=("$1")
}

# Process state from /proc (ps may be missing on slim images): prints "<state> <pgid>" of a pid.
kms__proc_state() {
    local stat fields
    { stat="$(<"/proc/$1/stat")"; } 2>/dev/null || return 1
    # Fields after "pid (comm) " are: state ppid pgrp ...; comm may hold spaces, so cut at the last ")".
    read -r -a fields <<<"${stat##*) }"
    echo "${fields[0]} ${fields[2]}"
}

# True while the process runs (exists and is not a zombie waiting to be reaped).
kms__pid_alive() {
    local state
    state="$(kms__proc_state "$1")" || return 1
    [[ "${state%% *}" != Z ]]
}

# True while any process of the process group runs.
kms__group_alive() {
    local stat_file pid state
    for stat_file in /proc/[0-9]*/stat; do
        pid="${stat_file#/proc/}"
        pid="${pid%/stat}"
        state="$(kms__proc_state "$pid")" || continue
        [[ "${state#* }" == "$1" && "${state%% *}" != Z ]] && return 0
    done
    return 1
}

# Stops one process: SIGTERM, up to KMS_STOP_TIMEOUT seconds (default 10) to exit, then SIGKILL.
# A process that leads its own process group (e.g. `timeout`, which moves itself and the command
# it runs into a new group) is stopped as a group, so its children (test hosts) go with it.
kms_stop_pid() {
    local pid="$1" state
    state="$(kms__proc_state "$pid")" || { wait "$pid" 2>/dev/null || true; return 0; }
    local target="$pid" running=kms__pid_alive
    if [[ "${state#* }" == "$pid" ]]; then
        target="-$pid"
        running=kms__group_alive
    fi
    if $running "$pid"; then
        kill -TERM -- "$target" 2>/dev/null || true
        local deadline=$((SECONDS + ${KMS_STOP_TIMEOUT:-10}))
        while $running "$pid" && ((SECONDS < deadline)); do
            sleep 0.1
        done
        if $running "$pid"; then
            kms_warn "process $pid did not stop within ${KMS_STOP_TIMEOUT:-10}s of SIGTERM; killing it"
            kill -KILL -- "$target" 2>/dev/null || true
        fi
    fi
    wait "$pid" 2>/dev/null || true
}

# (i) Stops every process started with kms_spawn (newest first), then runs the exit hooks.
#     Safe to call more than once.
kms_cleanup() {
    local i
    for ((i = ${#KMS_CHILD_PIDS[@]} - 1; i >= 0; i--)); do
        kms_stop_pid "${KMS_CHILD_PIDS[i]}"
    done
    KMS_CHILD_PIDS=()
    for ((i = 0; i < ${#KMS_EXIT_HOOKS[@]}; i++)); do
        eval "${KMS_EXIT_HOOKS[i]}" || true
    done
    KMS_EXIT_HOOKS=()
}

kms__on_exit() {
    local rc=$?
    trap - EXIT
    # A second Ctrl-C while stopping must not leave processes behind.
    trap '' INT TERM
    kms_cleanup
    exit "$rc"
}

# Installs the trap: on EXIT, Ctrl-C (INT) and TERM every started process is stopped. INT and TERM
# exit with 130/143, which runs the EXIT trap.
kms_install_cleanup_trap() {
    trap kms__on_exit EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

# --- Prometheus rules ------------------------------------------------------------------------------

# Checks the Prometheus rule files of <dir> (`promtool check rules`, one test per file) and runs the unit tests
# of <dir>/tests (`promtool test rules`, one test per file), and writes the outcome as <results>/promtool.trx, so
# kms_trx_summary counts them with the .NET tests ("promtool: N passed, M failed"). Returns 1 when any failed;
# promtool's output of a failure is printed on stderr and kept in the .trx.
kms_promtool_checks() {
    local dir="$1" results="$2"
    local -a names=() outcomes=() outputs=()
    local file output rc failed=0
    for file in "$dir"/*.yml; do
        [[ -e "$file" ]] || continue
        rc=0
        output="$(promtool check rules "$file" 2>&1)" || rc=$?
        names+=("promtool check rules ${file#"$KMS_REPO_ROOT"/}")
        outputs+=("$output")
        if ((rc == 0)); then outcomes+=(Passed); else outcomes+=(Failed); failed=$((failed + 1)); fi
    done
    for file in "$dir"/tests/*.yml; do
        [[ -e "$file" ]] || continue
        rc=0
        output="$(promtool test rules "$file" 2>&1)" || rc=$?
        names+=("promtool test rules ${file#"$KMS_REPO_ROOT"/}")
        outputs+=("$output")
        if ((rc == 0)); then outcomes+=(Passed); else outcomes+=(Failed); failed=$((failed + 1)); fi
    done
    local i
    for ((i = 0; i < ${#names[@]}; i++)); do
        if [[ "${outcomes[i]}" == Passed ]]; then
            kms_log "passed: ${names[i]}"
        else
            kms_warn "FAILED: ${names[i]}"
            printf '%s\n' "${outputs[i]}" >&2
        fi
    done
    for ((i = 0; i < ${#names[@]}; i++)); do
        printf '%s\0%s\0%s\0' "${names[i]}" "${outcomes[i]}" "${outputs[i]}"
    done | kms_write_trx "$results/promtool.trx" promtool
    ((failed == 0))
}

# Writes a .trx file that kms_trx_summary counts like a `dotnet test` result, for checks that are not .NET tests
# (promtool, bicep). Reads NUL-separated triples "name, outcome (Passed|Failed), output" from stdin; node writes the
# XML because escaping is easier there than in bash.
kms_write_trx() {
    local file="$1" run="$2"
    mkdir -p "$(dirname "$file")"
    node -e '
        const fs = require("fs");
        const [file, run] = process.argv.slice(1);
        const parts = fs.readFileSync(0, "utf8").split("\0");
        const esc = (s) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
        const results = [], definitions = [];
        let passed = 0, failed = 0;
        for (let i = 0; i + 2 < parts.length; i += 3) {
            const [name, outcome, output] = parts.slice(i, i + 3);
            const id = `00000000-0000-0000-0000-${String(i / 3).padStart(12, "0")}`;
            outcome === "Passed" ? passed++ : failed++;
            results.push(`    <UnitTestResult testId="${id}" testName="${esc(name)}" outcome="${outcome}"><Output><StdOut>${esc(output)}</StdOut></Output></UnitTestResult>`);
            definitions.push(`    <UnitTest id="${id}" name="${esc(name)}" storage="${esc(run)}"><TestMethod codeBase="${esc(run)}" className="${esc(run)}" name="${esc(name)}" /></UnitTest>`);
        }
        const total = passed + failed;
        fs.writeFileSync(file, [
            `<?xml version="1.0" encoding="utf-8"?>`,
            `<TestRun name="${esc(run)}" xmlns="http://microsoft.com/schemas/VisualStudio/TeamTest/2010">`,
            `  <Results>`, ...results, `  </Results>`,
            `  <TestDefinitions>`, ...definitions, `  </TestDefinitions>`,
            `  <ResultSummary outcome="${failed ? "Failed" : "Completed"}">`,
            `    <Counters total="${total}" executed="${total}" passed="${passed}" failed="${failed}" error="0" timeout="0" aborted="0" />`,
            `  </ResultSummary>`,
            `</TestRun>`, ""].join("\n"));
    ' "$file" "$run" || kms_die "could not write $file"
}

# --- test results -----------------------------------------------------------------------------------

# Sums the <Counters> of every .trx file under a folder. Prints one line per test project and, as the
# last line, "N passed, M failed" over all of them. "failed" counts failed, error, timeout and aborted
# results. Returns 1 when anything failed.
kms_trx_summary() {
    local dir="$1"
    node - "$dir" <<'JS'
const fs = require("fs");
const path = require("path");

function findTrx(dir) {
    if (!fs.existsSync(dir)) return [];
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) return findTrx(full);
        return entry.name.endsWith(".trx") ? [full] : [];
    });
}

function attributes(text) {
    const result = {};
    for (const [, name, value] of text.matchAll(/([A-Za-z]+)="([^"]*)"/g)) result[name] = value;
    return result;
}

const files = findTrx(process.argv[2]).sort();
const rows = [];
let passed = 0;
let failed = 0;
for (const file of files) {
    const xml = fs.readFileSync(file, "utf8");
    const countersTag = xml.match(/<Counters\b([^>]*)>/);
    if (!countersTag) {
        console.log(`  ${path.basename(file)}: no <Counters> element (run aborted?)`);
        continue;
    }
    const c = attributes(countersTag[1]);
    const n = (name) => Number(c[name] ?? 0);
    const p = n("passed");
    let f = n("failed") + n("error") + n("timeout") + n("aborted");
    // A crashed test host ends the run "Aborted" with no failed test counted: count the run itself as one failure, so
    // the totals line never says "0 failed" about a run that failed.
    const outcome = (xml.match(/<ResultSummary\b[^>]*\boutcome="([^"]*)"/) ?? [])[1] ?? "";
    const aborted = f === 0 && /^(Aborted|Failed|Error)$/i.test(outcome);
    if (aborted) f = 1;
    // The test assembly path: <TestMethod codeBase> keeps its case (<UnitTest storage> is lower-cased);
    // a run without tests has neither, then the file name stands in.
    const assembly = xml.match(/<TestMethod\b[^>]*\bcodeBase="([^"]+)"/) ?? xml.match(/<UnitTest\b[^>]*\bstorage="([^"]+)"/);
    const project = assembly ? path.basename(assembly[1].replace(/\\/g, "/")).replace(/\.dll$/i, "") : path.basename(file);
    // A project whose tests a --filter excluded ran nothing: leave it out of the per-project lines.
    if (!assembly && n("total") === 0 && f === 0) continue;
    if (aborted) console.log(`  ${project}: the run ended ${outcome} without a failed test (test host crashed?); counted as 1 failed`);
    rows.push({ project, p, f, total: Math.max(n("total"), p + f) });
    passed += p;
    failed += f;
}
if (rows.length === 0) console.log("  no test results (.trx) found");
rows.sort((a, b) => a.project.localeCompare(b.project));
for (const r of rows) console.log(`  ${r.project}: ${r.p} passed, ${r.f} failed (${r.total} total)`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
JS
}

# --- Bicep (bicep/ templates) ------------------------------------------------------------------------------------------
# The Bicep CLI comes from the NuGet package Azure.Bicep.CommandLine.linux-x64 at the version pinned in
# Directory.Packages.props, restored by tools/Bicep/Bicep.csproj like any other package. It embeds the Azure resource
# types, so build and lint need no network (bicep/ uses no registry module or extension).

# Restores tools/Bicep and sets KMS_BICEP_BIN to the CLI in the NuGet package folder. Returns 1 when it is missing.
kms_ensure_bicep() {
    local version packages
    version="$(sed -n 's/.*Include="Azure.Bicep.CommandLine.linux-x64" Version="\([^"]*\)".*/\1/p' "$KMS_REPO_ROOT/Directory.Packages.props")"
    [[ -n "$version" ]] || { kms_warn "no Azure.Bicep.CommandLine.linux-x64 version in Directory.Packages.props"; return 1; }
    dotnet restore "$KMS_REPO_ROOT/tools/Bicep/Bicep.csproj" -v q -nologo >&2 || { kms_warn "dotnet restore tools/Bicep failed"; return 1; }
    packages="${NUGET_PACKAGES:-$(dotnet nuget locals global-packages -l | sed 's/^global-packages: *//')}"
    KMS_BICEP_BIN="${packages%/}/azure.bicep.commandline.linux-x64/$version/tools/bicep"
    [[ -f "$KMS_BICEP_BIN" ]] || { kms_warn "Bicep CLI not found at $KMS_BICEP_BIN after restore"; return 1; }
    [[ -x "$KMS_BICEP_BIN" ]] || chmod +x "$KMS_BICEP_BIN"
}

# Builds and lints bicep/ and records each step as one test in <results>/bicep.trx, so kms_trx_summary counts them:
#   bicep build main.bicep, bicep build-params main.dev.bicepparam, bicep lint main.bicep.
# A step fails on a non-zero exit or on any warning or error it prints (bicepconfig.json makes the security rules
# errors; a warning fails too, so no new finding slips in). Returns 1 when a step failed.
kms_bicep_check() {
    local results="$1" out_dir name output rc failed=0
    local -a names=() outcomes=() outputs=()
    out_dir="$(mktemp -d "${TMPDIR:-/tmp}/kms-bicep.XXXXXX")"
    local -a steps=(
        "bicep build main.bicep|build $KMS_REPO_ROOT/bicep/main.bicep --outdir $out_dir"
        "bicep build-params main.dev.bicepparam|build-params $KMS_REPO_ROOT/bicep/main.dev.bicepparam --outfile $out_dir/main.dev.parameters.json"
        "bicep lint main.bicep|lint $KMS_REPO_ROOT/bicep/main.bicep"
    )
    local have_cli=1 step
    kms_ensure_bicep || have_cli=0
    for step in "${steps[@]}"; do
        name="${step%%|*}"
        names+=("$name")
        if ((!have_cli)); then
            outcomes+=(Failed)
            outputs+=("Bicep CLI not available (see the warning above)")
            failed=1
            continue
        fi
        kms_log "$name"
        rc=0
        # shellcheck disable=SC2086 # the step's arguments are split on purpose (paths without spaces)
        output="$(timeout 5m "$KMS_BICEP_BIN" ${step#*|} 2>&1)" || rc=$?
        [[ -z "$output" ]] || printf '%s\n' "$output" >&2
        outputs+=("$output")
        if ((rc != 0)) || grep -Eq ' : (Warning|Error) ' <<<"$output"; then
            kms_warn "$name failed"
            outcomes+=(Failed)
            failed=1
        else
            outcomes+=(Passed)
        fi
    done
    rm -rf "$out_dir"

    local i
    for i in "${!names[@]}"; do
        printf '%s\0%s\0%s\0' "${names[i]}" "${outcomes[i]}" "${outputs[i]:-}"
    done | kms_write_trx "$results/bicep.trx" bicep
    return "$failed"
}
