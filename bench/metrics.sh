#!/usr/bin/env bash
# What metrics cost: kperf (../shared/bench) producing 1 KiB records with acks=1 to one partition of
# two standalone brokers on this machine, one with the HTTP listener (samsa.http.listeners) and a
# scraper polling /metrics every second while it is measured, one without. Runs alternate
# (with, without) for ROUNDS rounds; prints the medians and the ratio with/without.
#
#   bench/metrics.sh                                   # ROUNDS=3 N=50000000 CAP_S=15 WARM_S=5
#   ROUNDS=3 CAP_S=6 WARM_S=3 bench/metrics.sh         # quick (~75 s)
#
# Needs: ../shared/bench/build.sh run once (kperf). Log dirs on /dev/shm with 16 MiB segments and
# 48 MiB retention, and an unrecorded warm-up of WARM_S seconds before each run, so the measured
# run is in steady state (retention recycling memory; see ../shared/bench/README.md). Only one
# broker is loaded at a time; the other sits idle. The machine is shared: ratios from one run are
# what count, and a few percent either way is noise.
# Everything it starts is stopped on exit, also on failure.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
N=${N:-50000000}
CAP_S=${CAP_S:-15}
WARM_S=${WARM_S:-5}
BUILD=${BENCH_BUILD:-/tmp/samsa-bench-build}
KPERF=$BUILD/kperf
NODE=node_modules/.bin/node
[[ -x $NODE ]] || NODE=node
[[ -x $KPERF ]] || { echo "build kperf first: ../shared/bench/build.sh" >&2; exit 1; }

WORK=$(mktemp -d /dev/shm/samsa-metrics-bench-XXXX)
pids=()
scraper=""
cleanup() {
        [[ -n $scraper ]] && kill "$scraper" 2>/dev/null || true
        for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
        sleep 1
        for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
        rm -rf "$WORK"
}
trap cleanup EXIT

start_broker() {  # name extra-properties...
        local name=$1; shift
        {
                echo "node.id=1"
                echo "listeners=PLAINTEXT://127.0.0.1:0"
                echo "log.dirs=$WORK/$name"
                echo "num.partitions=1"
                echo "log.segment.bytes=16777216"
                echo "log.retention.bytes=50331648"
                echo "log.retention.check.interval.ms=200"
                echo "log.segment.delete.delay.ms=0"
                for p in "$@"; do echo "$p"; done
        } > "$WORK/$name.properties"
        # V8 options as bin/kafka-server-start.sh passes them
        $NODE --max-semi-space-size=4 --heap-growing-percent=200 src/broker/main.ts "$WORK/$name.properties" > "$WORK/$name.log" 2>&1 &
        pids+=($!)
        for _ in $(seq 100); do grep -q 'started' "$WORK/$name.log" 2>/dev/null && break; sleep 0.2; done
        grep -q 'started' "$WORK/$name.log" || { echo "$name did not start:" >&2; cat "$WORK/$name.log" >&2; exit 1; }
}
# The bound ports come from the start lines (info level, the default).
start_broker with "samsa.http.listeners=http://127.0.0.1:0"
start_broker without
addr() { grep -oE 'listeners=PLAINTEXT://[0-9.]+:[0-9]+' "$WORK/$1.log" | head -1 | sed 's|listeners=PLAINTEXT://||'; }
WITH=$(addr with)
WITHOUT=$(addr without)
HTTP=$(grep -oE 'http=http://[0-9.]+:[0-9]+' "$WORK/with.log" | head -1 | sed 's|http=||')
[[ -n $WITH && -n $WITHOUT && -n $HTTP ]] || { echo "no addresses in the start lines" >&2; exit 1; }
curl -fsS "$HTTP/readyz" >/dev/null
echo "with metrics: $WITH (scraping $HTTP/metrics every 1 s); without: $WITHOUT" >&2

start_scraper() {
        ( while true; do curl -fsS -o /dev/null "$HTTP/metrics" || true; sleep 1; done ) &
        scraper=$!
}
stop_scraper() { kill "$scraper" 2>/dev/null || true; wait "$scraper" 2>/dev/null || true; scraper=""; }

LOG=$WORK/results.txt
run() {  # side bootstrap
        local side=$1 b=$2
        "$KPERF" produce -b "$b" -t bench -p 0 -n "$N" -s 1024 -a 1 -d "$WARM_S" -C 1 -T 90 -L warm >/dev/null 2>&1 || true
        [[ $side == with ]] && start_scraper
        line=$("$KPERF" produce -b "$b" -t bench -p 0 -n "$N" -s 1024 -a 1 -d "$CAP_S" -T 90 -L "$side" \
                2>>"$WORK/kperf.err" | grep '^KPERF ' || echo "KPERF status=failed")
        [[ $side == with ]] && stop_scraper
        echo "side=$side $line" >> "$LOG"
        printf '%-8s %s\n' "$side" "$(grep -oE '(MiBps|msgps)=[0-9.]+|status=[a-z]+' <<<"$line" | tr '\n' ' ')" >&2
}
for r in $(seq "$ROUNDS"); do
        run with "$WITH"
        run without "$WITHOUT"
done
echo "scrape size: $(curl -fsS "$HTTP/metrics" | wc -c) bytes" >&2

awk '
function med(k,   n,i,j,t,w) { n=cnt[k]; if(!n) return 0; for(i=1;i<=n;i++) w[i]=v[k,i]; for(i=1;i<=n;i++) for(j=i+1;j<=n;j++) if(w[j]<w[i]){t=w[i];w[i]=w[j];w[j]=t}; return n%2?w[(n+1)/2]:(w[n/2]+w[n/2+1])/2 }
{ side=""; for(i=1;i<=NF;i++){ split($i,kv,"="); if(kv[1]=="side")side=kv[2]; if(kv[1]=="MiBps"){cnt[side]++; v[side,cnt[side]]=kv[2]+0} } }
END {
  a=med("with"); b=med("without")
  printf "produce 1 KiB acks=1, 1 partition, median of %d: with metrics %.0f MiB/s, without %.0f MiB/s, ratio %.3f\n", cnt["with"], a, b, (b?a/b:0)
}' "$LOG"
