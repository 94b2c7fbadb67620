// Loading after clean and unclean shutdowns: torn tails, corrupt batches, broken indexes,
// leftovers of interrupted deletions and compactions.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ManualClock } from '../../../src/common/clock.ts'
import { MemoryFs } from '../../../src/common/memory-fs.ts'
import { Log } from '../../../src/storage/log.ts'
import { logConfig } from '../../../src/storage/log-config.ts'
import { makeBatch, openTestLog, readAll } from '../../support/storage-helpers.ts'

const DIR = '/data/t-0'

async function filled(config = { segmentBytes: 1000 }, batches = 30) {
  const fs = new MemoryFs()
  const { log } = await openTestLog({ fs, dir: DIR, config })
  for (let i = 0; i < batches; i++)
    await log.append(makeBatch(2, { tag: `${i}`, ts: 1000 + i }), { leaderEpoch: 1 })
  return { fs, log }
}

const segPath = (base: bigint, ext: string) => `${DIR}/${base.toString().padStart(20, '0')}.${ext}`

describe('recovery', () => {
  it('opens after a clean shutdown without reading the data', async () => {
    const { fs, log } = await filled()
    await log.close()
    const reads = fs.stats.reads
    const { log: again } = await openTestLog({ fs, dir: DIR, state: { hadCleanShutdown: true } })
    assert.equal(again.logEndOffset, 60n)
    assert.ok(fs.stats.reads - reads <= 3, `reads on open: ${fs.stats.reads - reads}`)
    assert.equal((await readAll(again)).length, 60)
  })

  it('logs recovery progress segment by segment', async () => {
    const { fs, log } = await filled()
    const n = log.numberOfSegments
    const messages: string[] = []
    const logger = {
      info: (m: string) => messages.push(m),
      warn: (m: string) => messages.push(m),
      error() {},
    }
    await Log.open(
      {
        fs,
        clock: new ManualClock(),
        dir: DIR,
        topicPartition: { topic: 't', partition: 0 },
        config: logConfig({ segmentBytes: 1000 }),
        logger,
      },
      { hadCleanShutdown: false, recoveryPoint: 0n },
    )
    assert.ok(messages.includes(`recovering segment 1/${n} of t-0`), messages.join('\n'))
    assert.ok(messages.includes(`recovering segment ${n}/${n} of t-0`))
  })

  it('cuts a torn last batch', async () => {
    const { fs, log } = await filled()
    await log.close()
    const last = log.segmentList[log.numberOfSegments - 1]
    const f = await fs.open(segPath(last.baseOffset, 'log'), 'rw')
    await f.truncate((await f.size()) - 7)
    await f.close()
    const { log: again } = await openTestLog({ fs, dir: DIR })
    assert.equal(again.logEndOffset, 58n)
    assert.equal((await readAll(again)).length, 58)
    await again.append(makeBatch(1))
    assert.equal(again.logEndOffset, 59n)
  })

  it('cuts at a corrupt batch and drops every later segment', async () => {
    const { fs, log } = await filled()
    await log.close()
    const victim = log.segmentList[1]
    const f = await fs.open(segPath(victim.baseOffset, 'log'), 'rw')
    const flip = Buffer.alloc(1)
    await f.read(flip, 0, 1, 150)
    flip[0] ^= 0xff
    await f.write(flip, 150)
    await f.close()
    const { log: again } = await openTestLog({ fs, dir: DIR, state: { recoveryPoint: 0n } })
    assert.equal(again.numberOfSegments, 2)
    const recs = await readAll(again)
    assert.equal(recs.length, Number(again.logEndOffset))
    assert.ok(again.logEndOffset < victim.baseOffset + 4n)
    assert.ok(
      !(await fs.readdir(DIR)).some((n) =>
        n.startsWith(log.segmentList[2].baseOffset.toString().padStart(20, '0')),
      ),
    )
  })

  it('trusts data below the recovery point and verifies from its segment on', async () => {
    const { fs, log } = await filled()
    await log.flush()
    const rp = log.recoveryPoint
    const reads = fs.stats.reads
    const { log: again } = await openTestLog({ fs, dir: DIR, state: { recoveryPoint: rp } })
    assert.equal(again.logEndOffset, 60n)
    assert.ok(fs.stats.reads - reads < 5, 'only the active segment is read')
  })

  it('rebuilds a missing or corrupt index from the log', async () => {
    const { fs, log } = await filled({ segmentBytes: 1000, indexIntervalBytes: 100 } as never)
    await log.close()
    const seg0 = log.segmentList[0].baseOffset
    await fs.unlink(segPath(seg0, 'index'))
    const seg1 = log.segmentList[1].baseOffset
    const f = await fs.open(segPath(seg1, 'index'), 'rw')
    await f.write(Buffer.from('7fffffff7fffffff', 'hex'), 0)
    await f.close()
    const { log: again } = await openTestLog({ fs, dir: DIR, state: { hadCleanShutdown: true } })
    assert.equal((await readAll(again)).length, 60)
    const r = await again.readRecords(seg1 + 3n, 1)
    assert.equal(r.firstBatchOffset, seg1 + 2n)
  })

  it('removes .deleted, .cleaned and .tmp leftovers and orphan indexes', async () => {
    const { fs, log } = await filled()
    await log.close()
    for (const name of [
      '00000000000000000999.log.deleted',
      '00000000000000000998.log.cleaned',
      'leader-epoch-checkpoint.tmp',
      '00000000000000000997.index',
    ]) {
      const f = await fs.open(`${DIR}/${name}`, 'rw')
      await f.write(Buffer.from('junk'), 0)
      await f.close()
    }
    const { log: again } = await openTestLog({ fs, dir: DIR, state: { hadCleanShutdown: true } })
    const names = await fs.readdir(DIR)
    assert.ok(
      !names.some((n) => n.includes('999') || n.includes('998') || n.includes('997') || n.endsWith('.tmp')),
    )
    assert.equal(again.logEndOffset, 60n)
  })

  it('completes an interrupted compaction swap', async () => {
    const { fs, log } = await filled()
    await log.close()
    // A .swap replacing segments 0 and 1, holding the records of segment 0 and 1 only partly.
    const s0 = log.segmentList[0]
    const s1 = log.segmentList[1]
    const data0 = fs.peek(segPath(s0.baseOffset, 'log'))!
    const swap = await fs.open(`${segPath(s0.baseOffset, 'log')}.swap`, 'rw')
    await swap.write(data0, 0)
    await swap.close()
    const { log: again } = await openTestLog({ fs, dir: DIR, state: { hadCleanShutdown: true } })
    const names = await fs.readdir(DIR)
    assert.ok(!names.some((n) => n.endsWith('.swap')))
    // Segment 1's base lies past the swap's last offset, so it stays: nothing is lost.
    assert.ok(names.includes(`${s1.baseOffset.toString().padStart(20, '0')}.log`))
    assert.equal((await readAll(again)).length, 60)
  })

  it('rebuilds the leader epoch cache from recovered batches', async () => {
    const fs = new MemoryFs()
    const { log } = await openTestLog({ fs, dir: DIR })
    await log.append(makeBatch(2), { leaderEpoch: 1 })
    await log.append(makeBatch(2), { leaderEpoch: 4 })
    await log.append(makeBatch(2), { leaderEpoch: 9 })
    await fs.unlink(`${DIR}/leader-epoch-checkpoint`)
    const { log: again } = await openTestLog({ fs, dir: DIR })
    assert.deepEqual(again.epochCache.all(), [
      { epoch: 1, startOffset: 0n },
      { epoch: 4, startOffset: 2n },
      { epoch: 9, startOffset: 4n },
    ])
  })
})
