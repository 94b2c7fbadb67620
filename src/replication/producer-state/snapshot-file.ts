// Producer snapshot files, in Kafka's format, so a partition directory moves between Samsa and
// Kafka with its producer state:
//
//   <partition dir>/<20-digit offset>.snapshot     state of every producer below <offset>
//
//   offset  size  field
//        0     2  version (int16, 1)
//        2     4  crc (uint32): CRC-32C of bytes 6..end
//        6     4  entry count (int32), then per entry (46 bytes):
//                 producerId int64, epoch int16, lastSequence int32, lastOffset int64,
//                 offsetDelta int32, timestamp int64, coordinatorEpoch int32,
//                 currentTxnFirstOffset int64
//
// (the body after the version is the ProducerSnapshot schema, storage/ProducerSnapshot.json).
// Kafka writes one entry per producer: its last batch. We write one entry per batch still in the
// five-batch window, oldest first, so deduplication after a restart covers the whole window; a
// Kafka broker reading the file keeps the last entry per producer, which is exactly what it would
// have written. Files are replaced atomically (tmp, fsync, rename, fsync dir).

import { join } from 'node:path'
import type { Fs } from '../../common/fs.ts'
import { isNotFound, writeFileAtomic } from '../../common/fs.ts'
import { decodeMessage, encodeMessage } from '../../protocol/codec.ts'
import {
  type ProducerSnapshotProducerEntry,
  producerSnapshotCodec,
} from '../../protocol/generated/records/producer-snapshot.ts'
import { crc32c } from '../../protocol/primitives/crc32c.ts'

export const SNAPSHOT_SUFFIX = '.snapshot'
const VERSION = 1
const CRC_OFFSET = 2
const ENTRIES_OFFSET = 6

export type SnapshotEntry = ProducerSnapshotProducerEntry

export class CorruptSnapshotError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'CorruptSnapshotError'
  }
}

export const snapshotFileName = (offset: bigint): string =>
  `${offset.toString().padStart(20, '0')}${SNAPSHOT_SUFFIX}`

/** The offset of a `<20 digits>.snapshot` name; null for anything else. */
export function parseSnapshotFileName(name: string): bigint | null {
  const m = /^(\d{20})\.snapshot$/.exec(name)
  return m === null ? null : BigInt(m[1])
}

export function encodeSnapshot(entries: SnapshotEntry[]): Buffer {
  const body = encodeMessage(producerSnapshotCodec, { crc: 0, producerEntries: entries }, VERSION)
  const buf = Buffer.allocUnsafe(2 + body.length)
  buf.writeInt16BE(VERSION, 0)
  body.copy(buf, 2)
  buf.writeUInt32BE(crc32c(buf, ENTRIES_OFFSET, buf.length), CRC_OFFSET)
  return buf
}

/** Throws CorruptSnapshotError on a bad version, a bad CRC or a body that does not decode. */
export function decodeSnapshot(buf: Buffer): SnapshotEntry[] {
  if (buf.length < ENTRIES_OFFSET) throw new CorruptSnapshotError(`snapshot of ${buf.length} bytes`)
  const version = buf.readInt16BE(0)
  if (version !== VERSION) throw new CorruptSnapshotError(`unknown snapshot version ${version}`)
  const stored = buf.readUInt32BE(CRC_OFFSET)
  const computed = crc32c(buf, ENTRIES_OFFSET, buf.length)
  if (stored !== computed) throw new CorruptSnapshotError(`snapshot CRC ${stored} != computed ${computed}`)
  try {
    return decodeMessage(producerSnapshotCodec, buf.subarray(2), VERSION).producerEntries
  } catch (err) {
    throw new CorruptSnapshotError(`snapshot does not decode: ${(err as Error).message}`)
  }
}

/** Offsets of the snapshot files in `dir`, ascending. */
export async function listSnapshots(fs: Fs, dir: string): Promise<bigint[]> {
  let names: string[]
  try {
    names = await fs.readdir(dir)
  } catch (err) {
    if (isNotFound(err)) return []
    throw err
  }
  const out: bigint[] = []
  for (const n of names) {
    const o = parseSnapshotFileName(n)
    if (o !== null) out.push(o)
  }
  return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
}

export async function writeSnapshot(fs: Fs, dir: string, offset: bigint, entries: SnapshotEntry[]) {
  await writeFileAtomic(fs, join(dir, snapshotFileName(offset)), encodeSnapshot(entries))
}

export async function deleteSnapshot(fs: Fs, dir: string, offset: bigint): Promise<void> {
  try {
    await fs.unlink(join(dir, snapshotFileName(offset)))
  } catch (err) {
    if (!isNotFound(err)) throw err
  }
}

export interface LoadedSnapshot {
  offset: bigint
  entries: SnapshotEntry[]
}

/**
 * The newest readable snapshot at or below `maxOffset` (the log end offset). Snapshots beyond it
 * (the log was cut back by recovery) and corrupt ones are deleted on the way, as Kafka does.
 */
export async function loadLatestSnapshot(
  fs: Fs,
  dir: string,
  maxOffset: bigint,
  warn: (msg: string) => void = () => {},
): Promise<LoadedSnapshot | null> {
  const offsets = await listSnapshots(fs, dir)
  for (let i = offsets.length - 1; i >= 0; i--) {
    const offset = offsets[i]
    if (offset > maxOffset) {
      await deleteSnapshot(fs, dir, offset)
      continue
    }
    try {
      return { offset, entries: decodeSnapshot(await fs.readFile(join(dir, snapshotFileName(offset)))) }
    } catch (err) {
      if (!(err instanceof CorruptSnapshotError)) throw err
      warn(`deleting unreadable producer snapshot ${snapshotFileName(offset)} in ${dir}: ${err.message}`)
      await deleteSnapshot(fs, dir, offset)
    }
  }
  return null
}
