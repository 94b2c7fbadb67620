// Helpers for storage tests: batches built with the records builder, logs on a memory Fs.

import { ManualClock } from '../../src/common/clock.ts'
import { MemoryFs } from '../../src/common/memory-fs.ts'
import { buildBatch, type RecordInput } from '../../src/records/builder.ts'
import { batchRecords } from '../../src/records/record-iterator.ts'
import { splitBatches } from '../../src/storage/batch-scan.ts'
import { Log } from '../../src/storage/log.ts'
import { type LogConfig, logConfig } from '../../src/storage/log-config.ts'
import type { LoadState } from '../../src/storage/log-loader.ts'

/** A batch of `n` records with keys k<i> and values v<i>-<tag>; timestamps from `ts`. */
export function makeBatch(
  n: number,
  opts: { tag?: string; ts?: number; keyed?: boolean; valueBytes?: number } = {},
) {
  const records: RecordInput[] = []
  for (let i = 0; i < n; i++) {
    const value =
      opts.valueBytes !== undefined ? Buffer.alloc(opts.valueBytes, i & 0xff) : `v${i}-${opts.tag ?? ''}`
    records.push({ key: opts.keyed === false ? null : `k${i}`, value, timestamp: (opts.ts ?? 1000) + i })
  }
  return buildBatch(records, { timestamp: opts.ts ?? 1000 })
}

export function keyedBatch(entries: { key: string | null; value: string | null; ts?: number }[], ts = 1000) {
  return buildBatch(
    entries.map((e, i) => ({ key: e.key, value: e.value, timestamp: e.ts ?? ts + i })),
    { timestamp: ts },
  )
}

/** Every record in a buffer of batches as {offset, key, value, timestamp}. */
export function recordsOf(buf: Buffer) {
  const out: { offset: bigint; key: string | null; value: string | null; timestamp: bigint }[] = []
  const { batches } = splitBatches(buf)
  for (const b of batches) {
    for (const r of batchRecords(buf.subarray(b.position, b.position + b.size))) {
      out.push({
        offset: r.offset,
        key: r.key === null ? null : r.key.toString(),
        value: r.value === null ? null : r.value.toString(),
        timestamp: r.timestamp,
      })
    }
  }
  return out
}

export interface TestLogOptions {
  fs?: MemoryFs
  clock?: ManualClock
  dir?: string
  config?: Partial<LogConfig>
  state?: Partial<LoadState>
}

export async function openTestLog(o: TestLogOptions = {}) {
  const fs = o.fs ?? new MemoryFs()
  const clock = o.clock ?? new ManualClock()
  const dir = o.dir ?? '/data/t-0'
  await fs.mkdir(dir)
  const log = await Log.open(
    { fs, clock, dir, topicPartition: { topic: 't', partition: 0 }, config: logConfig(o.config ?? {}) },
    { hadCleanShutdown: false, recoveryPoint: 0n, ...o.state },
  )
  return { fs, clock, dir, log }
}

/** Reads the whole log from its start as records. */
export async function readAll(log: Log, maxOffset?: bigint) {
  const out: ReturnType<typeof recordsOf> = []
  let offset = log.logStartOffset
  for (;;) {
    const r = await log.readRecords(offset, 1 << 20, { maxOffset })
    if (r.records.length === 0) break
    const recs = recordsOf(r.records)
    out.push(...recs.filter((x) => x.offset >= offset))
    const { batches } = splitBatches(r.records)
    offset = batches[batches.length - 1].lastOffset + 1n
  }
  return out
}

/** The bytes a log's file ranges hold from `offset` (a direct read, no read-ahead or tail cache). */
export async function fileBytes(
  log: Log,
  offset: bigint,
  maxBytes: number,
  maxOffset?: bigint,
): Promise<Buffer> {
  const r = await log.read(offset, maxBytes, { maxOffset })
  const parts: Buffer[] = []
  for (const range of r.ranges) {
    const b = Buffer.alloc(range.length)
    await range.file.read(b, 0, range.length, range.position)
    parts.push(b)
  }
  return Buffer.concat(parts)
}

/** The offset after the last batch in `records`. */
export function nextOffset(records: Buffer): bigint {
  const { batches } = splitBatches(records)
  return batches[batches.length - 1].lastOffset + 1n
}

/**
 * The log config of the SIGKILL crash test (crash.test.ts and its child): small segments, and with
 * `retain` a retention of 4 of them whose removed files go at once (so rolls reuse them).
 */
export function crashLogConfig(retain: boolean): Partial<LogConfig> {
  const base = { segmentBytes: 48 * 1024, indexIntervalBytes: 512 }
  return retain ? { ...base, retentionBytes: 4 * base.segmentBytes, fileDeleteDelayMs: 0 } : base
}
