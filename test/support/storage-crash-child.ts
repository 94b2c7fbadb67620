// Child process of the storage crash test: appends to a real log in a loop and prints one line
// per append once it returned ("ok <first> <last> <tag> <count>"), until it is SIGKILLed. Pipes
// to the parent are synchronous on Linux, so a printed line means the append had completed.
//
// With `retain`, retention (4 segments, checked every 20 ms, files removed at once) runs beside
// the appends, so rolls reuse retired segment files; "reuse <base>" is printed for each active
// segment that is a reused file.
//
//   node test/support/storage-crash-child.ts <log.dir> <seed> [retain]

import { systemClock } from '../../src/common/clock.ts'
import { nodeFs } from '../../src/common/node-fs.ts'
import { buildBatch } from '../../src/records/builder.ts'
import { LogManager } from '../../src/storage/log-manager.ts'
import { crashLogConfig } from './storage-helpers.ts'

const [dir, seedArg, mode] = process.argv.slice(2)
const retain = mode === 'retain'
let seed = Number(seedArg) || 1
const random = (): number => {
  seed = (seed * 48271) % 2147483647
  return seed / 2147483647
}

const m = await LogManager.start({
  fs: nodeFs,
  clock: systemClock,
  config: {
    logDirs: [dir],
    cleanerEnable: false,
    recoveryPointCheckpointIntervalMs: 20,
    ...(retain ? { retentionCheckIntervalMs: 20 } : {}),
  },
  defaultLogConfig: crashLogConfig(retain),
})
const log = await m.getOrCreateLog('crash', 0)
process.stdout.write(`ready ${log.logEndOffset}\n`)
let reported = -1n
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
  const active = log.segmentList[log.segmentList.length - 1]
  if (retain && active.recycled && active.baseOffset !== reported) {
    reported = active.baseOffset
    process.stdout.write(`reuse ${reported}\n`)
  }
  const op = random()
  if (op < 0.05) await log.flush()
  else if (op < 0.07) await log.rollNow()
}
