#!/usr/bin/env bash
# Replication cost, measured from outside with kperf (../shared/bench): a ZooKeeper + 3-broker Samsa
# cluster on this machine, 1 KiB records with acks=all to topics of replication factor 1 and 3
# (min.insync.replicas=2 for RF 3) with 1 and 12 partitions, and the same against librdkafka's mock
# cluster of 3 brokers in the same run (the mock does not copy data: a ceiling, not a peer).
# Also e2e latency at 10k msg/s with acks=all (fetch wait 1 ms).
#
#   bench/replication.sh            # ROUNDS=3 N=200000 E2E_N=30000 CAP_S=20
#   ROUNDS=1 N=50000 E2E_N=5000 bench/replication.sh   # quick
#
# Needs: ../shared/bench/build.sh run once (kperf, mockcluster), Debian's zookeeper. Log dirs on
# /dev/shm with 16 MiB segments and 48 MiB retention per partition, and an unrecorded warm-up of
# WARM_S seconds before each Samsa produce run, so the measured run is in steady state (retention
# recycling memory; see ../shared/bench/README.md).
# Everything it starts is stopped on exit, also on failure.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
N=${N:-200000}
E2E_N=${E2E_N:-30000}
CAP_S=${CAP_S:-20}
WARM_S=${WARM_S:-6}
BUILD=${BENCH_BUILD:-/tmp/samsa-bench-build}
KPERF=$BUILD/kperf
MOCK=$BUILD/mockcluster
[[ -x $KPERF && -x $MOCK ]] || { echo "build kperf first: ../shared/bench/build.sh" >&2; exit 1; }

WORK=$(mktemp -d /dev/shm/samsa-repl-bench-XXXX)
pids=()
cleanup() {
        for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
        sleep 1
        for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
        rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

# ZooKeeper
zkport=$(free_port)
sed -e "s|^dataDir=.*|dataDir=$WORK/zk|" -e "s|^clientPort=.*|clientPort=$zkport|" config/zookeeper.properties > "$WORK/zk.properties"
bin/zookeeper-server-start.sh "$WORK/zk.properties" > "$WORK/zk.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do (echo > /dev/tcp/127.0.0.1/$zkport) 2>/dev/null && break; sleep 0.2; done

# Three brokers
bs=()
for id in 1 2 3; do
        port=$(free_port)
        bin/kafka-server-start.sh "config/cluster/server-$id.properties" \
                --override "listeners=PLAINTEXT://127.0.0.1:$port" --override "log.dirs=$WORK/b$id" \
                --override "zookeeper.connect=127.0.0.1:$zkport" \
                --override log.segment.bytes=16777216 --override log.retention.bytes=50331648 \
                --override log.retention.check.interval.ms=200 --override log.segment.delete.delay.ms=0 \
                > "$WORK/b$id.log" 2>&1 &
        pids+=($!)
        bs+=("127.0.0.1:$port")
done
for id in 1 2 3; do
        for _ in $(seq 100); do grep -q 'started' "$WORK/b$id.log" && break; sleep 0.2; done
done
BS=$(IFS=,; echo "${bs[*]}")
sleep 2
for t in rf1-p1:1:1 rf3-p1:1:3 rf1-p12:12:1 rf3-p12:12:3; do
        IFS=: read -r name parts rf <<<"$t"
        bin/kafka-topics.sh --create --topic "$name" --partitions "$parts" --replication-factor "$rf" \
                --config min.insync.replicas=$(( rf == 3 ? 2 : 1 )) --bootstrap-server "$BS" >/dev/null
done

# The mock: 3 brokers, the same topics (replication factor 3 where asked; it keeps one copy).
"$MOCK" -n 3 -f "$WORK/mock.bs" rf1-p1:1 rf3-p1:1 rf1-p12:12 rf3-p12:12 >/dev/null 2>"$WORK/mock.log" &
pids+=($!)
for _ in $(seq 50); do [[ -s $WORK/mock.bs ]] && break; sleep 0.1; done
MBS=$(cat "$WORK/mock.bs")
sleep 1

LOG=$WORK/results.txt
run() {  # side label args...
        local side=$1 label=$2; shift 2
        local b=$BS; [[ $side == mock ]] && b=$MBS
        # Steady state: an unrecorded warm-up first, so retention is already recycling the pages
        # this scenario writes (never-used memory is slow on these VMs, ../shared/bench/README.md).
        if [[ $side == samsa && $1 == produce ]]; then
                local warm=("$@"); warm[${#warm[@]}-1]=$WARM_S
                "$KPERF" "${warm[@]}" -b "$b" -T 90 -L warm >/dev/null 2>&1 || true
        fi
        line=$("$KPERF" "$@" -b "$b" -T 90 -L "$side" 2>>"$WORK/kperf.err" | grep '^KPERF ' || echo "KPERF status=failed")
        echo "scenario=$label side=$side $line" >> "$LOG"
        printf '%-22s %-6s %s\n' "$label" "$side" "$(grep -oE '(MiBps|lat_p99_ms)=[0-9.]+|status=[a-z]+' <<<"$line" | tr '\n' ' ')" >&2
}
for r in $(seq "$ROUNDS"); do
        for side in samsa mock; do
                run $side rf1-p1  produce -t rf1-p1  -p 0  -n "$N" -s 1024 -a all -d "$CAP_S"
                run $side rf3-p1  produce -t rf3-p1  -p 0  -n "$N" -s 1024 -a all -d "$CAP_S"
                run $side rf1-p12 produce -t rf1-p12 -p -1 -n "$N" -s 1024 -a all -d "$CAP_S"
                run $side rf3-p12 produce -t rf3-p12 -p -1 -n "$N" -s 1024 -a all -d "$CAP_S"
                run $side e2e-rf3-10k e2e -t rf3-p1 -p 0 -n "$E2E_N" -r 10000 -s 1024 -a all -l 1 -X c:fetch.wait.max.ms=1
        done
done

awk '
function med(k,   n,i,j,t,w) { n=cnt[k]; if(!n) return 0; for(i=1;i<=n;i++) w[i]=v[k,i]; for(i=1;i<=n;i++) for(j=i+1;j<=n;j++) if(w[j]<w[i]){t=w[i];w[i]=w[j];w[j]=t}; return n%2?w[(n+1)/2]:(w[n/2]+w[n/2+1])/2 }
{ s=""; side=""; for(i=1;i<=NF;i++){ split($i,kv,"="); if(kv[1]=="scenario")s=kv[2]; if(kv[1]=="side")side=kv[2]; if(kv[1]=="MiBps"||kv[1]=="lat_p99_ms"||kv[1]=="lat_p50_ms"){k=s SUBSEP side SUBSEP kv[1]; cnt[k]++; v[k,cnt[k]]=kv[2]+0; seen[s]=1} } }
END {
  printf "%-14s %12s %12s %8s\n", "scenario", "samsa", "mock", "ratio"
  split("rf1-p1 rf3-p1 rf1-p12 rf3-p12", order, " ")
  for (o=1;o<=4;o++){ s=order[o]; x=med(s SUBSEP "samsa" SUBSEP "MiBps"); y=med(s SUBSEP "mock" SUBSEP "MiBps"); printf "%-14s %9.0f MiB/s %9.0f MiB/s %6.2f\n", s, x, y, (y?x/y:0) }
  s="e2e-rf3-10k"; printf "%-14s p50 %5.1f ms p99 %5.1f ms | mock p50 %5.1f ms p99 %5.1f ms\n", s, med(s SUBSEP "samsa" SUBSEP "lat_p50_ms"), med(s SUBSEP "samsa" SUBSEP "lat_p99_ms"), med(s SUBSEP "mock" SUBSEP "lat_p50_ms"), med(s SUBSEP "mock" SUBSEP "lat_p99_ms")
  r1=med("rf1-p1" SUBSEP "samsa" SUBSEP "MiBps"); r3=med("rf3-p1" SUBSEP "samsa" SUBSEP "MiBps")
  printf "RF3/RF1 (1 partition): %.2f\n", (r1?r3/r1:0)
  r1=med("rf1-p12" SUBSEP "samsa" SUBSEP "MiBps"); r3=med("rf3-p12" SUBSEP "samsa" SUBSEP "MiBps")
  printf "RF3/RF1 (12 partitions): %.2f\n", (r1?r3/r1:0)
}' "$LOG"
