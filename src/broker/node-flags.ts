// The V8 flags a broker process runs with, for the launchers written in TypeScript (tests, bench);
// bin/kafka-server-start.sh and its .bat twin pass the same, as Kafka's scripts pass JVM options.
//
// Why: V8 sizes the young generation from the machine's memory (semi-spaces up to 32 MiB on a
// 24 GiB machine). A broker's live heap is small (~20 MB); 4 MiB semi-spaces cost no throughput
// (measured: docs/performance.md "Major GCs behind the replication e2e tail") and keep an idle
// broker's memory down.
export const BROKER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4']
