// Process entry of the broker (what bin/kafka-server-start.sh runs). It only turns on Node's
// on-disk compile cache before loading the rest: the codec is ~2 MB of generated TypeScript, and
// with the cache a restart skips type stripping and compilation (broker start ~3x faster). This file
// itself is read before the call: the launchers set NODE_COMPILE_CACHE so that it hits the cache too
// (node-flags.ts: a miss loads Node's type stripper for the life of the process).
import { enableCompileCache } from 'node:module'

enableCompileCache?.()
await import('./server-main.ts')
