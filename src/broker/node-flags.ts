// The V8 flags and environment a broker process runs with, for the launchers written in TypeScript
// (tests, bench); bin/kafka-server-start.sh and its .bat twin pass the same, as Kafka's scripts pass
// JVM options.
//
// Why: V8 sizes the young generation from the machine's memory (semi-spaces up to 32 MiB on a
// 24 GiB machine). A broker's live heap is small (~14 MB idle, 16-24 MB under load); 4 MiB
// semi-spaces cost no throughput (measured: docs/performance.md "Major GCs behind the replication
// e2e tail") and keep an idle broker's memory down. `--heap-growing-percent=200`: after a full GC
// the old generation may grow to 3× what it kept (V8's own factor here was ~1.6), so full GCs —
// each a 10-25 ms stall of the event loop on this machine — come every tens of seconds under load
// instead of every few (measured: docs/performance.md, same section; idle RSS per partition
// unchanged or lower, `npm run bench -- scale`).
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const BROKER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4', '--heap-growing-percent=200']

/**
 * `env` plus NODE_COMPILE_CACHE (unless set): main.ts turns Node's compile cache on for what it
 * imports, but main.ts itself is read before that; a TypeScript file that misses the cache makes
 * Node load its type stripper (~4 MB of heap, ~6 MB of WebAssembly memory, kept for the life of the
 * process). The directory is the one main.ts would pick.
 */
export function brokerNodeEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...env, NODE_COMPILE_CACHE: env.NODE_COMPILE_CACHE ?? join(tmpdir(), 'node-compile-cache') }
}
