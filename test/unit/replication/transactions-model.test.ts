// The log side of transactions against a model: random transactional and plain appends, commit
// and abort markers, truncations, clean and unclean restarts and power losses (the memory Fs
// keeps only what was fsynced) on one partition; after each step the last stable offset, the
// aborted transactions index and a read_committed fetch's aborted list must be what the batches
// in the log imply.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'
import { markerAt } from '../../../src/replication/producer-state/producer-state-loader.ts'
import { allAbortedTxns } from '../../../src/storage/aborted-txns.ts'
import { splitBatches } from '../../../src/storage/batch-scan.ts'
import { batch, type Env, startEnv } from './helpers.ts'
import { fetch, marker, part, produce, T, txnBatch } from './txn-fixture.ts'

/** One batch as the model sees it. */
interface ModelBatch {
  base: bigint
  last: bigint
  pid: bigint
  kind: 'plain' | 'txn' | 'commit' | 'abort'
  seq: number
}

/** The open transactions, aborted entries and last stable offset a log of `batches` must have. */
function expected(batches: readonly ModelBatch[]) {
  const open = new Map<bigint, bigint>()
  const aborted: { producerId: bigint; firstOffset: bigint; lastOffset: bigint; lastStableOffset: bigint }[] =
    []
  for (const b of batches) {
    if (b.kind === 'txn' && !open.has(b.pid)) open.set(b.pid, b.base)
    if (b.kind === 'commit' || b.kind === 'abort') {
      const first = open.get(b.pid)
      open.delete(b.pid)
      if (first === undefined || b.kind === 'commit') continue
      let lso = b.base + 1n
      for (const f of open.values()) if (f < lso) lso = f
      aborted.push({ producerId: b.pid, firstOffset: first, lastOffset: b.base, lastStableOffset: lso })
    }
  }
  const end = batches.length === 0 ? 0n : batches[batches.length - 1].last + 1n
  let lso = end
  for (const f of open.values()) if (f < lso) lso = f
  return { aborted, lso }
}

/** The model of the batches a log holds (after a power loss). */
async function modelOf(env: Env): Promise<ModelBatch[]> {
  const log = part(env).log
  const r = await log.readRecords(log.logStartOffset, 1 << 24)
  const out: ModelBatch[] = []
  for (const b of splitBatches(r.records).batches) {
    const bytes = r.records.subarray(b.position, b.position + b.size)
    const attrs = bytes.readInt16BE(21)
    const pid = bytes.readBigInt64BE(43)
    const kind =
      (attrs & 0x20) !== 0
        ? markerAt(bytes, 0)?.commit
          ? 'commit'
          : 'abort'
        : (attrs & 0x10) !== 0
          ? 'txn'
          : 'plain'
    out.push({
      base: b.baseOffset,
      last: b.lastOffset,
      pid,
      kind,
      seq: bytes.readInt32BE(53) + bytes.readInt32BE(57),
    })
  }
  return out
}

describe('transactions: random appends, markers, truncations and restarts against a model', () => {
  it('keeps the last stable offset and the aborted index equal to the model', async () => {
    const op = fc.oneof(
      fc.record({ t: fc.constant('plain' as const) }),
      fc.record({
        t: fc.constant('txn' as const),
        pid: fc.integer({ min: 1, max: 3 }),
        n: fc.integer({ min: 1, max: 3 }),
      }),
      fc.record({
        t: fc.constant('marker' as const),
        pid: fc.integer({ min: 1, max: 3 }),
        commit: fc.boolean(),
      }),
      fc.record({ t: fc.constant('truncate' as const), at: fc.nat() }),
      fc.record({ t: fc.constantFrom('restart' as const, 'crash' as const, 'power' as const) }),
    )
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 25 }), async (ops) => {
        const cfg = () => ({ segmentBytes: 300 })
        let env = await startEnv({ logConfig: cfg })
        await env.setTopics({ name: T })
        const batches: ModelBatch[] = []
        const nextSeq = (pid: bigint) => {
          for (let i = batches.length - 1; i >= 0; i--)
            if (batches[i].pid === pid && batches[i].kind === 'txn') return batches[i].seq
          return 0
        }
        try {
          for (const o of ops) {
            const leo = part(env).log.logEndOffset
            if (o.t === 'plain') {
              await produce(env, batch(1), null)
              batches.push({ base: leo, last: leo, pid: -1n, kind: 'plain', seq: 0 })
            } else if (o.t === 'txn') {
              const pid = BigInt(o.pid)
              const seq = nextSeq(pid)
              const r = await produce(env, txnBatch(pid, seq, o.n, 't'))
              assert.equal(r.errorCode, ErrorCode.NONE)
              batches.push({ base: leo, last: leo + BigInt(o.n - 1), pid, kind: 'txn', seq: seq + o.n })
            } else if (o.t === 'marker') {
              const pid = BigInt(o.pid)
              assert.equal(
                (await marker(env, pid, o.commit, { coordinatorEpoch: 0 }))[0].errorCode,
                ErrorCode.NONE,
              )
              batches.push({ base: leo, last: leo, pid, kind: o.commit ? 'commit' : 'abort', seq: 0 })
            } else if (o.t === 'truncate') {
              if (batches.length === 0) continue
              const i = o.at % batches.length
              await part(env).truncateTo(batches[i].base)
              batches.length = i
            } else {
              const topicId = env.topics.get(T)!.topicId
              if (o.t === 'restart') await env.stop()
              else await env.crash()
              // Power loss: whatever was not fsynced is gone; the model follows the log that survived.
              if (o.t === 'power') env.fs.crash()
              env = await startEnv({ fs: env.fs, clock: env.clock, logConfig: cfg })
              await env.setTopics({ name: T, topicId })
              if (o.t === 'power') {
                batches.splice(0, batches.length, ...(await modelOf(env)))
                // What survives a power loss is a prefix of what was written: no hole, and the log
                // ends after its last batch (recovered segments are fsynced with the next flush).
                const end = batches.length === 0 ? 0n : batches[batches.length - 1].last + 1n
                assert.equal(part(env).log.logEndOffset, end, 'log end after a power loss')
                for (let i = 1; i < batches.length; i++)
                  assert.equal(batches[i].base, batches[i - 1].last + 1n, `hole before batch ${i}`)
                if (batches.length > 0) assert.equal(batches[0].base, 0n, 'hole at the start')
              }
            }
            const want = expected(batches)
            assert.equal(part(env).lastStableOffset, want.lso, `LSO after ${o.t}`)
            assert.deepEqual(
              await allAbortedTxns(part(env).log.segmentList),
              want.aborted,
              `index after ${o.t}`,
            )
            const got = await fetch(env, part(env).log.logStartOffset, 1)
            assert.deepEqual(
              got.abortedTransactions,
              want.aborted
                .filter((a) => a.firstOffset < want.lso)
                .map((a) => ({ producerId: a.producerId, firstOffset: a.firstOffset })),
            )
          }
        } finally {
          await env.stop()
        }
      }),
      // TXN_MODEL_RUNS / TXN_MODEL_SEED: a longer or a replayed run.
      {
        numRuns: Number(process.env.TXN_MODEL_RUNS ?? 30),
        seed: process.env.TXN_MODEL_SEED === undefined ? undefined : Number(process.env.TXN_MODEL_SEED),
      },
    )
  })
})
