#!/usr/bin/env bash
# Transactional produce throughput vs the same producer without transactions, on one Samsa broker
# (standalone), measured from outside with bench/transactions.c (ktxn: librdkafka, idempotent,
# acks=all; kperf has no transactional mode): 1 KiB records, 1000 records per transaction, one
# partition, the two modes alternating for ROUNDS rounds; medians and the txn/idem ratio.
#
#   bench/transactions.sh                     # ROUNDS=3 N=300000 CAP_S=20
#   ROUNDS=1 N=100000 CAP_S=10 bench/transactions.sh   # quick
#
# Steady state (../shared/bench/README.md): log dir on /dev/shm, 16 MiB segments and 48 MiB
# retention, and an unrecorded warm-up of WARM_S seconds before each measured run, so retention is
# recycling memory when the measured run starts. Needs cc and librdkafka-dev
# (../shared/bench/build.sh installs them). Everything it starts is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
N=${N:-300000}
CAP_S=${CAP_S:-20}
WARM_S=${WARM_S:-5}
PER_TXN=${PER_TXN:-1000}
BUILD=${BENCH_BUILD:-/tmp/samsa-bench-build}
KTXN=$BUILD/ktxn
mkdir -p "$BUILD"
cc -O2 -Wall -std=gnu11 -o "$KTXN" bench/transactions.c -lrdkafka

WORK=$(mktemp -d /dev/shm/samsa-txn-bench-XXXX)
pids=()
cleanup() {
        for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
        sleep 1
        for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
        rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
port=$(free_port)
bin/kafka-server-start.sh config/standalone.properties \
        --override "listeners=PLAINTEXT://127.0.0.1:$port" --override "log.dirs=$WORK/logs" \
        --override log.segment.bytes=16777216 --override log.retention.bytes=50331648 \
        --override log.retention.check.interval.ms=200 --override log.segment.delete.delay.ms=0 \
        --override transaction.state.log.num.partitions=4 \
        > "$WORK/broker.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do grep -q 'started' "$WORK/broker.log" && break; sleep 0.2; done
BS=127.0.0.1:$port
for t in idem txn; do
        bin/kafka-topics.sh --create --topic "bench-$t" --partitions 1 --bootstrap-server "$BS" >/dev/null
done

LOG=$WORK/results.txt
run() {  # mode
        local mode=$1 x=0
        [[ $mode == txn ]] && x=$PER_TXN
        "$KTXN" -b "$BS" -t "bench-$mode" -n "$N" -x "$x" -d "$WARM_S" -L warm >/dev/null 2>&1 || true
        line=$("$KTXN" -b "$BS" -t "bench-$mode" -n "$N" -x "$x" -d "$CAP_S" -L "$mode" 2>>"$WORK/ktxn.err" \
                | grep '^KTXN ' || echo "KTXN status=failed")
        echo "$line" >> "$LOG"
        echo "$line" >&2
}
for _ in $(seq "$ROUNDS"); do
        run idem
        run txn
done

awk '
function med(k,   n,i,j,t,w) { n=cnt[k]; if(!n) return 0; for(i=1;i<=n;i++) w[i]=v[k,i]; for(i=1;i<=n;i++) for(j=i+1;j<=n;j++) if(w[j]<w[i]){t=w[i];w[i]=w[j];w[j]=t}; return n%2?w[(n+1)/2]:(w[n/2]+w[n/2+1])/2 }
{ m=""; for(i=1;i<=NF;i++){ split($i,kv,"="); if(kv[1]=="mode")m=kv[2]; if(kv[1]=="mib_s"||kv[1]=="msgs_s"){k=m SUBSEP kv[1]; cnt[k]++; v[k,cnt[k]]=kv[2]+0} } }
END {
  a=med("idem" SUBSEP "mib_s"); b=med("txn" SUBSEP "mib_s")
  printf "idempotent, no transactions: %7.1f MiB/s %9.0f msg/s\n", a, med("idem" SUBSEP "msgs_s")
  printf "transactional (%d/txn):      %7.1f MiB/s %9.0f msg/s\n", '"$PER_TXN"', b, med("txn" SUBSEP "msgs_s")
  printf "txn/idem: %.2f\n", (a?b/a:0)
}' "$LOG"
