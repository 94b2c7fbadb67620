// Many partitions at once (issue 17): logs created, checkpointed, closed and loaded in batches
// must behave exactly like logs handled one by one. A new or reloaded idle log holds no file
// handle and opens it again on first use; concurrent checkpoint and directory-sync requests share
// one write yet always carry the latest values; a power loss right after a batch of creations,
// appends and deletes keeps everything that was acknowledged as durable.

import assert from 'node:assert/strict'
import { readdirSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { Coalescer, forEachBounded, Semaphore } from '../../../src/common/bounded.ts'
import { ManualClock } from '../../../src/common/clock.ts'
import { type Fs, writeFileAtomic } from '../../../src/common/fs.ts'
import type { Uuid } from '../../../src/common/ids.ts'
import { MemoryFs } from '../../../src/common/memory-fs.ts'
import { NodeFs } from '../../../src/common/node-fs.ts'
import { buildBatch } from '../../../src/records/builder.ts'
import { OffsetCheckpointFile } from '../../../src/storage/checkpoint-file.ts'
import { RECOVERY_POINT_CHECKPOINT } from '../../../src/storage/file-names.ts'
import type { Log } from '../../../src/storage/log.ts'
import { LogManager } from '../../../src/storage/log-manager.ts'
import { recordsOf } from '../../support/storage-helpers.ts'

const N = 200
const TOPIC_ID = 'AAAAAAAAAAAAAAAAAAAAAQ' as Uuid

/** A session whose renames onto a checkpoint file and directory fsyncs are counted. */
function counting(fs: MemoryFs) {
  const s = fs.session()
  const counts = { checkpointWrites: 0, syncDirs: 0 }
  const wrapped: Fs = {
    ...s,
    rename: (a, b) => {
      if (b.endsWith(`/${RECOVERY_POINT_CHECKPOINT}`)) counts.checkpointWrites++
      return s.rename(a, b)
    },
    syncDir: (p) => {
      if (p === '/logs') counts.syncDirs++
      return s.syncDir(p)
    },
  }
  return { fs: wrapped, counts }
}

const options = (clock: ManualClock) => ({ clock, config: { logDirs: ['/logs'] } })

function openHandles(log: Log): number {
  return log.segmentList.filter((s) => s.openHandle !== null).length
}

async function values(log: Log): Promise<string[]> {
  const r = await log.readRecords(log.logStartOffset, 1 << 20)
  return recordsOf(r.records).map((x) => x.value ?? '')
}

describe('many logs at once', () => {
  it('creates logs in a batch: shared dir fsyncs, no open handles, reopened on first use', async () => {
    const mem = new MemoryFs()
    const clock = new ManualClock()
    const { fs, counts } = counting(mem)
    const m = await LogManager.start({ fs, ...options(clock) })
    const before = counts.syncDirs
    const parts = Array.from({ length: N }, (_, i) => i)
    await forEachBounded(parts, 32, (p) => m.getOrCreateLog('t', p, { topicId: TOPIC_ID }))
    assert.equal(m.allLogs().length, N)
    // Every creation needs the log dir synced, but creations in flight together share a sync.
    assert.ok(counts.syncDirs - before < N / 4, `${counts.syncDirs - before} syncs of /logs for ${N} logs`)
    for (const { log } of m.allLogs()) {
      assert.equal(openHandles(log), 0, `${log.name} holds a handle while idle`)
      assert.equal(log.topicId, TOPIC_ID)
    }
    const log = m.getLog('t', 7)!
    await log.append(buildBatch([{ key: 'k', value: 'first' }]))
    assert.equal(openHandles(log), 1)
    assert.deepEqual(await values(log), ['first'])
    await m.shutdown()

    // A clean load reads each active segment's tail and closes it again.
    const m2 = await LogManager.start({ fs: mem.session(), ...options(clock) })
    assert.equal(m2.allLogs().length, N)
    const again = m2.getLog('t', 7)!
    assert.equal(openHandles(again), 0)
    assert.equal(again.logEndOffset, 1n)
    await again.append(buildBatch([{ key: 'k', value: 'second' }]))
    assert.deepEqual(await values(again), ['first', 'second'])
    assert.equal(m2.getLog('t', 8)!.logEndOffset, 0n)
    await m2.shutdown()
  })

  it('coalesces checkpoint requests and writes the latest values of every log', async () => {
    const mem = new MemoryFs()
    const clock = new ManualClock()
    const { fs, counts } = counting(mem)
    const m = await LogManager.start({ fs, ...options(clock) })
    const logs = await Promise.all(Array.from({ length: 50 }, (_, p) => m.getOrCreateLog('c', p)))
    for (const [i, log] of logs.entries()) {
      for (let j = 0; j <= i % 3; j++) await log.append(buildBatch([{ key: 'k', value: `v${j}` }]))
      await log.flush()
    }
    const before = counts.checkpointWrites
    await Promise.all(logs.map(() => m.checkpointDir('/logs')))
    // One write may already be running when the rest arrive; all the others share the next one.
    assert.ok(counts.checkpointWrites - before <= 2, `${counts.checkpointWrites - before} writes`)
    const rps = await new OffsetCheckpointFile(mem.session(), `/logs/${RECOVERY_POINT_CHECKPOINT}`).read()
    assert.equal(rps.size, 50)
    for (const [i, log] of logs.entries()) {
      assert.equal(rps.get(`c-${i}`), BigInt((i % 3) + 1))
      assert.equal(log.recoveryPoint, BigInt((i % 3) + 1))
    }
    await m.shutdown()
  })

  it('survives a power loss right after a batch of creations, flushed appends and deletes', async () => {
    const mem = new MemoryFs()
    const clock = new ManualClock()
    const m = await LogManager.start({ fs: mem.session(), ...options(clock) })
    const parts = Array.from({ length: 60 }, (_, i) => i)
    await forEachBounded(parts, 32, (p) => m.getOrCreateLog('d', p, { topicId: TOPIC_ID }))
    // Flushed appends to the even partitions (durable); unflushed ones to the odd (may be lost).
    await forEachBounded(parts, 32, async (p) => {
      const log = m.getLog('d', p)!
      await log.append(buildBatch([{ key: 'k', value: `p${p}` }]))
      if (p % 2 === 0) await log.flush()
    })
    await m.checkpointAll()
    await forEachBounded(
      parts.filter((p) => p % 10 === 9),
      32,
      (p) => m.deleteLog('d', p),
    )
    mem.crash()

    const m2 = await LogManager.start({ fs: mem.session(), ...options(clock) })
    const names = new Set(m2.allLogs().map((e) => e.log.name))
    for (const p of parts) {
      const log = m2.getLog('d', p)
      if (p % 10 === 9) {
        assert.equal(log, undefined, `deleted d-${p} came back`)
        continue
      }
      assert.ok(log !== undefined && names.has(`d-${p}`), `d-${p} missing after the crash`)
      assert.equal(log.topicId, TOPIC_ID)
      if (p % 2 === 0) {
        assert.deepEqual(await values(log), [`p${p}`])
        assert.equal(log.recoveryPoint, 1n)
      }
      // Recovery read the segment: whatever it found, appends continue after it.
      const leo = log.logEndOffset
      await log.append(buildBatch([{ key: 'k', value: 'after' }]))
      assert.equal(log.logEndOffset, leo + 1n)
    }
    await m2.shutdown()
  })

  it('power loss at any moment of a batch creation: every created log keeps its topic id and epoch', async () => {
    // New logs' partition.metadata and first leader-epoch-checkpoint are written in place and
    // fsynced in batches (new-files.ts): whatever a crash cuts, creations that resolved come back
    // with their topic id, appends that were flushed with their epoch, and nothing fails to load.
    for (let seed = 1; seed <= 50; seed++) {
      let s = seed * 2654435761
      const random = () => {
        s ^= s << 13
        s ^= s >>> 17
        s ^= s << 5
        return (s >>> 0) / 4294967296
      }
      const mem = new MemoryFs()
      const clock = new ManualClock()
      const m = await LogManager.start({ fs: mem.session(), ...options(clock) })
      await mem.syncDir('/')
      const created = new Set<number>()
      const flushed = new Set<number>()
      let crashed = false
      const work = forEachBounded(
        Array.from({ length: 40 }, (_, i) => i),
        16,
        async (p) => {
          const log = await m.getOrCreateLog('b', p, { topicId: TOPIC_ID })
          if (crashed) return
          created.add(p)
          log.assignLeaderEpoch(3)
          if (p % 2 === 0) return
          await log.append(buildBatch([{ key: 'k', value: `v${p}` }]), { leaderEpoch: 3 })
          await log.flush()
          if (!crashed) flushed.add(p)
        },
      ).catch(() => {})
      // The memory Fs answers in microtasks: crash after a random number of them.
      const turns = Math.floor(random() * 250)
      for (let t = 0; t < turns; t++) await Promise.resolve()
      crashed = true
      const done = new Set(created)
      const durable = new Set(flushed)
      mem.crash({ mode: random() < 0.7 ? 'torn' : 'drop', random })
      await work
      await m.abandon()

      const m2 = await LogManager.start({ fs: mem.session(), ...options(clock) })
      const ctx = `seed ${seed}`
      for (const p of done) {
        const log = m2.getLog('b', p)
        assert.ok(log !== undefined, `${ctx}: created b-${p} missing`)
        assert.equal(log.topicId, TOPIC_ID, `${ctx}: b-${p} lost its topic id`)
      }
      for (const p of durable) {
        const log = m2.getLog('b', p)!
        assert.deepEqual(await values(log), [`v${p}`], `${ctx}: b-${p} lost flushed data`)
        assert.deepEqual(log.epochCache.all(), [{ epoch: 3, startOffset: 0n }], `${ctx}: b-${p} epochs`)
      }
      // Logs cut short are usable: the topic id is recorded again, appends continue.
      for (const { log } of m2.allLogs()) {
        await m2.getOrCreateLog('b', log.topicPartition.partition, { topicId: TOPIC_ID })
        assert.equal(log.topicId, TOPIC_ID)
        log.assignLeaderEpoch(4)
        await log.append(buildBatch([{ key: 'k', value: 'after' }]), { leaderEpoch: 4 })
      }
      await m2.shutdown()
    }
  })

  it('files of a new log cut short by a crash are ignored in an empty log, refused in one with data', async () => {
    // On a real file system a directory entry may reach the disk before its file's data: an empty
    // log may come back with those files cut short (never acknowledged); a log with data never can.
    const mem = new MemoryFs()
    const clock = new ManualClock()
    const m = await LogManager.start({ fs: mem.session(), ...options(clock) })
    await m.getOrCreateLog('t', 0, { topicId: TOPIC_ID })
    const full = await m.getOrCreateLog('t', 1, { topicId: TOPIC_ID })
    full.assignLeaderEpoch(1)
    await full.append(buildBatch([{ key: 'k', value: 'v' }]), { leaderEpoch: 1 })
    await m.shutdown()
    await writeFileAtomic(
      mem.session(),
      '/logs/t-0/partition.metadata',
      Buffer.from('version: 0\ntopic_id: AAAAAAAA'),
    )
    await writeFileAtomic(mem.session(), '/logs/t-0/leader-epoch-checkpoint', Buffer.from('0\n1\n'))
    const m2 = await LogManager.start({ fs: mem.session(), ...options(clock) })
    const empty = m2.getLog('t', 0)!
    assert.equal(empty.topicId, null)
    assert.deepEqual(empty.epochCache.all(), [])
    await m2.getOrCreateLog('t', 0, { topicId: TOPIC_ID })
    assert.equal(empty.topicId, TOPIC_ID)
    await m2.shutdown()
    const m3 = await LogManager.start({ fs: mem.session(), ...options(clock) })
    assert.equal(m3.getLog('t', 0)!.topicId, TOPIC_ID)
    await m3.shutdown()
    await writeFileAtomic(mem.session(), '/logs/t-1/leader-epoch-checkpoint', Buffer.from('0\n1\n'))
    await assert.rejects(
      LogManager.start({ fs: mem.session(), ...options(clock) }),
      /leader-epoch-checkpoint/,
    )
  })

  it('on the real file system: idle logs hold no descriptor after create, clean load or recovery', async (t) => {
    if (process.platform !== 'linux') return t.skip('counts descriptors in /proc/self/fd')
    const root = await mkdtemp(join(tmpdir(), 'samsa-many-logs-'))
    const fds = () => readdirSync('/proc/self/fd').length
    const opts = { clock: new ManualClock(), config: { logDirs: [join(root, 'logs')] } }
    const parts = Array.from({ length: 300 }, (_, i) => i)
    try {
      const base = fds()
      const m = await LogManager.start({ fs: new NodeFs(), ...opts })
      await forEachBounded(parts, 32, (p) => m.getOrCreateLog('r', p, { topicId: TOPIC_ID }))
      assert.ok(fds() - base < 20, `${fds() - base} descriptors held by 300 idle logs`)
      await forEachBounded(parts, 32, (p) =>
        m.getLog('r', p)!.append(buildBatch([{ key: 'k', value: `a${p}` }])),
      )
      await m.shutdown()
      assert.ok(fds() - base < 20, `${fds() - base} descriptors left after shutdown`)

      // Clean load (blocking small reads): every log back, idle, and writable.
      const m2 = await LogManager.start({ fs: new NodeFs(), ...opts })
      assert.equal(m2.allLogs().length, 300)
      assert.ok(fds() - base < 20, `${fds() - base} descriptors after a clean load`)
      for (const p of [0, 150, 299]) {
        const log = m2.getLog('r', p)!
        assert.equal(log.topicId, TOPIC_ID)
        assert.equal(log.logEndOffset, 1n)
        await log.append(buildBatch([{ key: 'k', value: `b${p}` }]))
        assert.deepEqual(await values(log), [`a${p}`, `b${p}`])
      }
      // No clean shutdown: the next load recovers past the recovery point.
      await m2.abandon()
      const m3 = await LogManager.start({ fs: new NodeFs(), ...opts })
      assert.equal(m3.allLogs().length, 300)
      assert.ok(fds() - base < 20, `${fds() - base} descriptors after recovery`)
      assert.deepEqual(await values(m3.getLog('r', 150)!), ['a150', 'b150'])
      assert.deepEqual(await values(m3.getLog('r', 1)!), ['a1'])
      await m3.shutdown()
    } finally {
      await rm(root, { recursive: true, force: true })
    }
  })

  it('a clean load keeps the leader epoch that starts at the log end, without rewriting it', async () => {
    const mem = new MemoryFs()
    const clock = new ManualClock()
    const m = await LogManager.start({ fs: mem.session(), ...options(clock) })
    const log = await m.getOrCreateLog('e', 0)
    await log.append(buildBatch([{ key: 'k', value: 'v' }]), { leaderEpoch: 2 })
    log.assignLeaderEpoch(3)
    await m.shutdown()
    let epochWrites = 0
    const s = mem.session()
    const fs: Fs = {
      ...s,
      rename: (a, b) => {
        if (b.endsWith('/leader-epoch-checkpoint')) epochWrites++
        return s.rename(a, b)
      },
    }
    const m2 = await LogManager.start({ fs, ...options(clock) })
    const again = m2.getLog('e', 0)!
    assert.deepEqual(again.epochCache.all(), [
      { epoch: 2, startOffset: 0n },
      { epoch: 3, startOffset: 1n },
    ])
    assert.equal(epochWrites, 0)
    again.assignLeaderEpoch(3) // the leader taking its epoch again: nothing to write
    await m2.abandon()
    mem.crash()
    // After a crash the end is recovered, not trusted: the entry at the end goes, as in Kafka.
    const m3 = await LogManager.start({ fs: mem.session(), ...options(clock) })
    assert.deepEqual(m3.getLog('e', 0)!.epochCache.all(), [{ epoch: 2, startOffset: 0n }])
    await m3.shutdown()
  })

  it('Coalescer: callers before a run starts share it; later ones get the next run', async () => {
    const c = new Coalescer()
    let runs = 0
    let release: () => void = () => {}
    const task = () => {
      runs++
      return new Promise<void>((r) => {
        release = r
      })
    }
    const a = c.run(task)
    const b = c.run(task)
    assert.equal(a, b)
    await Promise.resolve()
    await Promise.resolve()
    assert.equal(runs, 1)
    const d = c.run(task) // the first run started: this needs a new one
    assert.notEqual(d, a)
    release()
    await a
    await new Promise((r) => setImmediate(r))
    assert.equal(runs, 2)
    release()
    await d
  })

  it('Semaphore: never more than its limit at once, all run', async () => {
    const sem = new Semaphore(3)
    let running = 0
    let peak = 0
    const done: number[] = []
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        sem.use(async () => {
          running++
          peak = Math.max(peak, running)
          await new Promise((r) => setImmediate(r))
          running--
          done.push(i)
        }),
      ),
    )
    assert.equal(peak, 3)
    assert.equal(done.length, 20)
  })
})
