// The V8 flags a broker process runs with, for the launchers written in TypeScript (tests, bench);
// bin/kafka-server-start.sh and its .bat twin pass the same, as Kafka's scripts pass JVM options.
//
// Why: V8 sizes the young generation from the machine's memory (semi-spaces up to 32 MiB on a
// 24 GiB machine) and starts an old-generation collection whenever the old generation's headroom
// is smaller than the young generation. A broker's old generation is small (~20 MiB live), so once
// a burst of traffic had grown the young generation to its maximum, one broker ran a full
// mark-compact every ~300 ms for as long as traffic continued — each one 10-15 ms of main-thread
// marking and pause, which on acks=all stalled every ISR member's fetch loop (the e2e p99 of
// replication). With 4 MiB semi-spaces the same run does 0-2 mark-compacts per broker, and
// produce/consume throughput measured the same or better (docs/performance.md "GC").
export const BROKER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4']
