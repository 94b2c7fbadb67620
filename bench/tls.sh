#!/usr/bin/env bash
# TLS cost, measured from outside with kperf (../shared/bench): one Samsa broker with a PLAINTEXT
# and an SSL listener (a CA and a broker certificate made here with openssl), 1 KiB records
# produced (acks=1) then consumed from offset 0, on each listener in turn, alternating plaintext
# and SSL for ROUNDS rounds; prints each run and the SSL/plaintext throughput ratio of the medians.
#
#   bench/tls.sh                      # ROUNDS=1 N=150000 CAP_S=8
#   ROUNDS=3 N=200000 bench/tls.sh    # steadier
#
# Needs: ../shared/bench/build.sh run once (kperf), openssl. The log dir is on /dev/shm with
# retention recycling memory (see ../shared/bench/README.md); retention (256 MiB) stays above N
# KiB, so a consume from offset 0 reads all N. An unrecorded warm-up precedes the measured runs.
# Everything it starts is stopped on exit, also on failure.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-1}
N=${N:-150000}
CAP_S=${CAP_S:-8}
BUILD=${BENCH_BUILD:-/tmp/samsa-bench-build}
KPERF=$BUILD/kperf
[[ -x $KPERF ]] || { echo "build kperf first: ../shared/bench/build.sh" >&2; exit 1; }
NODE=node_modules/.bin/node
[[ -x $NODE ]] || NODE=node

WORK=$(mktemp -d /dev/shm/samsa-tls-bench-XXXX)
pid=
cleanup() {
        [[ -n $pid ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
        rm -rf "$WORK"
}
trap cleanup EXIT

# A CA and a broker certificate for 127.0.0.1 (EC P-256), and the broker's PEM key store.
(
        cd "$WORK"
        openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ca.key 2>/dev/null
        openssl req -x509 -new -key ca.key -subj /CN=bench-ca -days 1 -out ca.crt
        openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out broker.key 2>/dev/null
        openssl req -new -key broker.key -subj /CN=localhost -out broker.csr
        printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > ext
        openssl x509 -req -in broker.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 1 \
                -extfile ext -out broker.crt 2>/dev/null
        cat broker.key broker.crt > broker.pem
)

free_port() { "$NODE" -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
plain=$(free_port)
ssl=$(free_port)
"$NODE" --max-semi-space-size=4 --heap-growing-percent=200 src/broker/main.ts config/server.properties \
        --override "listeners=PLAINTEXT://127.0.0.1:$plain,SSL://127.0.0.1:$ssl" \
        --override "log.dirs=$WORK/data" --override zookeeper.connect= --override ssl.keystore.type=PEM \
        --override "ssl.keystore.location=$WORK/broker.pem" \
        --override log.segment.bytes=16777216 --override log.retention.bytes=268435456 \
        --override log.retention.check.interval.ms=200 --override log.segment.delete.delay.ms=0 \
        > "$WORK/broker.log" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q 'started' "$WORK/broker.log" 2>/dev/null && break; sleep 0.1; done
grep -q 'started' "$WORK/broker.log" || { cat "$WORK/broker.log"; exit 1; }

SSL_X=(-X security.protocol=ssl -X "ssl.ca.location=$WORK/ca.crt")
run() { # side mode topic
        local side=$1 mode=$2 topic=$3 args=()
        [[ $side == ssl ]] && args=("${SSL_X[@]}")
        local bs="127.0.0.1:$plain"
        [[ $side == ssl ]] && bs="127.0.0.1:$ssl"
        "$KPERF" "$mode" -b "$bs" -t "$topic" -n "$N" -s 1024 -d "$CAP_S" -T $((CAP_S + 20)) -C 1 \
                -L "$side" "${args[@]}" | grep '^KPERF ' | sed -E 's/.* (MiBps=[0-9.]+).*(status=[a-z]+).*/\1 \2/'
}

# Warm-up (not recorded): both paths once, short.
N_SAVE=$N; N=30000
run plain produce warm >/dev/null; run ssl produce warm >/dev/null
N=$N_SAVE

declare -A res
for r in $(seq "$ROUNDS"); do
        for side in plain ssl; do
                p=$(run "$side" produce "tls-$side-$r")
                c=$(run "$side" consume "tls-$side-$r")
                echo "round $r $side: produce $p; consume $c"
                res[$side-produce]+="${p%% *} "; res[$side-consume]+="${c%% *} "
        done
done

median() { tr ' ' '\n' | sed -n 's/MiBps=//p' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for mode in produce consume; do
        p=$(echo "${res[plain-$mode]}" | median)
        s=$(echo "${res[ssl-$mode]}" | median)
        awk -v m="$mode" -v p="$p" -v s="$s" \
                'BEGIN { printf "%-8s plaintext %8.1f MiB/s   ssl %8.1f MiB/s   ssl/plaintext %.2f\n", m, p, s, s / p }'
done
