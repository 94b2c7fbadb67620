// Kafka's checkpoint files: small text files replaced atomically (write .tmp, fsync, rename,
// fsync the directory). Format, one item per line:
//
//   0                      version
//   2                      number of entries
//   orders 0 1234          entry fields separated by single spaces
//   orders 1 99
//
// Offset checkpoints (recovery point, log start offset, high watermark, cleaner offset) have
// entries `<topic> <partition> <offset>`; the leader epoch checkpoint has `<epoch> <startOffset>`.
// partition.metadata is a different, "key: value" format (see partition-metadata.ts).

import type { Fs } from '../common/fs.ts'
import { isNotFound, writeFileAtomic } from '../common/fs.ts'
import { StorageError, StorageErrorCode } from './storage-error.ts'

export const CHECKPOINT_VERSION = 0

export function formatCheckpoint(entries: readonly (readonly (string | number | bigint)[])[]): string {
  const lines = [String(CHECKPOINT_VERSION), String(entries.length)]
  for (const e of entries) lines.push(e.join(' '))
  return `${lines.join('\n')}\n`
}

/** Parses a checkpoint; each entry must have `fields` fields. Throws StorageError when malformed. */
export function parseCheckpoint(text: string, fields: number, what: string): string[][] {
  const lines = text.split('\n')
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop()
  const bad = (why: string): never => {
    throw new StorageError(StorageErrorCode.CorruptData, `malformed ${what}: ${why}`)
  }
  if (lines.length < 2) bad('missing header')
  if (lines[0].trim() !== String(CHECKPOINT_VERSION)) bad(`unknown version ${lines[0]}`)
  const count = Number(lines[1].trim())
  if (!Number.isInteger(count) || count < 0) bad(`bad count ${lines[1]}`)
  if (lines.length - 2 !== count) bad(`expected ${count} entries, found ${lines.length - 2}`)
  return lines.slice(2).map((l) => {
    const parts = l.trim().split(/\s+/)
    if (parts.length !== fields) bad(`bad entry "${l}"`)
    return parts
  })
}

export async function readCheckpointFile(fs: Fs, path: string, fields: number): Promise<string[][] | null> {
  let text: string
  try {
    text = (await fs.readFile(path)).toString('utf8')
  } catch (err) {
    if (isNotFound(err)) return null
    throw err
  }
  return parseCheckpoint(text, fields, path)
}

export function writeCheckpointFile(
  fs: Fs,
  path: string,
  entries: readonly (readonly (string | number | bigint)[])[],
): Promise<void> {
  return writeFileAtomic(fs, path, Buffer.from(formatCheckpoint(entries), 'utf8'))
}

/** A `<topic> <partition> <offset>` checkpoint as a map keyed `<topic>-<partition>`. */
export class OffsetCheckpointFile {
  readonly path: string
  private readonly fs: Fs
  constructor(fs: Fs, path: string) {
    this.fs = fs
    this.path = path
  }

  async read(): Promise<Map<string, bigint>> {
    const rows = await readCheckpointFile(this.fs, this.path, 3)
    const out = new Map<string, bigint>()
    for (const [topic, partition, offset] of rows ?? []) {
      if (!/^\d+$/.test(partition) || !/^-?\d+$/.test(offset)) {
        throw new StorageError(StorageErrorCode.CorruptData, `malformed ${this.path}: ${topic} ${partition}`)
      }
      out.set(`${topic}-${Number(partition)}`, BigInt(offset))
    }
    return out
  }

  write(entries: Iterable<{ topic: string; partition: number; offset: bigint }>): Promise<void> {
    const rows: (string | number | bigint)[][] = []
    for (const e of entries) rows.push([e.topic, e.partition, e.offset])
    return writeCheckpointFile(this.fs, this.path, rows)
  }
}
