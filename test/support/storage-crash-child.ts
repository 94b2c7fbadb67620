// Child process of the storage crash test: appends to a real log in a loop and prints one line
// per append once it returned ("ok <first> <last> <tag> <count>"), until it is SIGKILLed. Pipes
// to the parent are synchronous on Linux, so a printed line means the append had completed.
//
//   node test/support/storage-crash-child.ts <log.dir> <seed>

import { systemClock } from '../../src/common/clock.ts'
import { nodeFs } from '../../src/common/node-fs.ts'
import { buildBatch } from '../../src/records/builder.ts'
import { LogManager } from '../../src/storage/log-manager.ts'

const [dir, seedArg] = process.argv.slice(2)
let seed = Number(seedArg) || 1
const random = (): number => {
  seed = (seed * 48271) % 2147483647
  return seed / 2147483647
}

const m = await LogManager.start({
  fs: nodeFs,
  clock: systemClock,
  config: { logDirs: [dir], cleanerEnable: false, recoveryPointCheckpointIntervalMs: 20 },
  defaultLogConfig: { segmentBytes: 48 * 1024, indexIntervalBytes: 512 },
})
const log = await m.getOrCreateLog('crash', 0)
process.stdout.write(`ready ${log.logEndOffset}\n`)
for (let i = 0; ; i++) {
  const count = 1 + Math.floor(random() * 8)
  const tag = `${seedArg}-${i}`
  const pad = 'p'.repeat(Math.floor(random() * 600))
  const batch = buildBatch(
    Array.from({ length: count }, (_, j) => ({
      key: `k${j}`,
      value: `${tag}-${j}-${pad}`,
      timestamp: Date.now(),
    })),
  )
  const r = await log.append(batch, { leaderEpoch: 1 })
  log.updateHighWatermark(log.logEndOffset)
  process.stdout.write(`ok ${r.firstOffset} ${r.lastOffset} ${tag} ${count}\n`)
  const op = random()
  if (op < 0.05) await log.flush()
  else if (op < 0.07) await log.rollNow()
}
