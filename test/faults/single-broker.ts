// Single-broker faults (issue 12) against the standalone broker, no ZooKeeper: a seeded loop that
// runs each fault once (in a seeded order) and then random ones until the time is up, each on a
// topic of its own with a real client (confluent-kafka via test/e2e/py/replication_client.py):
// - kill-acks-all / kill-acks-1: SIGKILLs under load with an idempotent acks=-1 producer, or an
//   acks=1 producer without retries (so nothing is written twice); after every restart each
//   acknowledged record is read back exactly once at its acknowledged offset.
// - torn-segment: the broker stopped (SIGKILL or SIGTERM), the last segment of a partition cut
//   inside a batch or followed by garbage; the restarted broker keeps every batch before the tear,
//   drops the rest and takes new records from there.
// - deleted-index: .index/.timeindex files deleted while stopped; reads by offset and by timestamp
//   answer as before.
// - disk-full (root only: a tmpfs log dir): a filler file takes all the space; produce is refused
//   with KAFKA_STORAGE_ERROR, the broker stays up, no segment has a torn tail, and writes resume by
//   themselves once the filler is gone.
// The verdict is checker.ts's table and line; `ok` is false on any broken guarantee.

import { mkdtempSync, rmSync } from 'node:fs'
import { unlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Stream, startKeyedStream, until } from '../e2e/replication-helpers.ts'
import { type BrokerProcess, startBrokerProcess } from '../support/broker-process.ts'
import { kcat, python, sleep } from '../support/e2e-clients.ts'
import { seeded } from '../support/seeded.ts'
import type { Ack, LogRecord } from './checker.ts'
import {
  deleteIndexes,
  fillDisk,
  lookups,
  mountTmpfs,
  partitionDir,
  readTopic,
  segmentProblems,
  type Tmpfs,
  tearLastSegment,
} from './single-broker-disk.ts'
import { ackedOf, checkPhase, newPhase, PARTITIONS, type Phase, verdictOf } from './single-broker-verdict.ts'

export const SINGLE_FAULTS = [
  'kill-acks-all',
  'kill-acks-1',
  'torn-segment',
  'deleted-index',
  'disk-full',
] as const
export type SingleFault = (typeof SINGLE_FAULTS)[number]

const KAFKA_STORAGE_ERROR = 56

export interface SingleBrokerOptions {
  seconds: number
  seed: number
  log(line: string): void
  /** Only these faults (default: all). */
  faults?: readonly SingleFault[]
}

export async function runSingleBrokerFaults(
  opts: SingleBrokerOptions,
): Promise<{ ok: boolean; lines: string[] }> {
  const rand = seeded(opts.seed)
  const name = `samsa-f${process.pid}-${opts.seed}`
  const disk = mountTmpfs(name, 96)
  const faults: SingleFault[] = [...(opts.faults ?? SINGLE_FAULTS)]
  const notes: string[] = []
  if (typeof disk === 'string' && faults.includes('disk-full')) {
    faults.splice(faults.indexOf('disk-full'), 1)
    notes.push(`disk-full: skipped (${disk})`)
    opts.log(notes[0]!)
  }
  const root = typeof disk === 'string' ? mkdtempSync(join(tmpdir(), `${name}-`)) : disk.dir
  const dataDir = join(root, 'data')
  const config = {
    'num.partitions': PARTITIONS.length,
    'log.segment.bytes': 32768,
    'log.index.interval.bytes': 512,
    // Far fewer open segment files than the run makes (32 KiB segments): idle ones are closed
    // every sweep and reopened on use, under the same kills and disk faults (storage/open-files.ts).
    'samsa.log.max.open.segment.files': 4,
  }
  const streams: Stream[] = []
  let b: BrokerProcess | undefined
  // Ctrl-C or a kill of the run skips the finally below: end what we started, unmount, then exit.
  const onSignal = () => {
    for (const s of streams) s.kill()
    if (b?.child.exitCode === null) b.child.kill('SIGKILL')
    setTimeout(() => {
      if (typeof disk !== 'string') disk.unmount()
      process.exit(130)
    }, 200)
  }
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal)
  try {
    b = await startBrokerProcess({ logDir: root, config })
    const port = b.port
    const ctx: Ctx = {
      opts,
      rand,
      dataDir,
      disk: typeof disk === 'string' ? null : disk,
      broker: () => b!,
      restart: async () => {
        b = await startBrokerProcess({
          logDir: root,
          config: { ...config, listeners: `PLAINTEXT://127.0.0.1:${port}` },
        })
      },
      stream: (topic, acks1) => {
        const s = startKeyedStream(b!.bootstrap, {
          topic,
          count: 1e9,
          pauseEvery: 10,
          pauseMs: 10,
          // Batches stay below segment.bytes, which refuses bigger ones (RECORD_LIST_TOO_LARGE)
          // when the producer catches up after an outage.
          conf: {
            'batch.size': 16384,
            ...(acks1 ? { acks: 1, 'enable.idempotence': false, retries: 0 } : {}),
          },
        })
        streams.push(s)
        return s
      },
    }
    // Each fault once, in a seeded order, then seeded picks until the time is up.
    const order = [...faults].sort(() => rand() - 0.5)
    const deadline = Date.now() + opts.seconds * 1000
    const phases: Phase[] = []
    for (let n = 0; n < order.length || Date.now() < deadline; n++) {
      const fault = order[n] ?? faults[Math.floor(rand() * faults.length)]!
      const phase = await runPhase(ctx, fault, `sb-${n}-${fault}`)
      phases.push(phase)
      if (b.child.exitCode !== null)
        phase.problems.push(`the broker exited (${b.child.exitCode}): ${b.output().slice(-400)}`)
      const worst = phase.lost + phase.duplicated + phase.problems.length
      const failed = phase.acks.filter((a) => a.error !== undefined)
      const codes = [...new Set(failed.map((a) => a.error))].join(',')
      opts.log(
        `${fault}: ${ackedOf(phase.acks).length} acknowledged, ${failed.length} failed${failed.length ? ` (error ${codes})` : ''}${worst > 0 ? `, PROBLEMS: ${[...phase.details, ...phase.problems].join('; ')}` : ''}`,
      )
      if (b.child.exitCode !== null) break
    }
    // Every topic once more at the end: later faults must not have lost earlier records.
    for (const p of phases) {
      const lines = checkPhase(p, records(await readTopic(b.bootstrap, p.topic)))
      if (lines.length > 0) opts.log(`final read: ${lines.join('; ')}`)
    }
    return verdictOf(phases, notes, Date.now())
  } catch (e) {
    const line = `faults: the single-broker run failed: ${e instanceof Error ? e.stack : String(e)}`
    opts.log(line)
    return { ok: false, lines: [...notes, line] }
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal)
    for (const s of streams) s.kill()
    await b?.kill()
    if (typeof disk === 'string') rmSync(root, { recursive: true, force: true })
    else disk.unmount()
  }
}

interface Ctx {
  opts: SingleBrokerOptions
  rand: () => number
  dataDir: string
  disk: Tmpfs | null
  broker(): BrokerProcess
  restart(): Promise<void>
  stream(topic: string, acks1: boolean): Stream
}

const records = (read: readonly { partition: number; offset: number; key: string | null }[]): LogRecord[] =>
  read.map((m) => ({ partition: m.partition, offset: m.offset, key: m.key }))

/** Per partition, how many records the acknowledgements so far cover (offsets are dense from 0). */
function coveredBy(acks: readonly Ack[]): Map<number, number> {
  const n = new Map(PARTITIONS.map((p) => [p, 0]))
  for (const a of ackedOf(acks)) n.set(a.p!, Math.max(n.get(a.p!) ?? 0, a.offset! + 1))
  return n
}

/** Starts a producer whose reports are stamped with the time they reached us. */
function producer(ctx: Ctx, topic: string, acks1: boolean): { s: Stream; acks: Ack[] } {
  const s = ctx.stream(topic, acks1)
  const acks: Ack[] = []
  s.child.stdout!.on('data', () => {
    const now = Date.now()
    for (let k = acks.length; k < s.deliveries.length; k++) acks.push({ ...s.deliveries[k]!, t: now })
  })
  return { s, acks }
}

/** Waits until the producer has `n` more acknowledgements than now. */
async function moreAcks(acks: readonly Ack[], n: number, what: string, timeoutMs = 30000): Promise<void> {
  const target = ackedOf(acks).length + n
  await until(() => ackedOf(acks).length >= target, what, timeoutMs)
}

async function stopProducer(s: Stream, problems: string[]): Promise<void> {
  const code = await s.stop()
  if (code !== 0) problems.push(`the producer exited with ${code}: ${s.stderr().slice(-300)}`)
}

async function runPhase(ctx: Ctx, fault: SingleFault, topic: string): Promise<Phase> {
  const phase = newPhase(fault, topic)
  const log = (line: string) => ctx.opts.log(`${fault}: ${line}`)
  const { s, acks } = producer(ctx, topic, fault === 'kill-acks-1')
  phase.acks = acks
  await moreAcks(acks, 200, `first acks on ${topic}`)
  await sleep(300 + Math.floor(ctx.rand() * 1200))
  if (fault === 'kill-acks-all' || fault === 'kill-acks-1') {
    const kills = 1 + Math.floor(ctx.rand() * 3)
    for (let k = 0; k < kills; k++) {
      if (k > 0) await sleep(200 + Math.floor(ctx.rand() * 1000))
      const at = Date.now()
      if (k === 0) phase.faultAt = at
      await ctx.broker().kill()
      const acked = ackedOf(acks).length
      await sleep(Math.floor(ctx.rand() * 300))
      await ctx.restart()
      phase.healedAt = Date.now()
      await until(() => acks.some((a) => a.t > at && a.offset !== undefined), 'an ack after the restart')
      log(
        `kill ${k + 1}/${kills}: ${acked} acknowledged before it, producing again ${Date.now() - at} ms after it`,
      )
      // Everything acknowledged before the read started is there, at its offset, once (the read
      // ends each partition at its own end: later acks may be past it).
      const sofar = [...acks]
      checkPhase(phase, records(await readTopic(ctx.broker().bootstrap, topic, coveredBy(sofar))), sofar)
    }
    await moreAcks(acks, 100, 'acks after the last kill')
    await stopProducer(s, phase.problems)
  } else if (fault === 'torn-segment') {
    await stopProducer(s, phase.problems)
    await tornSegment(ctx, phase, log)
  } else if (fault === 'deleted-index') {
    await deletedIndex(ctx, phase, acks, log)
    await stopProducer(s, phase.problems)
  } else {
    await diskFull(ctx, phase, acks, log)
    await stopProducer(s, phase.problems)
  }
  checkPhase(phase, records(await readTopic(ctx.broker().bootstrap, topic)))
  // The idempotent producer retries through every one of these faults: it must never give up.
  const failed = phase.acks.filter((a) => a.error !== undefined)
  if (fault !== 'kill-acks-1' && failed.length > 0)
    phase.problems.push(`${failed.length} deliveries failed, e.g. ${JSON.stringify(failed.slice(0, 2))}`)
  return phase
}

/** Stops the broker, as a crash or cleanly. */
async function stopBroker(ctx: Ctx): Promise<string> {
  if (ctx.rand() < 0.5) {
    await ctx.broker().kill()
    return 'SIGKILL'
  }
  const code = await ctx.broker().stop()
  return `SIGTERM (exit ${code})`
}

async function tornSegment(ctx: Ctx, phase: Phase, log: (l: string) => void): Promise<void> {
  const p = PARTITIONS[Math.floor(ctx.rand() * PARTITIONS.length)]!
  const before = records(await readTopic(ctx.broker().bootstrap, phase.topic))
  phase.faultAt = Date.now()
  const how = await stopBroker(ctx)
  const dir = partitionDir(ctx.dataDir, phase.topic, p)
  const tear = await tearLastSegment(dir, ctx.rand() < 0.6 ? 'cut' : 'garbage', ctx.rand)
  log(`${how}, then ${tear.what}`)
  await ctx.restart()
  phase.healedAt = Date.now()
  const end = tear.cutAt === null ? Number.POSITIVE_INFINITY : Number(tear.cutAt)
  if (tear.cutAt !== null) phase.cut.set(p, end)
  const bad = segmentProblems(dir)
  if (bad.length > 0) phase.problems.push(`after recovery: ${bad.join('; ')}`)
  // Exactly the records before the tear are left in that partition, and it takes new ones there.
  const kept = before.filter((r) => r.partition === p && r.offset < end)
  const now = records(await readTopic(ctx.broker().bootstrap, phase.topic)).filter((r) => r.partition === p)
  if (JSON.stringify(now) !== JSON.stringify(kept))
    phase.problems.push(
      `partition ${p} holds ${now.length} records after recovery, expected the ${kept.length} before the tear`,
    )
  const next = kept.length === 0 ? 0 : kept[kept.length - 1]!.offset + 1
  const lines = Array.from({ length: 5 }, (_, j) => `post-${j}:v`).join('\n')
  await kcat(ctx.broker().bootstrap, ['-P', '-t', phase.topic, '-p', String(p), '-K:'], {
    input: `${lines}\n`,
  })
  phase.firstWriteMs = Date.now() - phase.faultAt
  const after = records(await readTopic(ctx.broker().bootstrap, phase.topic)).filter(
    (r) => r.partition === p && r.offset >= next,
  )
  const want = Array.from({ length: 5 }, (_, j) => `${next + j}:post-${j}`)
  if (JSON.stringify(after.map((r) => `${r.offset}:${r.key}`)) !== JSON.stringify(want))
    phase.problems.push(`new records after the tear: ${JSON.stringify(after)}, expected ${want.join(',')}`)
  log(
    `recovered: partition ${p} kept offsets below ${next}${tear.cutAt === null ? ' (all of them)' : ''}, new records from ${next}`,
  )
}

async function deletedIndex(ctx: Ctx, phase: Phase, acks: Ack[], log: (l: string) => void): Promise<void> {
  const read = await readTopic(ctx.broker().bootstrap, phase.topic, coveredBy(acks))
  const pick = () => read[Math.floor(ctx.rand() * read.length)]!
  const asks: [number, string][] = []
  const want: string[] = []
  for (let k = 0; k < 3; k++) {
    const r = pick()
    asks.push([r.partition, String(r.offset)])
    want.push(`${r.partition}:${r.offset}:${r.key}`)
  }
  for (let k = 0; k < 3; k++) {
    const r = pick()
    // The first record of that partition with a timestamp >= the target (one producer: in order).
    const first = read.find((x) => x.partition === r.partition && x.ts >= r.ts)!
    asks.push([r.partition, `s@${r.ts}`])
    want.push(`${first.partition}:${first.offset}:${first.key}`)
  }
  const bootstrap = ctx.broker().bootstrap
  const reference = await lookups(bootstrap, phase.topic, asks)
  phase.faultAt = Date.now()
  const how = await stopBroker(ctx)
  const gone = await deleteIndexes(
    PARTITIONS.map((p) => partitionDir(ctx.dataDir, phase.topic, p)),
    ctx.rand,
  )
  log(`${how}, then deleted ${gone.length} index files`)
  await ctx.restart()
  phase.healedAt = Date.now()
  const again = await lookups(ctx.broker().bootstrap, phase.topic, asks)
  for (let k = 0; k < asks.length; k++) {
    const [p, at] = asks[k]!
    if (reference[k] !== want[k] || again[k] !== want[k])
      phase.problems.push(
        `look-up p${p} -o ${at}: ${again[k]} (before: ${reference[k]}), expected ${want[k]}`,
      )
  }
  log(`${asks.length} look-ups by offset and timestamp answer as before: ${again.join(' ')}`)
  await moreAcks(acks, 100, 'acks after the restart')
}

async function diskFull(ctx: Ctx, phase: Phase, acks: Ack[], log: (l: string) => void): Promise<void> {
  if (ctx.disk === null) throw new Error('disk-full without a tmpfs')
  const filler = join(ctx.disk.dir, 'filler')
  const bytes = await fillDisk(filler)
  const fullAt = Date.now()
  phase.faultAt = fullAt
  try {
    await sleep(1500)
    const during = ackedOf(acks).filter((a) => a.t > fullAt + 300).length
    if (during > 0) log(`${during} acks while the disk was full (records that fitted the last free bytes)`)
    // A producer without retries sees the broker's own error code. The broker may free a few
    // pages meanwhile (a temporary file it removes): take them too, then ask again.
    let codes: number[] = []
    for (let k = 0; k < 3; k++) {
      if (k > 0)
        log(`produce answered ${codes.join(',')}; took ${await fillDisk(filler)} bytes freed meanwhile`)
      const once = await python<{ reports: { error: number }[] }>(
        'replication_client.py',
        [ctx.broker().bootstrap, 'produce_once'],
        { input: JSON.stringify({ topic: phase.topic, acks: -1, count: 3, tag: 'full', timeoutMs: 5000 }) },
      )
      codes = once.reports.map((r) => r.error)
      if (codes.every((c) => c === KAFKA_STORAGE_ERROR)) break
    }
    if (!codes.every((c) => c === KAFKA_STORAGE_ERROR))
      phase.problems.push(
        `produce on a full disk answered ${JSON.stringify(codes)}, expected KAFKA_STORAGE_ERROR`,
      )
    if (ctx.broker().child.exitCode !== null) phase.problems.push('the broker exited on a full disk')
    for (const p of PARTITIONS) {
      const dir = partitionDir(ctx.dataDir, phase.topic, p)
      let bad = segmentProblems(dir)
      // A refused write is cut back within a moment: look twice before calling it torn.
      if (bad.length > 0) {
        await sleep(100)
        bad = segmentProblems(dir)
      }
      if (bad.length > 0) phase.problems.push(`on a full disk: ${bad.join('; ')}`)
    }
    log(`filled ${(bytes / 2 ** 20).toFixed(1)} MiB; produce answers ${codes.join(',')}; segments sound`)
  } finally {
    await unlink(filler)
  }
  const freedAt = Date.now()
  phase.healedAt = freedAt
  await until(
    () => acks.some((a) => a.t > freedAt && a.offset !== undefined),
    'acks once space returned',
    60000,
  )
  log(`space back: producing again after ${Date.now() - freedAt} ms, without a restart`)
  await moreAcks(acks, 100, 'acks after space returned')
}
