#!/usr/bin/env bash
# Muster next to the peer SCIM server of the shared bench kit (SCIMMY on
# Express, in memory), on this machine, with the kit's own load: wrk's
# POST /Users and GET userName eq (the kit's scim-load.sh), its /Bulk
# client, and scimload's emails.value co "x" filter. Both servers hold
# MEMBERS users (Muster: `muster demo` on SQLite; the peer: /Bulk of 1,000).
# Runs alternate, Muster then peer, RUNS times (default 3), each on a fresh
# server process (Muster on a fresh copy of the filled database); then it
# prints the medians and the ratio Muster / peer of each measure, with the
# servers' memory (VmHWM, RssAnon).
#
#   tools/scim-vs-peer.sh KIT        # or BENCH_KIT=KIT tools/scim-vs-peer.sh
#   MEMBERS=2000 RUNS=1 SECS=3 BULK=1000 FILTER_N=20 tools/scim-vs-peer.sh KIT   # a quick check
#
# KIT is a writable copy of the kit (its peer/start.sh runs npm ci into
# peer/node_modules), outside this project: cp -r ../shared/bench /tmp/bench.
# Needs wrk, node and npm. Other settings: SECS per wrk phase (10), BULK
# operations in the /Bulk request (10000), FILTER_N filter requests (200)
# or FILTER_SECS seconds of them (30; the peer matches filters by reading
# every user, seconds per request at 100,000), PORT for Muster (18490),
# PEER_PORT (9100). Filling the peer with 100,000 users takes minutes.
set -euo pipefail
usage="usage: tools/scim-vs-peer.sh KIT (a copy of the bench kit; or set BENCH_KIT)"
kit=${1:-${BENCH_KIT:-}}
[ -n "$kit" ] || { echo "$usage" >&2; exit 2; }
kit=$(cd "$kit" && pwd)
cd "$(dirname "$0")/.."
root=$(pwd)
case "$kit/" in
  "$root"/*) echo "copy the kit outside the project first (cp -r ../shared/bench /tmp/bench): it installs node_modules" >&2; exit 2 ;;
esac
for f in scim-load.sh bulk/main.go peer/start.sh peer/stop.sh; do
  [ -e "$kit/$f" ] || { echo "$kit is not the bench kit: no $f" >&2; exit 2; }
done
command -v wrk >/dev/null || { echo "wrk not found: apt-get update && apt-get install -y wrk" >&2; exit 1; }

members=${MEMBERS:-100000}
runs=${RUNS:-3}
secs=${SECS:-10}
bulk=${BULK:-10000}
filter_n=${FILTER_N:-200}
filter_secs=${FILTER_SECS:-30}
port=${PORT:-18490}
peer_port=${PEER_PORT:-9100}
peer_token=peer-token
work=$(mktemp -d)
muster_pid= peer_pid=
stop_muster() { if [ -n "$muster_pid" ]; then kill "$muster_pid" 2>/dev/null || true; wait "$muster_pid" 2>/dev/null || true; fi; muster_pid=; }
stop_peer() { if [ -n "$peer_pid" ]; then "$kit/peer/stop.sh" "$peer_pid" >/dev/null || true; fi; peer_pid=; }
cleanup() { stop_muster; stop_peer; rm -rf "$work"; }
trap cleanup EXIT

go build -o "$work/muster" .
go build -o "$work/scimload" ./tools/scimload
go -C "$kit/bulk" build -o "$work/kitbulk" .
results=$work/results
: >"$results"
# record SERVER MEASURE VALUE
record() { echo "$1 $2 $3" >>"$results"; }

# Fill Muster once; each run starts from a copy of this database.
export MUSTER_LOG_LEVEL=error MUSTER_SCIM_RATE=0
export MUSTER_SECRET_KEY=${MUSTER_SECRET_KEY:-$(head -c 32 /dev/urandom | base64)}
mkdir "$work/filled"
export MUSTER_DATABASE_URL=$work/filled/muster.db
MUSTER_SETUP_PASSWORD=vs-peer-password "$work/muster" setup -workspace Load -name "Load Admin" -email admin@load.example.com >/dev/null
fill=$("$work/muster" demo -workspace load -members "$members")
echo "muster demo fill: $fill"
muster_token=$("$work/muster" scim-token create -workspace load -name "vs peer" | grep '^muster_scim_')

# ms DURATION: a Go duration (850µs, 12.3ms, 1.2s) in milliseconds.
ms() { awk -v d="$1" 'BEGIN { v = d + 0; if (d ~ /µs$/) v /= 1000; else if (d ~ /[^m]s$/) v *= 1000; printf "%.2f", v }'; }

# measure SERVER BASE TOKEN PID: one run of every measure against a server.
measure() {
  local server=$1 base=$2 token=$3 pid=$4 out line
  echo "$5"
  out=$(RUN="$server$i" "$kit/scim-load.sh" "$base" "$token" "$secs" 2>&1) || echo "  (the kit's load reported failures)"
  echo "$out" | sed 's/^/  /'
  line=$(grep '^POST /Users:' <<<"$out" || true)
  [ -n "$line" ] && record "$server" "POST_/Users_req/s" "$(awk '{print $3}' <<<"$line")" && record "$server" "POST_/Users_p99_ms" "$(awk '{print $9}' <<<"$line")"
  line=$(grep '^GET filter:' <<<"$out" || true)
  [ -n "$line" ] && record "$server" "GET_userName_eq_req/s" "$(awk '{print $3}' <<<"$line")" && record "$server" "GET_userName_eq_p99_ms" "$(awk '{print $9}' <<<"$line")"

  line=$("$work/scimload" -base "$base" -token "$token" -mode filter -filter 'emails.value co "x"' -c 10 -n "$filter_n" -d "${filter_secs}s" 2>&1 | tail -1) || true
  echo "  $line"
  record "$server" 'emails.value_co_"x"_req/s' "$(sed -n 's/.* \([0-9.][0-9.]*\) req\/s .*/\1/p' <<<"$line")"
  record "$server" 'emails.value_co_"x"_p50_ms' "$(ms "$(sed -n 's/.*p50=\([^ ]*\) .*/\1/p' <<<"$line")")"

  line=$("$work/kitbulk" -url "$base" -token "$token" -n "$bulk" 2>&1 | tail -1) || true
  echo "  $line"
  record "$server" "/Bulk_${bulk}_s" "$(sed -n 's/^bulk N=[0-9]*: \([0-9.]*\) s.*/\1/p' <<<"$line")"

  # A server that died under the load (the peer did, at /Bulk of 10,000)
  # has no memory to read: say so and go on with the other runs.
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "  memory: - (the server is no longer running)"
    return
  fi
  line=$(awk '/^(VmHWM|RssAnon)/ {printf "%s %.0f MiB  ", $1, $2/1024}' "/proc/$pid/status")
  echo "  memory: $line"
  record "$server" "VmHWM_MiB" "$(awk '/^VmHWM/ {printf "%.0f", $2/1024}' "/proc/$pid/status")"
  record "$server" "RssAnon_MiB" "$(awk '/^RssAnon/ {printf "%.0f", $2/1024}' "/proc/$pid/status")"
}

for i in $(seq "$runs"); do
  rm -rf "$work/run" && cp -r "$work/filled" "$work/run"
  MUSTER_DATABASE_URL=$work/run/muster.db MUSTER_ADDR=127.0.0.1:$port "$work/muster" serve &
  muster_pid=$!
  up=
  for _ in $(seq 300); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && { up=1; break; }; sleep 0.1; done
  [ -n "$up" ] || { echo "Muster did not answer on port $port" >&2; exit 1; }
  measure muster "http://127.0.0.1:$port/scim/v2" "$muster_token" "$muster_pid" \
    "run $i: Muster, $members members (load average $(cut -d' ' -f1-3 /proc/loadavg))"
  stop_muster

  peer_pid=$(PORT=$peer_port PEER_TOKEN=$peer_token "$kit/peer/start.sh")
  peer_base=http://127.0.0.1:$peer_port/scim/v2
  # The same number of users, in /Bulk requests of 1,000 (the peer's /Bulk
  # time grows with the square of a request's size).
  per=$(( members < 1000 ? members : 1000 ))
  "$work/scimload" -base "$peer_base" -token "$peer_token" -mode bulk -c 1 -bulk-size "$per" -n $(( members / per )) -prefix "fill$i" >/dev/null
  measure peer "$peer_base" "$peer_token" "$peer_pid" \
    "run $i: peer, $(( members / per * per )) users (load average $(cut -d' ' -f1-3 /proc/loadavg))"
  stop_peer
done

echo
echo "medians of $runs runs (ratio = Muster / peer: above 1 is Muster higher, which is better for req/s and worse for times and memory)"
printf '%-30s %12s %12s %8s\n' measure muster peer ratio
awk '{print $2}' "$results" | awk '!seen[$0]++' | while read -r m; do
  med() { awk -v s="$1" -v m="$m" '$1 == s && $2 == m && $3 != "" {print $3}' "$results" | sort -g |
    awk '{a[NR] = $1} END {if (NR == 0) print "-"; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
  a=$(med muster) b=$(med peer)
  r=$(awk -v a="$a" -v b="$b" 'BEGIN { if (a == "-" || b == "-" || b + 0 == 0) print "-"; else printf "%.2f", a / b }')
  printf '%-30s %12s %12s %8s\n' "$m" "$a" "$b" "$r"
done
