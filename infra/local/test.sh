#!/usr/bin/env bash
#
# Runs every test of KmsFunctions.sln against a throw-away local stack: a fresh SoftHSM2 token and
# an Azurite on free ports, both in a temporary folder. Extra arguments go to `dotnet test`, e.g.
#
#   infra/local/test.sh --filter "FullyQualifiedName~Kms.Core"
#
# Before the build it checks the Prometheus rules in infra/observability/prometheus and runs their
# promtool unit tests (always, whatever the filter); each rules file and each unit-test file counts as
# one test, under "promtool" in the summary.
#
# The last line of output is always "N passed, M failed" (totals over all test projects and promtool).
# The exit code is non-zero when the build, the key ceremony, a promtool check or any test failed.
#
# Environment:
#   KMS_KEEP_TEST_DATA=1   keep the temporary data folder (token, Azurite data, logs, .trx files)
#   KMS_TEST_TIMEOUT       bound of the `dotnet test` step (default 25m, `timeout` syntax)
#   KMS_SKIP_BICEP=1       skip the bicep build/lint steps
#   KMS_CHROMIUM           set here to the chromium the operator console's end-to-end test drives
#   KMS_AZURITE_BIN        set here to the Azurite binary, for tests that run a private Azurite
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
kms_install_cleanup_trap
cd "$KMS_REPO_ROOT"

solution=KmsFunctions.sln
host_dll=src/Kms.LocalHost/bin/Release/net10.0/Kms.LocalHost.dll
test_timeout="${KMS_TEST_TIMEOUT:-25m}"

# Fixed settings of the test token; only for this throw-away token.
export Kms__Hsm__LibraryPath="${Kms__Hsm__LibraryPath:-$KMS_DEFAULT_HSM_LIBRARY}"
export Kms__Hsm__TokenLabel=kms-test
export Kms__Hsm__SoPin=test-so-0000
export Kms__Hsm__UserPin=test-user-0000
export Kms__Hsm__RootKeyLabel=kms-root-1
export Kms__Storage__TablePrefix=t

# The throw-away data folder: SoftHSM2 token, Azurite data and log, .trx results.
data_dir="$(mktemp -d "${TMPDIR:-/tmp}/kms-test.XXXXXX")"
results_dir="$data_dir/results"

# Whatever happens (build error, Ctrl-C, a failing step), the last line printed is the totals line:
# the exit hooks run in order, this one first, before the data folder goes.
summary_printed=0
print_totals_if_missing() {
    if ((summary_printed == 0)); then
        echo
        echo "Test results (run stopped early):"
        kms_trx_summary "$results_dir" || true
    fi
}
kms_on_exit print_totals_if_missing
if [[ "${KMS_KEEP_TEST_DATA:-}" == 1 ]]; then
    kms_log "test data is kept in $data_dir (KMS_KEEP_TEST_DATA=1)"
else
    kms_on_exit "rm -rf '$data_dir'"
fi

stop_before_tests() {
    kms_warn "$1"
    exit 1
}

# --- tools ----------------------------------------------------------------------------------------
kms_ensure_softhsm "$Kms__Hsm__LibraryPath"
kms_ensure_openssl
kms_ensure_azurite
kms_ensure_chromium
kms_ensure_promtool
command -v dotnet >/dev/null 2>&1 || stop_before_tests "dotnet not found: install the .NET 10 SDK"

# --- Prometheus rules -----------------------------------------------------------------------------
# Quick (seconds) and independent of the build; a failure shows in the totals and the exit code.
kms_log "checking the Prometheus rules and running their promtool unit tests"
promtool_rc=0
kms_promtool_checks "$KMS_REPO_ROOT/infra/observability/prometheus" "$results_dir" || promtool_rc=$?

# --- build ----------------------------------------------------------------------------------------
# --disable-build-servers: no MSBuild nodes or compiler servers are left running after the script.
kms_log "building $solution (Release)"
if ! kms_run timeout --kill-after=30s 20m dotnet build "$solution" -c Release -v q -nologo --disable-build-servers; then
    stop_before_tests "build of $solution failed (errors above)"
fi

# --- throw-away stack -----------------------------------------------------------------------------
kms_softhsm_configure "$data_dir"
kms_softhsm_ensure_token "$Kms__Hsm__TokenLabel" "$Kms__Hsm__SoPin" "$Kms__Hsm__UserPin"
# A second token for the HSM fault tests (tests/Kms.Faults.Tests): they close its sessions and change its user PIN under
# a running host, which must not disturb the hosts of the other test projects on the main token.
export KmsTest__FaultToken__Label=kms-test-faults
export KmsTest__FaultToken__UserPin=test-user-1111
kms_softhsm_ensure_token "$KmsTest__FaultToken__Label" test-so-1111 "$KmsTest__FaultToken__UserPin"

# Free ports can be taken by someone else between the check and Azurite binding them: retry.
started=0
for attempt in 1 2 3; do
    ports="$(kms_free_ports 3)" || stop_before_tests "could not find free ports"
    read -r blob_port queue_port table_port <<<"$ports"
    if kms_azurite_start "$data_dir" "$blob_port" "$queue_port" "$table_port"; then
        started=1
        break
    fi
    kms_stop_pid "$KMS_AZURITE_PID"
    kms_warn "Azurite start attempt $attempt failed"
done
((started)) || stop_before_tests "Azurite did not start"

connection_string="$(kms_azurite_connection_string "$blob_port" "$queue_port" "$table_port")"
export Kms__Storage__ConnectionString="$connection_string"
export AzureWebJobsStorage="$connection_string"
# Rewrap campaigns name their storage by connection; "local" is this Azurite.
export Kms__Rewrap__Connections__local="${Kms__Rewrap__Connections__local:-$connection_string}"
# Tests that stop storage (StorageOutageTests) start an Azurite of their own with the same binary.
export KMS_AZURITE_BIN
# SOFTHSM2_CONF is exported by kms_softhsm_configure.

# --- key ceremony ---------------------------------------------------------------------------------
[[ -f "$host_dll" ]] || stop_before_tests "$host_dll is missing after the build"
kms_log "key ceremony: dotnet $host_dll init-hsm"
kms_run timeout --kill-after=10s 5m dotnet "$host_dll" init-hsm ||
    stop_before_tests "key ceremony (init-hsm) failed"

# The tests authenticate with tokens of the local development issuer; its key lives in the throw-away folder.
export Kms__Auth__Mode=Dev
export Kms__Auth__Audience=api://kms
export Kms__Auth__DevIssuer__SigningKeyFile="$data_dir/dev-issuer.pem"
kms_run dotnet "$host_dll" init-dev-issuer >/dev/null || stop_before_tests "creating the dev token issuer key failed"

# --- tests ----------------------------------------------------------------------------------------
kms_log "running tests (bounded at $test_timeout)"
test_rc=0
# timeout puts dotnet test and its test hosts in their own process group and, on expiry or when
# the cleanup trap stops it, signals the whole group.
kms_run timeout --kill-after=30s "$test_timeout" \
    dotnet test "$solution" -c Release --no-build --logger trx --results-directory "$results_dir" "$@" ||
    test_rc=$?
if ((test_rc == 124 || test_rc == 137)); then
    kms_warn "dotnet test did not finish within $test_timeout and was stopped"
elif ((test_rc != 0)); then
    kms_warn "dotnet test exited with code $test_rc"
fi

# --- bicep ----------------------------------------------------------------------------------------
# bicep/ templates: build and lint with the CLI from NuGet; each step is one test in the totals (bicep.trx).
# KMS_SKIP_BICEP=1 leaves them out (e.g. while iterating on C# only).
if [[ "${KMS_SKIP_BICEP:-}" != 1 ]]; then
    kms_bicep_check "$results_dir" || kms_warn "a bicep step failed (see above)"
fi

# --- summary --------------------------------------------------------------------------------------
echo
echo "Test results:"
summary_rc=0
summary_printed=1
kms_trx_summary "$results_dir" || summary_rc=$?
if ((test_rc != 0 || summary_rc != 0 || promtool_rc != 0)); then
    exit 1
fi
