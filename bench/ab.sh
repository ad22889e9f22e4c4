#!/usr/bin/env bash
# Two builds side by side: the HTTP benchmark of bench/run.sh run against build A, then B, then A, then B ... and
# each figure's runs and medians printed per build, with B's median over A's.
#
#   bench/ab.sh <rev-a> <rev-b> [pairs]     e.g. bench/ab.sh HEAD~1 HEAD 2
#
# Why alternate: on this 2-core VM one run of the same build moves by 10-40 % with the machine's phases
# (docs/performance.md), so "before" measured in one hour and "after" in the next compares the hours. Alternating
# spreads the phases over both builds; a difference smaller than the spread of one build's runs is not a result.
#
# Each revision is checked out in a temporary git worktree (removed at the end) and built there. The settings of
# bench/run.sh apply (BENCH_SECONDS, BENCH_RUNS, BENCH_EVENTS, BENCH_AZURITE ...); only the HTTP figures are run.
# The logs of every run are kept in the printed directory. Medians of p50, p99 and host CPU are over the runs'
# own medians.
set -euo pipefail

[[ $# -ge 2 ]] || { echo "usage: bench/ab.sh <rev-a> <rev-b> [pairs]" >&2; exit 2; }
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
pairs="${3:-2}"
work="$(mktemp -d "${TMPDIR:-/tmp}/kms-ab.XXXXXX")"
trees=()

cleanup() {
    for tree in "${trees[@]}"; do
        git -C "$root" worktree remove --force "$tree" >/dev/null 2>&1 || true
    done
}
trap cleanup EXIT

for side in a b; do
    rev="$1"; shift
    tree="$work/$side"
    git -C "$root" worktree add --detach --quiet "$tree" "$rev"
    trees+=("$tree")
    echo "$side: $rev = $(git -C "$tree" log --oneline -1)"
done

run() {
    local side="$1" n="$2" log="$work/$1-$2.log"
    echo "[ab] $side, run $n ($(date +%H:%M:%S))"
    (cd "$work/$side" && BENCH_HSM=0 BENCH_ENVELOPE=0 BENCH_K8S=0 BENCH_REWRAP=0 BENCH_REVOKE=0 bench/run.sh) >"$log" 2>&1 \
        || { echo "[ab] $side run $n failed; its log: $log" >&2; exit 1; }
}

# The first run of each side also builds it (and installs Azurite in its worktree), before its host starts.
for n in $(seq 1 "$pairs"); do
    run a "$n"
    run b "$n"
done

# One line per figure and side: "<figure>\t<side>\t<ops/s>\t<p99 ms>\t<host cpu µs/op>\t<p50 ms>", from the lines
# bench/run.sh prints.
for log in "$work"/[ab]-*.log; do
    side="$(basename "$log" | cut -d- -f1)"
    grep -E '^http .*ops/s=' "$log" | sed -E 's/  +/ /g' | awk -v side="$side" '{
        name = $0; sub(/ ops=.*/, "", name); sub(/^http /, "", name)
        ops = $0; sub(/.*ops\/s= */, "", ops); sub(/ .*/, "", ops)
        if ($0 ~ /items\/s=/) { ops = $0; sub(/.*items\/s=/, "", ops); sub(/ .*/, "", ops); name = name " (items/s)" }
        p99 = $0; sub(/.*p99= */, "", p99); sub(/ .*/, "", p99)
        p50 = $0; sub(/.*p50= */, "", p50); sub(/ .*/, "", p50)
        host = $0; if (host ~ /cpu\/op host/) { sub(/.*cpu\/op host /, "", host); sub(/ .*/, "", host) } else host = "-"
        printf "%s\t%s\t%s\t%s\t%s\t%s\n", name, side, ops, p99, host, p50
    }'
done | sort -t$'\t' -k1,1 -k2,2 -s | awk -F'\t' '
    function median(list,   n, v, i, j, t) {
        n = split(list, v, " ")
        for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] + 0 < v[i] + 0) { t = v[i]; v[i] = v[j]; v[j] = t }
        return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
    }
    {
        key = $1; if (!(key in seen)) { seen[key] = 1; order[++count] = key }
        ops[key, $2] = ops[key, $2] " " $3; p99[key, $2] = p99[key, $2] " " $4; host[key, $2] = host[key, $2] " " $5; p50[key, $2] = p50[key, $2] " " $6
    }
    END {
        printf "%-40s %-24s %-24s %8s %8s %5s  %-13s %-13s %s\n", "figure: ops/s of each run, in order", "A", "B", "A median", "B median", "B/A",
            "p50 ms A|B", "p99 ms A|B", "host µs/op A|B"
        for (i = 1; i <= count; i++) {
            k = order[i]; a = median(ops[k, "a"]); b = median(ops[k, "b"])
            printf "%-40s %-24s %-24s %8.0f %8.0f %5.2f  %-13s %-13s %.0f|%.0f\n", k, ops[k, "a"], ops[k, "b"], a, b, (a > 0 ? b / a : 0),
                sprintf("%.2f|%.2f", median(p50[k, "a"]), median(p50[k, "b"])), sprintf("%.1f|%.1f", median(p99[k, "a"]), median(p99[k, "b"])),
                median(host[k, "a"]), median(host[k, "b"])
        }
    }'
echo "logs: $work"
