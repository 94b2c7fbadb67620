// The V8 flags a broker process runs with, for the launchers written in TypeScript (tests, bench);
// bin/kafka-server-start.sh and its .bat twin pass the same, as Kafka's scripts pass JVM options.
//
// Why: V8 sizes the young generation from the machine's memory (semi-spaces up to 32 MiB on a
// 24 GiB machine). A broker's live heap is small (~20 MB); 4 MiB semi-spaces cost no throughput
// (measured: docs/performance.md "Major GCs behind the replication e2e tail") and keep an idle
// broker's memory down. `--heap-growing-percent=200`: after a full GC the old generation may grow
// to 3× what it kept (V8's own factor here was ~1.6), so full GCs — each a ~15-25 ms stall of the
// event loop on this machine, marking a ~22 MB heap — come every tens of seconds under load
// instead of every few (measured: docs/performance.md, same section; idle RSS per partition
// unchanged or lower, `npm run bench -- scale`).
export const BROKER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4', '--heap-growing-percent=200']
