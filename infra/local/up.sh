#!/usr/bin/env bash
#
# Runs the KMS locally: SoftHSM2 token + Azurite + Kms.LocalHost on http://127.0.0.1:$KMS_PORT.
# Ctrl-C stops everything this script started. Data (token, tables) is kept between runs in
# <repo>/.data/local; running again re-initialises nothing. Delete that folder to start afresh.
#
# Settings come from local.settings.json (created from local.settings.sample.json when missing);
# variables already set in the environment win over the file.
#
# Environment:
#   KMS_DATA_DIR        data folder (default <repo>/.data/local)
#   KMS_PORT            port of the KMS host (default 7071)
#   AZURITE_BLOB_PORT   Azurite ports (default 10000, 10001, 10002)
#   AZURITE_QUEUE_PORT
#   AZURITE_TABLE_PORT
#   KMS_AZURITE_PERSISTENCE  disk (default): Azurite's data in <data>/azurite; memory: in memory only, gone at
#                       Ctrl-C (faster under load; the token and its root key stay on disk)
#
# shellcheck disable=SC2154 # the Kms__* variables come from local.settings.json (or the environment)
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
kms_install_cleanup_trap
cd "$KMS_REPO_ROOT"

host_project=src/Kms.LocalHost
host_dll="$host_project/bin/Release/net10.0/Kms.LocalHost.dll"

# --- settings -------------------------------------------------------------------------------------
if [[ ! -f local.settings.json ]]; then
    cp local.settings.sample.json local.settings.json
    kms_log "created local.settings.json from local.settings.sample.json (edit it to change PINs or labels)"
fi
kms_settings_export local.settings.json

export Kms__Hsm__LibraryPath="${Kms__Hsm__LibraryPath:-$KMS_DEFAULT_HSM_LIBRARY}"
for name in Kms__Hsm__TokenLabel Kms__Hsm__SoPin Kms__Hsm__UserPin Kms__Hsm__RootKeyLabel; do
    [[ -n "${!name:-}" ]] || kms_die "$name is not set (add it to local.settings.json)"
done

data_dir="${KMS_DATA_DIR:-$KMS_REPO_ROOT/.data/local}"
mkdir -p "$data_dir"
data_dir="$(cd "$data_dir" && pwd)"

blob_port="${AZURITE_BLOB_PORT:-10000}"
queue_port="${AZURITE_QUEUE_PORT:-10001}"
table_port="${AZURITE_TABLE_PORT:-10002}"
export KMS_PORT="${KMS_PORT:-7071}"

# --- tools ----------------------------------------------------------------------------------------
kms_ensure_softhsm "$Kms__Hsm__LibraryPath"
kms_ensure_azurite
command -v dotnet >/dev/null 2>&1 || kms_die "dotnet not found: install the .NET 10 SDK"

# Build before starting anything, so a broken build leaves nothing running.
kms_log "building $host_project (Release)"
dotnet build "$host_project" -c Release -v q -nologo || kms_die "build of $host_project failed"
[[ -f "$host_dll" ]] || kms_die "build succeeded but $host_dll is missing"

# --- HSM ------------------------------------------------------------------------------------------
kms_softhsm_configure "$data_dir"
kms_softhsm_ensure_token "$Kms__Hsm__TokenLabel" "$Kms__Hsm__SoPin" "$Kms__Hsm__UserPin"

# --- storage --------------------------------------------------------------------------------------
# Fixed, well-known ports: fail early with a hint instead of talking to someone else's emulator.
kms_require_port_free "$blob_port" "Azurite blob" AZURITE_BLOB_PORT
kms_require_port_free "$queue_port" "Azurite queue" AZURITE_QUEUE_PORT
kms_require_port_free "$table_port" "Azurite table" AZURITE_TABLE_PORT
kms_require_port_free "$KMS_PORT" "the KMS host" KMS_PORT
kms_azurite_start "$data_dir" "$blob_port" "$queue_port" "$table_port" || kms_die "Azurite did not start"

# Explicit endpoints instead of UseDevelopmentStorage=true, which only knows the default ports.
connection_string="$(kms_azurite_connection_string "$blob_port" "$queue_port" "$table_port")"
export Kms__Storage__ConnectionString="$connection_string"
export AzureWebJobsStorage="$connection_string"
# Rewrap campaigns name their storage by connection; "local" is this Azurite.
export Kms__Rewrap__Connections__local="${Kms__Rewrap__Connections__local:-$connection_string}"

# --- key ceremony ---------------------------------------------------------------------------------
# Creates the root wrapping key in the token only when it is missing; prints what it did.
kms_log "key ceremony: dotnet $host_dll init-hsm"
kms_run dotnet "$host_dll" init-hsm || kms_die "key ceremony (init-hsm) failed"

# --- identity -------------------------------------------------------------------------------------
# Local callers authenticate with tokens of a development issuer whose key is kept in the data folder
# (never committed); `dotnet run --project src/Kms.Cli -- token ...` mints them.
export Kms__Auth__DevIssuer__SigningKeyFile="${Kms__Auth__DevIssuer__SigningKeyFile:-$data_dir/dev-issuer.pem}"
kms_run dotnet "$host_dll" init-dev-issuer || kms_die "creating the dev token issuer key failed"

# --- events ---------------------------------------------------------------------------------------
# Lifecycle, revocation and audit events go to the stand-in Event Grid topic inside the host (see
# docs/events.md and docs/local-event-grid.md). Both ends share a key made for this run unless set.
base_url="http://127.0.0.1:$KMS_PORT"
export Kms__Events__Enabled="${Kms__Events__Enabled:-true}"
export Kms__LocalEventGrid__Enabled="${Kms__LocalEventGrid__Enabled:-$Kms__Events__Enabled}"
if [[ -z "${Kms__Events__TopicKey:-}" ]]; then
    if [[ -n "${Kms__LocalEventGrid__AccessKey:-}" ]]; then
        Kms__Events__TopicKey="$Kms__LocalEventGrid__AccessKey"
    else
        kms_ensure_openssl
        Kms__Events__TopicKey="$(openssl rand -hex 24)"
    fi
fi
export Kms__Events__TopicKey
export Kms__LocalEventGrid__AccessKey="${Kms__LocalEventGrid__AccessKey:-$Kms__Events__TopicKey}"
export Kms__Events__TopicEndpoint="${Kms__Events__TopicEndpoint:-$base_url/eventgrid/api/events}"

# --- host -----------------------------------------------------------------------------------------
cat >&2 <<EOF

[kms] starting the KMS on $base_url (Ctrl-C stops it, Azurite too). Try:

  curl -s $base_url/api/health

  # a token for an admin who may also use keys (the dev issuer's key is in the data folder)
  export KMS_TOKEN=\$(dotnet run --project src/Kms.Cli -- token --principal alice --role kms.admin --role kms.crypto)

  # create an AES-256 key; note the keyId in the answer
  curl -s -X POST $base_url/api/keys -H "Authorization: Bearer \$KMS_TOKEN" -H 'Content-Type: application/json' -d '{"keySpec":"AES_256"}'

  # encrypt with it (plaintext is base64)
  curl -s -X POST $base_url/api/keys/<keyId>/encrypt -H "Authorization: Bearer \$KMS_TOKEN" -H 'Content-Type: application/json' \\
       -d "{\"plaintext\":\"\$(printf 'hello' | base64)\"}"

  # the operator console (keys, operations and approvals, SLIs): open $base_url/console and paste \$KMS_TOKEN

  # events: subscribe a webhook with Kms__LocalEventGrid__Subscriptions__0__* in local.settings.json
  # (docs/revocation-subscribers.md); delivery figures are in the health answer under "events".

  data: $data_dir  (SOFTHSM2_CONF=$SOFTHSM2_CONF)
  storage: $connection_string

EOF

rc=0
kms_run dotnet "$host_dll" || rc=$?
kms_log "KMS host exited with code $rc"
exit "$rc"
