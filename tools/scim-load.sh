#!/usr/bin/env bash
# Load test of Muster's SCIM endpoint over loopback, on SQLite, with
# MEMBERS (default 100,000) members in the workspace: POST /Users, the
# userName/externalId lookups IdPs send before writes, /Bulk of 1,000 and
# 10,000 creations, and the server's peak memory (VmHWM). Each measurement
# runs RUNS times (default 3); report the medians.
#
#   tools/scim-load.sh              # MEMBERS=100000 RUNS=3 CLIENTS=8
set -euo pipefail
cd "$(dirname "$0")/.."
members=${MEMBERS:-100000}
runs=${RUNS:-3}
clients=${CLIENTS:-8}
port=${PORT:-18480}
work=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

go build -o "$work/muster" .
go build -o "$work/scimload" ./tools/scimload
export MUSTER_DATABASE_URL="$work/muster.db" MUSTER_LOG_LEVEL=warn
MUSTER_SETUP_PASSWORD=load-test-password "$work/muster" setup -workspace Load -name "Load Admin" -email admin@load.example.com >/dev/null
"$work/muster" demo -workspace load -members "$members"
token=$("$work/muster" scim-token create -workspace load -name "Load test" | grep '^muster_scim_')

# No per-token rate limit: this measures the server, not the limiter.
MUSTER_ADDR=127.0.0.1:$port MUSTER_SCIM_RATE=0 "$work/muster" serve &
pid=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done

load() { "$work/scimload" -base "http://127.0.0.1:$port/scim/v2" -token "$token" -c "$clients" "$@"; }
# Give the lookups externalIds to find: the demo members have none.
load -mode post -n 2000 -prefix warmup >/dev/null
for i in $(seq "$runs"); do
  load -mode post -n 5000 -prefix "post$i"
  load -mode get-username -n 20000
  load -mode get-externalid -n 20000
  load -mode bulk -n 1 -c 1 -bulk-size 1000 -prefix "bulk1k$i"
  load -mode bulk -n 1 -c 1 -bulk-size 10000 -prefix "bulk10k$i"
done
# Peak RSS counts the database file's pages SQLite maps (mmap_size) as
# well as the heap; RssAnon is the process's own memory.
awk '/VmHWM|RssAnon|RssFile/ {printf "server %s %.0f MiB\n", $1, $2/1024}' "/proc/$pid/status"
