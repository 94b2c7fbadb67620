// The broker's produce path in one process, without the network (a benchmark, not a test: it
// asserts nothing about speed). Each request is a real Produce v9 frame as a client sends it; it
// goes through the Dispatcher: request header + body decode, the Produce handler, validation
// (header, CRC-32C), producer-state checks (idempotent scenarios), the partition's coalescing
// write queue, Log.append to a real temporary directory (page cache, no fsync: Kafka's default
// flush policy), and the response frame encode. `in-flight` requests are kept outstanding, as a
// client's max.in.flight does. Beside it, the machine's baseline: the same batch bytes appended
// with node:fs writes to a plain file, one write per batch.
//
// Prints MB/s of record-batch bytes and requests/s (median of --rounds).
//
//   node_modules/.bin/node bench/produce-path.bench.ts [--seconds=1.5] [--rounds=3] [--dir=/tmp]

import { mkdtemp, open, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { systemClock } from '../src/common/clock.ts'
import type { TopicName, Uuid } from '../src/common/ids.ts'
import { silentLogger } from '../src/common/logger.ts'
import { NodeFs } from '../src/common/node-fs.ts'
import { makeImage, makePartition, makeTopic } from '../src/metadata/image.ts'
import { encodeRequestFrame } from '../src/protocol/frame.ts'
import { type ProduceRequest, produceRequestCodec } from '../src/protocol/generated/messages/produce.ts'
import { crc32c } from '../src/protocol/primitives/crc32c.ts'
import { BatchOffsets, CRC_START } from '../src/records/batch-header.ts'
import { buildBatch } from '../src/records/builder.ts'
import { ReplicaManager } from '../src/replication/replica-manager.ts'
import { Dispatcher } from '../src/server/dispatcher.ts'
import { produceHandler } from '../src/server/handlers/produce.ts'
import { Registry } from '../src/server/registry.ts'
import { LogManager } from '../src/storage/log-manager.ts'

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '1.5' },
    rounds: { type: 'string', default: '3' },
    dir: { type: 'string', default: tmpdir() },
  },
})
const SECONDS = Number(args.seconds)
const ROUNDS = Number(args.rounds)
const VERSION = 9

interface Scenario {
  name: string
  recordBytes: number
  recordsPerBatch: number
  inFlight: number
  idempotent: boolean
}

const SCENARIOS: Scenario[] = [
  {
    name: '1 KiB records, 16 KiB batches, 1 in flight',
    recordBytes: 1024,
    recordsPerBatch: 16,
    inFlight: 1,
    idempotent: false,
  },
  {
    name: '1 KiB records, 16 KiB batches, 5 in flight',
    recordBytes: 1024,
    recordsPerBatch: 16,
    inFlight: 5,
    idempotent: false,
  },
  {
    name: '1 KiB records, 16 KiB batches, idempotent',
    recordBytes: 1024,
    recordsPerBatch: 16,
    inFlight: 5,
    idempotent: true,
  },
  {
    name: '100 B records, 10 KB batches, 5 in flight',
    recordBytes: 100,
    recordsPerBatch: 100,
    inFlight: 5,
    idempotent: false,
  },
  {
    name: '1 KiB records, 1 MiB batches, 5 in flight',
    recordBytes: 1024,
    recordsPerBatch: 1024,
    inFlight: 5,
    idempotent: false,
  },
]

const conn = { id: 1, remote: 'bench', listener: 'PLAINTEXT' }

function batchBytes(s: Scenario, seq: number): Buffer {
  const records = Array.from({ length: s.recordsPerBatch }, (_, i) => ({
    key: `key-${i}`,
    value: Buffer.alloc(s.recordBytes - 16, i & 0xff),
  }))
  return buildBatch(records, {
    timestamp: Date.now(),
    ...(s.idempotent ? { producerId: 1000n, producerEpoch: 0, baseSequence: seq } : {}),
  })
}

/** A request frame without its 4-byte size prefix (what the Dispatcher receives). */
function frame(topic: string, records: Buffer, correlationId: number): Buffer {
  const req: ProduceRequest = {
    transactionalId: null,
    acks: 1,
    timeoutMs: 30000,
    topicData: [{ name: topic as TopicName, partitionData: [{ index: 0, records }] }],
  }
  return encodeRequestFrame(produceRequestCodec, req, VERSION, correlationId, 'bench').subarray(4)
}

async function runScenario(s: Scenario, dir: string, round: number) {
  const fs = new NodeFs()
  const logDir = join(dir, `logs-${s.name.replace(/\W+/g, '-')}-${round}`)
  const logManager = await LogManager.start({
    fs,
    clock: systemClock,
    config: { logDirs: [logDir], cleanerEnable: false },
  })
  const rm = new ReplicaManager({
    logManager,
    fs,
    clock: systemClock,
    logger: silentLogger,
    localBrokerId: 1,
    logConfigFor: () => ({ segmentBytes: 256 * 1024 * 1024, maxMessageBytes: 2 * 1024 * 1024 }),
  })
  const image = makeImage({
    version: 1,
    clusterId: 'bench',
    controllerId: 1,
    topics: [
      makeTopic({
        name: 'bench' as TopicName,
        topicId: 'YmVuY2gtdG9waWMtaWQtMQ' as Uuid,
        partitions: [
          makePartition({
            partition: 0,
            leader: 1,
            leaderEpoch: 0,
            partitionEpoch: 0,
            replicas: [1],
            isr: [1],
          }),
        ],
      }),
    ],
  })
  await rm.applyImage(image)
  const dispatcher = new Dispatcher(
    new Registry([produceHandler]),
    { replicaManager: rm, metadata: { image: () => image } },
    silentLogger,
  )

  // A ring of request frames, reused: the base offset the broker rewrote in place is reset, and
  // for idempotent producers the next base sequence is written and the CRC recomputed (the
  // client's work, done here in the timed loop).
  const template = batchBytes(s, 0)
  const ring = Array.from({ length: 64 }, (_, i) => frame('bench', Buffer.from(template), i))
  const batchPos = ring[0].indexOf(template)
  if (batchPos < 0) throw new Error('batch not found in its frame')
  let seq = 0
  let sent = 0
  let done = 0
  let bytes = 0
  const deadline = performance.now() + SECONDS * 1000
  const t0 = performance.now()
  await new Promise<void>((resolve, reject) => {
    const next = (): void => {
      if (performance.now() >= deadline) {
        if (done === sent) resolve()
        return
      }
      const f = ring[sent % ring.length]
      f.writeBigInt64BE(0n, batchPos)
      if (s.idempotent) {
        f.writeInt32BE(seq, batchPos + BatchOffsets.baseSequence)
        f.writeUInt32BE(
          crc32c(f, batchPos + CRC_START, batchPos + template.length),
          batchPos + BatchOffsets.crc,
        )
        seq += s.recordsPerBatch
      }
      sent++
      Promise.resolve(dispatcher.dispatch(f, conn)).then((out) => {
        if (out === null || out[0].length < 20) reject(new Error('no response'))
        done++
        bytes += template.length
        next()
      }, reject)
    }
    for (let i = 0; i < s.inFlight; i++) next()
  })
  const secs = (performance.now() - t0) / 1000
  const leo = rm.partition('bench', 0)!.log.logEndOffset
  if (leo !== BigInt(done * s.recordsPerBatch)) throw new Error(`log end ${leo} after ${done} requests`)
  await rm.shutdown()
  await logManager.shutdown()
  await rm_(logDir)
  return { mbps: bytes / secs / 1e6, rps: done / secs }
}

async function rm_(path: string) {
  await rm(path, { recursive: true, force: true })
}

/** The machine: one node:fs write per batch to a plain file, back to back. */
async function baseline(s: Scenario, dir: string) {
  const path = join(dir, 'baseline.log')
  const f = await open(path, 'w')
  const b = batchBytes(s, 0)
  let pos = 0
  let n = 0
  const t0 = performance.now()
  const deadline = t0 + SECONDS * 1000
  while (performance.now() < deadline) {
    await f.write(b, 0, b.length, pos)
    pos += b.length
    n++
  }
  const secs = (performance.now() - t0) / 1000
  await f.close()
  await rm_(path)
  return { mbps: (n * b.length) / secs / 1e6, rps: n / secs }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]

async function main() {
  const dir = await mkdtemp(join(args.dir!, 'samsa-produce-bench-'))
  console.log(`produce path, Produce v${VERSION}, ${SECONDS}s × ${ROUNDS} rounds, median`)
  try {
    // Warm-up (JIT, the file system, the libuv pool), not reported.
    await runScenario(SCENARIOS[1], dir, -1)
    for (const s of SCENARIOS) {
      const mbps: number[] = []
      const rps: number[] = []
      for (let r = 0; r < ROUNDS; r++) {
        const res = await runScenario(s, dir, r)
        mbps.push(res.mbps)
        rps.push(res.rps)
      }
      const base = await baseline(s, dir)
      const m = median(mbps)
      console.log(
        `${s.name.padEnd(46)} ${m.toFixed(0).padStart(6)} MB/s ${median(rps).toFixed(0).padStart(7)} req/s` +
          `   baseline fs.write ${base.mbps.toFixed(0).padStart(6)} MB/s  (${((m / base.mbps) * 100).toFixed(0)}%)`,
      )
    }
  } finally {
    await rm_(dir)
  }
}

await main()
