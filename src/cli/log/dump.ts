// kafka-dump-log.sh (Kafka's DumpLogSegments): prints log segments (.log), offset indexes (.index),
// time indexes (.timeindex) and aborted transaction indexes (.txnindex) from disk, offline, in
// Kafka's words. It reads the files with
// Samsa's own record-batch and index formats (src/records, src/storage); no broker is involved.
//
//   Dumping /data/t-0/00000000000000000000.log
//   Log starting offset: 0
//   baseOffset: 0 lastOffset: 1 count: 2 baseSequence: -1 lastSequence: -1 producerId: -1 producerEpoch: -1 partitionLeaderEpoch: 0 isTransactional: false isControl: false deleteHorizonMs: OptionalLong.empty position: 0 CreateTime: 1001 size: 84 magic: 2 compresscodec: none crc: 123 isvalid: true
//   | offset: 0 CreateTime: 1000 keySize: 2 valueSize: 3 sequence: -1 headerKeys: [] key: k0 payload: v0-
//
// Index problems (entries that do not point at a batch's last offset, timestamps out of order) are
// listed on standard error at the end, as Kafka does.

import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { decodeMessage } from '../../protocol/codec.ts'
import { groupMetadataKeyCodec } from '../../protocol/generated/records/group-metadata-key.ts'
import { groupMetadataValueCodec } from '../../protocol/generated/records/group-metadata-value.ts'
import { offsetCommitKeyCodec } from '../../protocol/generated/records/offset-commit-key.ts'
import { offsetCommitValueCodec } from '../../protocol/generated/records/offset-commit-value.ts'
import { Attr, BatchProblem, checkBatch } from '../../records/batch-header.ts'
import { ControlType, parseControlRecord } from '../../records/control.ts'
import type { KafkaRecord } from '../../records/record.ts'
import { iterateRecords, readBatches } from '../../records/record-iterator.ts'
import { decodeAbortedTxns } from '../../storage/transaction-index.ts'
import type { OptionDef } from '../args/option-parser.ts'
import { checkRequired, parseCommandLine } from '../common/command.ts'
import type { Io } from '../common/io.ts'

export const DUMP_LOG_OPTIONS: readonly OptionDef[] = [
  {
    name: 'print-data-log',
    help: 'If set, printing the messages content when dumping data logs. Automatically set if any decoder option is specified.',
  },
  { name: 'verify-index-only', help: 'If set, just verify the index log without printing its content.' },
  {
    name: 'index-sanity-check',
    help: 'If set, just checks the index sanity without printing its content. This is the same check that is executed on broker startup to determine if an index needs rebuilding or not.',
  },
  {
    name: 'files',
    help: 'REQUIRED: The comma separated list of data and index log files to be dumped.',
    arg: 'required',
    describedAs: 'file1, file2, ...',
  },
  {
    name: 'max-message-size',
    help: 'Size of largest message.',
    arg: 'required',
    describedAs: 'size',
    type: 'Integer',
    defaultValue: '5242880',
  },
  {
    name: 'max-bytes',
    help: 'Limit the amount of total batches read in bytes avoiding reading the whole .log file(s).',
    arg: 'required',
    describedAs: 'size',
    type: 'Integer',
    defaultValue: '2147483647',
  },
  {
    name: 'deep-iteration',
    help: 'If set, uses deep instead of shallow iteration. Automatically set if print-data-log is enabled.',
  },
  {
    name: 'value-decoder-class',
    help: 'If set, used to deserialize the messages. This class should implement org.apache.kafka.tools.api.Decoder trait. Custom jar should be available in kafka/libs directory.',
    arg: 'optional',
    defaultValue: 'org.apache.kafka.tools.api.StringDecoder',
  },
  {
    name: 'key-decoder-class',
    help: 'If set, used to deserialize the keys. This class should implement org.apache.kafka.tools.api.Decoder trait. Custom jar should be available in kafka/libs directory.',
    arg: 'optional',
    defaultValue: 'org.apache.kafka.tools.api.StringDecoder',
  },
  {
    name: 'offsets-decoder',
    help: 'If set, log data will be parsed as offset data from the __consumer_offsets topic.',
  },
  {
    name: 'transaction-log-decoder',
    help: 'If set, log data will be parsed as transaction metadata from the __transaction_state topic.',
  },
  { name: 'skip-record-metadata', help: 'Whether to skip printing metadata for each record.' },
]

const COMPRESSION_NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd']
const INT32_MAX = 2147483647

interface DumpSettings {
  printData: boolean
  deep: boolean
  skipRecordMetadata: boolean
  verifyOnly: boolean
  sanityOnly: boolean
  maxMessageSize: number
  maxBytes: number
  offsetsDecoder: boolean
}

/** Kafka's DefaultRecordBatch.incrementSequence: sequences wrap at Int32 max back to 0. */
function incrementSequence(sequence: number, increment: number): number {
  if (sequence > INT32_MAX - increment) return increment - (INT32_MAX - sequence) - 1
  return sequence + increment
}

/** Converts decoded internal-topic records to JSON as Kafka's converters write them. */
function toJson(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v)
  if (Buffer.isBuffer(v)) return v.toString('base64')
  if (Array.isArray(v)) return v.map(toJson)
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toJson(x)]))
  }
  return v
}

/** Fields that exist only from (or only in) some versions of the internal-topic records. */
const FIELD_VERSIONS: Record<string, (v: number) => boolean> = {
  leaderEpoch: (v) => v >= 3,
  expireTimestamp: (v) => v === 1,
  currentStateTimestamp: (v) => v >= 2,
  groupInstanceId: (v) => v >= 3,
  rebalanceTimeout: (v) => v >= 1,
}

/** Drops the fields the record's version does not have, as Kafka's JSON converters write it. */
function forVersion(value: unknown, version: number): unknown {
  if (Array.isArray(value)) return value.map((x) => forVersion(x, version))
  if (value === null || typeof value !== 'object' || Buffer.isBuffer(value)) return value
  return Object.fromEntries(
    Object.entries(value)
      .filter(([k]) => FIELD_VERSIONS[k]?.(version) ?? true)
      .map(([k, x]) => [k, forVersion(x, version)]),
  )
}

/** --offsets-decoder: the key and value of a __consumer_offsets record as JSON. */
function parseOffsetsRecord(r: KafkaRecord): { key: string | null; payload: string | null } {
  if (r.key === null)
    throw new Error('Failed to decode message using offset topic decoder (message had a missing key)')
  const keyVersion = r.key.readInt16BE(0)
  const keyBody = r.key.subarray(2)
  let key: unknown
  let value: unknown = null
  if (keyVersion === 0 || keyVersion === 1) {
    key = decodeMessage(offsetCommitKeyCodec, keyBody, keyVersion)
    if (r.value !== null)
      value = decodeMessage(offsetCommitValueCodec, r.value.subarray(2), r.value.readInt16BE(0))
  } else if (keyVersion === 2) {
    key = decodeMessage(groupMetadataKeyCodec, keyBody, keyVersion)
    if (r.value !== null)
      value = decodeMessage(groupMetadataValueCodec, r.value.subarray(2), r.value.readInt16BE(0))
  } else {
    return { key: `unknown::version=${keyVersion}`, payload: 'unknown' }
  }
  const payload =
    r.value === null
      ? '<DELETE>'
      : JSON.stringify({
          version: String(r.value.readInt16BE(0)),
          data: toJson(forVersion(value, r.value.readInt16BE(0))),
        })
  return { key: JSON.stringify({ type: String(keyVersion), data: toJson(key) }), payload }
}

function readFilePrefix(path: string, maxBytes: number): Buffer {
  const size = statSync(path).size
  const n = Math.min(size, maxBytes)
  const buf = Buffer.allocUnsafe(n)
  const fd = openSync(path, 'r')
  try {
    let read = 0
    while (read < n) {
      const got = readSync(fd, buf, read, n - read, read)
      if (got === 0) break
      read += got
    }
    return buf.subarray(0, read)
  } finally {
    closeSync(fd)
  }
}

function dumpLog(
  path: string,
  s: DumpSettings,
  io: Io,
  nonConsecutive: Map<string, [bigint, bigint][]>,
): void {
  io.out(`Log starting offset: ${BigInt(basename(path).split('.')[0])}\n`)
  const fileSize = statSync(path).size
  const data = readFilePrefix(path, s.maxBytes)
  let valid = 0
  let lastOffset = -1n
  const it = readBatches(data)
  for (;;) {
    let next: IteratorResult<import('../../records/batch-header.ts').BatchHeader, number>
    try {
      next = it.next()
    } catch {
      break
    }
    if (next.done === true) break
    const h = next.value
    const size = h.size
    const batchBuf = data.subarray(h.pos, h.pos + size)
    const isValid = checkBatch(batchBuf, 0, size) === BatchProblem.ok
    const tsType = h.isLogAppendTime ? 'LogAppendTime' : 'CreateTime'
    const deleteHorizon =
      (h.attributes & Attr.deleteHorizon) !== 0 ? `OptionalLong[${h.baseTimestamp}]` : 'OptionalLong.empty'
    const baseSeq = h.baseSequence
    const lastSeq = baseSeq === -1 ? -1 : incrementSequence(baseSeq, h.lastOffsetDelta)
    io.out(
      `baseOffset: ${h.baseOffset} lastOffset: ${h.lastOffset} count: ${h.recordsCount} baseSequence: ${baseSeq} ` +
        `lastSequence: ${lastSeq} producerId: ${h.producerId} producerEpoch: ${h.producerEpoch} ` +
        `partitionLeaderEpoch: ${h.partitionLeaderEpoch} isTransactional: ${h.isTransactional} isControl: ${h.isControl} ` +
        `deleteHorizonMs: ${deleteHorizon} position: ${valid} ${tsType}: ${h.maxTimestamp} size: ${size} magic: ${h.magic} ` +
        `compresscodec: ${COMPRESSION_NAMES[h.compression] ?? 'unknown'} crc: ${h.crc} isvalid: ${isValid}\n`,
    )
    if (s.deep) {
      for (const r of iterateRecords(batchBuf, 0, { verifyCrc: false })) {
        if (lastOffset !== -1n && r.offset !== lastOffset + 1n) {
          const list = nonConsecutive.get(path) ?? []
          list.unshift([lastOffset, r.offset])
          nonConsecutive.set(path, list)
        }
        lastOffset = r.offset
        let prefix = '| '
        let line = ''
        if (!s.skipRecordMetadata) {
          const sequence = baseSeq === -1 ? -1 : incrementSequence(baseSeq, r.offsetDelta)
          line +=
            `${prefix}offset: ${r.offset} ${tsType}: ${r.timestamp} keySize: ${r.key?.length ?? -1} valueSize: ${r.value?.length ?? -1}` +
            ` sequence: ${sequence} headerKeys: [${r.headers.map((x) => x.key).join(',')}]`
          prefix = ' '
          if (h.isControl) {
            const c = parseControlRecord(r)
            if (c.type === ControlType.abort || c.type === ControlType.commit) {
              line += ` endTxnMarker: ${c.type === ControlType.commit ? 'COMMIT' : 'ABORT'} coordinatorEpoch: ${c.coordinatorEpoch}`
            } else {
              line += ` controlType: ${controlTypeName(c.type)}(${c.type})`
            }
          }
        }
        if (s.printData && !h.isControl) {
          const parsed = s.offsetsDecoder
            ? parseOffsetsRecord(r)
            : {
                key: r.key === null ? null : r.key.toString('utf8'),
                payload: r.value === null ? null : r.value.toString('utf8'),
              }
          if (parsed.key !== null) {
            line += `${prefix}key: ${parsed.key}`
            prefix = ' '
          }
          if (parsed.payload !== null) line += ` payload: ${parsed.payload}`
        }
        io.out(`${line}\n`)
      }
    }
    valid += size
  }
  const trailing = fileSize - valid
  if (trailing > 0 && s.maxBytes === INT32_MAX)
    io.out(`Found ${trailing} invalid bytes at the end of ${basename(path)}\n`)
}

function controlTypeName(type: number): string {
  const names: Record<number, string> = {
    2: 'LEADER_CHANGE',
    3: 'SNAPSHOT_HEADER',
    4: 'SNAPSHOT_FOOTER',
    5: 'KRAFT_VERSION',
    6: 'KRAFT_VOTERS',
  }
  return names[type] ?? 'UNKNOWN'
}

/** The batches of a segment's .log file: last offset and position of each, plus their records' max timestamps. */
function segmentBatches(logPath: string): { lastOffset: bigint; position: number; maxTimestamp: bigint }[] {
  let data: Buffer
  try {
    data = readFileSync(logPath)
  } catch {
    return []
  }
  const out: { lastOffset: bigint; position: number; maxTimestamp: bigint }[] = []
  try {
    for (const h of readBatches(data)) {
      let max = -1n
      try {
        for (const r of iterateRecords(data.subarray(h.pos, h.pos + h.size), 0, { verifyCrc: false })) {
          if (r.timestamp > max) max = r.timestamp
        }
      } catch {
        max = h.maxTimestamp
      }
      out.push({ lastOffset: h.lastOffset, position: h.pos, maxTimestamp: max })
    }
  } catch {}
  return out
}

function dumpIndex(path: string, s: DumpSettings, io: Io, mismatches: Map<string, [bigint, bigint][]>): void {
  const base = BigInt(basename(path).split('.')[0])
  const data = readFileSync(path)
  const entries = Math.floor(data.length / 8)
  if (entries === 0) {
    io.out(`${path} is empty.\n`)
    return
  }
  if (s.sanityOnly) {
    let ok = data.length % 8 === 0
    for (let i = 1; i < entries && ok; i++) ok = data.readInt32BE(i * 8) > data.readInt32BE((i - 1) * 8)
    io.out(
      ok
        ? `${path} passed sanity check.\n`
        : `Corrupt index found, index file (${path}) has non-zero size but the last offset is not larger than the base offset\n`,
    )
    return
  }
  const batches = segmentBatches(join(dirname(path), `${basename(path).split('.')[0]}.log`))
  for (let i = 0; i < entries; i++) {
    const rel = data.readInt32BE(i * 8)
    const position = data.readInt32BE(i * 8 + 4)
    const offset = base + BigInt(rel)
    // A preallocated index ends in zero entries after a crash: stop at the first one.
    if (offset === base && i > 0) return
    const batch = batches.find((b) => b.position === position)
    const batchLast = batch?.lastOffset ?? -1n
    if (batchLast !== offset) {
      const list = mismatches.get(path) ?? []
      list.unshift([offset, batchLast])
      mismatches.set(path, list)
    }
    if (!s.verifyOnly) io.out(`offset: ${offset} position: ${position}\n`)
  }
}

interface TimeIndexErrors {
  mismatch: Map<string, [bigint, bigint][]>
  outOfOrder: Map<string, [bigint, bigint][]>
  notFound: Map<string, [bigint, bigint][]>
}

function dumpTimeIndex(path: string, s: DumpSettings, io: Io, errors: TimeIndexErrors): void {
  const stem = basename(path).split('.')[0]
  const base = BigInt(stem)
  const data = readFileSync(path)
  const entries = Math.floor(data.length / 12)
  if (s.sanityOnly) {
    let ok = data.length % 12 === 0
    for (let i = 1; i < entries && ok; i++)
      ok = data.readBigInt64BE(i * 12) >= data.readBigInt64BE((i - 1) * 12)
    io.out(
      ok
        ? `${path} passed sanity check.\n`
        : `Corrupt time index found, time index file (${path}) is not sorted\n`,
    )
    return
  }
  const batches = segmentBatches(join(dirname(path), `${stem}.log`))
  const push = (m: Map<string, [bigint, bigint][]>, a: bigint, b: bigint) =>
    m.set(path, [...(m.get(path) ?? []), [a, b]])
  let prev = -1n
  for (let i = 0; i < entries; i++) {
    const timestamp = data.readBigInt64BE(i * 12)
    const offset = base + BigInt(data.readInt32BE(i * 12 + 8))
    if (offset === base && i > 0) return
    const batch = batches.find((b) => b.lastOffset >= offset)
    if (batch === undefined) push(errors.notFound, offset, -1n)
    else if (batch.lastOffset !== offset) push(errors.notFound, offset, batch.lastOffset)
    else {
      if (batch.maxTimestamp !== timestamp) push(errors.mismatch, timestamp, batch.maxTimestamp)
      if (prev >= timestamp) push(errors.outOfOrder, timestamp, prev)
    }
    if (!s.verifyOnly) io.out(`timestamp: ${timestamp} offset: ${offset}\n`)
    prev = timestamp
  }
}

export async function run(argv: readonly string[], io: Io): Promise<number> {
  const defs = DUMP_LOG_OPTIONS
  const opts = parseCommandLine(defs, argv, {
    purpose:
      'This tool helps to parse a log file and dump its contents to the console, useful for debugging a seemingly corrupt log segment.',
  })
  checkRequired(defs, opts, 'files')
  if (opts.has('transaction-log-decoder')) {
    io.err(
      'The transaction log decoder is not available in Samsa yet (transactions come later); printing raw records.\n',
    )
  }
  const printData =
    opts.has('print-data-log') ||
    opts.has('offsets-decoder') ||
    opts.has('transaction-log-decoder') ||
    opts.has('value-decoder-class') ||
    opts.has('key-decoder-class')
  const s: DumpSettings = {
    printData,
    deep: opts.has('deep-iteration') || printData,
    skipRecordMetadata: opts.has('skip-record-metadata'),
    verifyOnly: opts.has('verify-index-only'),
    sanityOnly: opts.has('index-sanity-check'),
    maxMessageSize: Number(opts.value('max-message-size')),
    maxBytes: Number(opts.value('max-bytes')),
    offsetsDecoder: opts.has('offsets-decoder'),
  }
  const mismatches = new Map<string, [bigint, bigint][]>()
  const nonConsecutive = new Map<string, [bigint, bigint][]>()
  const timeErrors: TimeIndexErrors = { mismatch: new Map(), outOfOrder: new Map(), notFound: new Map() }
  for (const file of opts.value('files')!.split(',')) {
    io.out(`Dumping ${file}\n`)
    const suffix = file.slice(file.lastIndexOf('.'))
    try {
      if (suffix === '.log') dumpLog(file, s, io, nonConsecutive)
      else if (suffix === '.index') dumpIndex(file, s, io, mismatches)
      else if (suffix === '.timeindex') dumpTimeIndex(file, s, io, timeErrors)
      else if (suffix === '.txnindex') dumpTxnIndex(file, io)
      else io.err(`Ignoring unknown file ${file}\n`)
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code
      io.err(code === 'ENOENT' ? `${file} (No such file or directory)\n` : `${(e as Error).message}\n`)
      return 1
    }
  }
  for (const [file, list] of mismatches) {
    io.err(`Mismatches in :${file}\n`)
    for (const [i, l] of list) io.err(`  Index offset: ${i}, log offset: ${l}\n`)
  }
  for (const [file, list] of timeErrors.mismatch) {
    io.err(`Found timestamp mismatch in :${file}\n`)
    for (const [i, l] of list) io.err(`  Index timestamp: ${i}, log timestamp: ${l}\n`)
  }
  for (const [file, list] of timeErrors.outOfOrder) {
    io.err(`Found out of order timestamp in :${file}\n`)
    for (const [i, p] of list) io.err(`  Index timestamp: ${i}, Previously indexed timestamp: ${p}\n`)
  }
  for (const list of timeErrors.notFound.values()) {
    io.err('The following indexed offsets are not found in the log.\n')
    for (const [i, l] of list) io.err(`Indexed offset: ${i}, found log offset: ${l}\n`)
  }
  for (const [file, list] of nonConsecutive) {
    io.err(`Non-consecutive offsets in ${file}\n`)
    for (const [a, b] of list) io.err(`  ${a} is followed by ${b}\n`)
  }
  return 0
}

/** A .txnindex file: one line per aborted transaction, as Kafka prints them. */
function dumpTxnIndex(file: string, io: Io): void {
  for (const t of decodeAbortedTxns(readFileSync(file))) {
    io.out(
      `version: 0 producerId: ${t.producerId} firstOffset: ${t.firstOffset} lastOffset: ${t.lastOffset} lastStableOffset: ${t.lastStableOffset}\n`,
    )
  }
}
