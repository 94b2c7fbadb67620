#!/usr/bin/env bash
# Consume throughput of two checkouts of Samsa, side by side on this machine: one broker from each
# (A and B), the same topic produced into both, then kperf consumes of 1 GiB (1 KiB records, one
# fetch in flight, fetch wait 1 ms) alternating A and B with the order swapped every round (run
# always in one order, the second of each pair won most rounds whatever it ran; the same code in
# both seats gave B/A 0.987 and 0.992 over 16 and 12 rounds). Beside each consume, the broker main
# thread's CPU and its other threads' (thread pool, GC) per consumed MiB, from
# /proc/<pid>/task/*/schedstat: far steadier than the throughput, and what a busy broker runs out
# of. Prints each round and the medians; B/A > 1 means B is faster.
#
#   ROUNDS=20 bench/consume-ab.sh ../other-checkout           # A = the other checkout, B = this one
#   ROUNDS=20 bench/consume-ab.sh ../other-checkout ../third   # A and B both given
#
# Needs: ../shared/bench/build.sh run once (kperf). Both checkouts need their node_modules. The log
# dirs are on /dev/shm in steady state (64 MiB segments, 256 MiB retention: the consumes wrap
# around the retained ~290 MiB); a pause after producing lets retention settle first (a consume
# started while retention deletes the segment it reads runs at a third of its speed). Two
# unrecorded consumes per broker warm them up. Run it under `chrt -r 10` on a quiet machine; a
# helper of the same machine measuring at once spoils both. Everything it starts is stopped on
# exit, also on failure.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ $# -ge 1 ]] || { echo "usage: bench/consume-ab.sh DIR_A [DIR_B]" >&2; exit 2; }
A_DIR=$(cd "$1" && pwd)
B_DIR=$(cd "${2:-.}" && pwd)
ROUNDS=${ROUNDS:-12}
BUILD=${BENCH_BUILD:-/tmp/samsa-bench-build}
KPERF=$BUILD/kperf
[[ -x $KPERF ]] || { echo "build kperf first: ../shared/bench/build.sh" >&2; exit 1; }
for d in "$A_DIR" "$B_DIR"; do
  [[ -x $d/bin/kafka-server-start.sh ]] || { echo "not a Samsa checkout: $d" >&2; exit 2; }
done
NODE=node_modules/.bin/node
[[ -x $NODE ]] || NODE=node

WORK=$(mktemp -d /dev/shm/samsa-consume-ab-XXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

declare -A BOOT PID
for name in A B; do
  dir=${name}_DIR
  port=$($NODE -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
  (cd "${!dir}" && exec bin/kafka-server-start.sh config/standalone.properties \
    --override "listeners=PLAINTEXT://127.0.0.1:$port" --override "log.dirs=$WORK/logs-$name" \
    --override log.segment.bytes=67108864 --override log.retention.bytes=268435456 \
    --override log.retention.check.interval.ms=200 >"$WORK/broker-$name.log" 2>&1) &
  PID[$name]=$!
  pids+=("$!")
  BOOT[$name]=127.0.0.1:$port
done
for name in A B; do
  for _ in $(seq 100); do grep -q started "$WORK/broker-$name.log" && break; sleep 0.1; done
  grep -q started "$WORK/broker-$name.log" || { echo "broker $name did not start:" >&2; cat "$WORK/broker-$name.log" >&2; exit 1; }
done

consume() { "$KPERF" consume -n 1000000 -W -d 12 -X c:fetch.wait.max.ms=1 -b "$1" -t ab 2>/dev/null | grep '^KPERF'; }
# Nanoseconds on the CPU: the main thread (its tid is the pid), then all other threads.
cpu() {
  local main=0 other=0 t v
  for t in /proc/"$1"/task/*; do
    v=$(cut -d' ' -f1 "$t/schedstat")
    if [[ ${t##*/} == "$1" ]]; then main=$v; else other=$((other + v)); fi
  done
  echo "$main $other"
}

for name in A B; do "$KPERF" produce -n 600000 -s 1024 -a 1 -d 12 -C 1 -b "${BOOT[$name]}" -t ab >/dev/null 2>&1; done
sleep 2
for name in A B; do consume "${BOOT[$name]}" >/dev/null; consume "${BOOT[$name]}" >/dev/null; done

OUT=$WORK/results
echo "round side MiBps main_us_per_MiB other_us_per_MiB"
for r in $(seq "$ROUNDS"); do
  order="A B"
  [[ $((r % 2)) == 0 ]] && order="B A"
  for name in $order; do
    pid=${PID[$name]}
    read -r m0 o0 < <(cpu "$pid")
    line=$(consume "${BOOT[$name]}")
    read -r m1 o1 < <(cpu "$pid")
    mib=$(grep -o 'MiBps=[0-9.]*' <<<"$line" | cut -d= -f2)
    bytes=$(grep -o ' bytes=[0-9]*' <<<"$line" | cut -d= -f2)
    awk -v r="$r" -v n="$name" -v v="$mib" -v b="$bytes" -v dm=$((m1 - m0)) -v dother=$((o1 - o0)) \
      'BEGIN { m = b / 1048576; printf "%s %s %s %.0f %.0f\n", r, n, v, dm / 1e3 / m, dother / 1e3 / m }' | tee -a "$OUT"
  done
done
awk '
  function median(a, n,   i, j, t) {
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  { k = $2; n[k]++; v[k, n[k]] = $3; m[k, n[k]] = $4; o[k, n[k]] = $5
    if (k == "B") { pair[$1] = $3 } else { a_of[$1] = $3 } }
  END {
    for (s = 1; s <= 2; s++) {
      k = s == 1 ? "A" : "B"
      for (i = 1; i <= n[k]; i++) { x[i] = v[k, i]; y[i] = m[k, i]; z[i] = o[k, i] }
      med[k] = median(x, n[k]); mm = median(y, n[k]); mo = median(z, n[k])
      printf "%s median %.0f MiB/s, main thread %.0f us/MiB, other threads %.0f us/MiB\n", k, med[k], mm, mo
    }
    wins = 0; for (r in pair) if (pair[r] > a_of[r]) wins++
    printf "B/A %.3f (B faster in %d of %d rounds)\n", med["B"] / med["A"], wins, n["B"]
  }' "$OUT"
