#!/usr/bin/env bash
# Load test of Muster over loopback with MEMBERS (default 100,000) members
# in the workspace, one line per row of issue 13's table: the demo fill
# time, POST /Users, the userName/externalId lookups IdPs send before
# writes, co filters (emails.value co "x", userName co …), the members page
# over HTTP (first page and two searches, 10 signed-in clients), /Bulk of
# 1,000 and 10,000 creations, and the server's memory after each phase
# (VmHWM is reset before each phase, so it is that phase's peak; the last
# line is the peak over all of them). Each measurement runs RUNS times
# (default 3); report the medians. On SQLite each run starts a fresh server
# on a fresh copy of the filled database, so every run measures the
# workspace at MEMBERS: a run adds some 17,000 members, and /Bulk slows as
# the workspace grows (10,000 users took 1.30 s at ~103,000 members and
# 1.47 s at ~210,000), so runs on one growing database were three sizes,
# not three samples. On PostgreSQL the runs share the one database.
#
#   tools/scim-load.sh                          # MEMBERS=100000 RUNS=3 CLIENTS=8, SQLite
#   MEMBERS=2000 RUNS=1 N=500 tools/scim-load.sh  # a quick check
#   DATABASE_URL=postgres://…/empty_db tools/scim-load.sh   # PostgreSQL (an empty database)
#
# N scales the request counts (default 5000 POSTs; lookups 4×N, filters
# N/25, members pages 2×N).
set -euo pipefail
cd "$(dirname "$0")/.."
members=${MEMBERS:-100000}
runs=${RUNS:-3}
clients=${CLIENTS:-8}
port=${PORT:-18480}
n=${N:-5000}
work=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

go build -o "$work/muster" .
go build -o "$work/scimload" ./tools/scimload
# SQLite: filled once in filled/; each run serves a copy of it (serve).
mkdir "$work/filled"
export MUSTER_DATABASE_URL=${DATABASE_URL:-$work/filled/muster.db} MUSTER_LOG_LEVEL=warn
export MUSTER_SECRET_KEY=${MUSTER_SECRET_KEY:-$(head -c 32 /dev/urandom | base64)}
password=load-test-password
MUSTER_SETUP_PASSWORD=$password "$work/muster" setup -workspace Load -name "Load Admin" -email admin@load.example.com >/dev/null
# "Added N members to Load in 12.3s."
echo "demo fill: $("$work/muster" demo -workspace load -members "$members")"
token=$("$work/muster" scim-token create -workspace load -name "Load test" | grep '^muster_scim_')

fresh= # set on SQLite: each run serves a fresh copy
if [ -z "${DATABASE_URL:-}" ]; then fresh=1; fi

# serve: a server on a fresh copy of the filled database (SQLite, as
# scim-vs-peer.sh does), with no per-token rate limit: this measures the
# server, not the limiter.
serve() {
  if [ -n "$pid" ]; then
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    pid=
  fi
  if [ -n "$fresh" ]; then
    rm -rf "$work/run" && cp -r "$work/filled" "$work/run"
    export MUSTER_DATABASE_URL=$work/run/muster.db
  fi
  MUSTER_ADDR=127.0.0.1:$port MUSTER_SCIM_RATE=0 "$work/muster" serve &
  pid=$!
  local up=
  for _ in $(seq 300); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && { up=1; break; }; sleep 0.1; done
  [ -n "$up" ] || { echo "the server did not answer on port $port" >&2; exit 1; }
}

peak=0
# mem PHASE: the server's memory now, and its peak since the last call
# (writing 5 to clear_refs resets VmHWM; where that is refused, VmHWM is
# the peak since start).
mem() {
  local hwm
  hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status")
  (( hwm > peak )) && peak=$hwm
  awk -v phase="$1" '/^(VmHWM|RssAnon|RssFile)/ {s = s sprintf(" %s %.0f MiB", $1, $2/1024)} END {printf "  memory after %-22s%s\n", phase ":", s}' "/proc/$pid/status"
  echo 5 >"/proc/$pid/clear_refs" 2>/dev/null || true
}
load() { "$work/scimload" -base "http://127.0.0.1:$port/scim/v2" -token "$token" -c "$clients" "$@"; }
page() { MUSTER_LOAD_PASSWORD=$password load -mode members -c 10 -n $((2 * n)) -workspace load -email admin@load.example.com "$@"; }
phase() { local name=$1; shift; "$@"; mem "$name"; }

for i in $(seq "$runs"); do
  if [ "$i" = 1 ] || [ -n "$fresh" ]; then
    serve
    mem start
    # Give the lookups externalIds to find: the demo members have none.
    load -mode post -n 2000 -prefix "warmup$i" >/dev/null
    mem warm-up
  fi
  echo "run $i (load average $(cut -d' ' -f1-3 /proc/loadavg))"
  phase "POST /Users" load -mode post -n "$n" -prefix "post$i"
  phase "userName eq" load -mode get-username -n $((4 * n))
  phase "externalId eq" load -mode get-externalid -n $((4 * n))
  phase 'emails.value co "x"' load -mode filter -n $((n / 25 + 1)) -filter 'emails.value co "x"'
  # The issue's 20 ms is one request's time: the same filter from one client.
  phase 'emails co "x", 1 client' load -mode filter -c 1 -n $((n / 25 + 1)) -filter 'emails.value co "x"'
  phase 'userName co "lovelace"' load -mode filter -n $((n / 25 + 1)) -filter 'userName co "lovelace"'
  phase 'userName co "-4242@"' load -mode filter -n $((n / 25 + 1)) -filter 'userName co "-4242@"'
  phase "members page" page
  phase "members example.com" page -query "q=example.com"
  phase "members lovelace" page -query "q=lovelace"
  phase "/Bulk 1,000" load -mode bulk -n 1 -c 1 -bulk-size 1000 -prefix "bulk1k$i"
  phase "/Bulk 10,000" load -mode bulk -n 1 -c 1 -bulk-size 10000 -prefix "bulk10k$i"
done
printf 'server peak VmHWM over all phases: %.0f MiB\n' "$(echo "$peak / 1024" | bc -l)"
