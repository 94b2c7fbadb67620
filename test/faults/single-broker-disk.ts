// The on-disk side of the single-broker faults (test/faults/single-broker.ts): a small tmpfs for
// the broker's log dir (root only) and a filler file that takes all of its space, tearing or
// soiling the last segment of a partition while the broker is stopped, deleting index files, and
// checking that every segment holds whole, valid batches with dense offsets. Also kcat look-ups by
// offset and by timestamp, which go through the offset and time indexes.

import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, statSync } from 'node:fs'
import { appendFile, open, truncate, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import {
  BATCH_HEADER_SIZE,
  BatchHeader,
  BatchProblem,
  checkBatch,
  LOG_OVERHEAD,
} from '../../src/records/batch-header.ts'
import { type KcatMessage, kcat, kcatConsumeJson } from '../support/e2e-clients.ts'

/** A tmpfs mounted for this run; `unmount()` must run in a finally. */
export interface Tmpfs {
  dir: string
  unmount(): void
}

/** Mounts a tmpfs of `mib` MiB at a fresh unique directory, or says why it cannot. */
export function mountTmpfs(name: string, mib: number): Tmpfs | string {
  if (process.getuid?.() !== 0) return 'not root: a full disk needs a tmpfs of our own'
  const dir = join('/tmp', name)
  mkdirSync(dir, { recursive: false })
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${mib}m,mode=0700`, name, dir], { stdio: 'pipe' })
  } catch (e) {
    rmdirSync(dir)
    return `mount -t tmpfs failed: ${String((e as { stderr?: Buffer }).stderr ?? e).trim()}`
  }
  let mounted = true
  return {
    dir,
    unmount() {
      if (!mounted) return
      mounted = false
      // Lazy unmount: a broker killed a moment ago may still hold files open.
      execFileSync('umount', ['-l', dir], { stdio: 'pipe' })
      rmdirSync(dir)
    },
  }
}

/**
 * Appends zeros to `path` until the file system refuses (ENOSPC); returns the bytes written. Call
 * again to take space freed meanwhile.
 */
export async function fillDisk(path: string): Promise<number> {
  const f = await open(path, 'a')
  let chunk = Buffer.alloc(1 << 20)
  let total = 0
  try {
    for (;;) {
      try {
        total += (await f.write(chunk)).bytesWritten
      } catch (e) {
        if ((e as { code?: string }).code !== 'ENOSPC') throw e
        // The last pages: down to single bytes, so that nothing is left.
        if (chunk.length === 1) break
        chunk = chunk.subarray(0, chunk.length >> 4 || 1)
      }
    }
  } finally {
    await f.close()
  }
  return total
}

export const partitionDir = (dataDir: string, topic: string, p: number) => join(dataDir, `${topic}-${p}`)

export const segmentFiles = (dir: string, ext: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith(ext))
    .sort()
    .map((f) => join(dir, f))

/** Whole batches of one .log file: [position, size, baseOffset, lastOffset]; `end` where they stop. */
function batchesOf(buf: Buffer): { batches: [number, number, bigint, bigint][]; end: number; bad?: string } {
  const batches: [number, number, bigint, bigint][] = []
  let pos = 0
  while (buf.length - pos >= BATCH_HEADER_SIZE) {
    const size = buf.readInt32BE(pos + 8) + LOG_OVERHEAD
    if (size < BATCH_HEADER_SIZE || size > buf.length - pos) break
    const problem = checkBatch(buf, pos, pos + size, true)
    if (problem !== BatchProblem.ok)
      return { batches, end: pos, bad: `batch at byte ${pos}: problem ${problem}` }
    const h = new BatchHeader(buf, pos)
    batches.push([pos, size, h.baseOffset, h.lastOffset])
    pos += size
  }
  return { batches, end: pos }
}

/**
 * Problems of a partition's segments as they are on disk: a torn or invalid tail, a CRC that
 * fails, offsets that are not dense across batches and segments. Empty when sound.
 */
export function segmentProblems(dir: string): string[] {
  const out: string[] = []
  let next: bigint | null = null
  for (const file of segmentFiles(dir, '.log')) {
    const buf = readFileSync(file)
    const { batches, end, bad } = batchesOf(buf)
    if (bad !== undefined) out.push(`${file}: ${bad}`)
    else if (end !== buf.length) out.push(`${file}: ${buf.length - end} bytes after the last whole batch`)
    for (const [, , base, last] of batches) {
      if (next !== null && base !== next)
        out.push(`${file}: batch at offset ${base} where ${next} was expected`)
      next = last + 1n
    }
  }
  return out
}

/**
 * Damages the last segment of a partition while the broker is stopped: `cut` truncates it inside
 * a batch (everything from that batch on is gone: returns its base offset), `garbage` appends
 * random bytes after the last batch (returns null: nothing is lost). An empty last segment can
 * only be soiled.
 */
export async function tearLastSegment(
  dir: string,
  mode: 'cut' | 'garbage',
  rand: () => number,
): Promise<{ what: string; cutAt: bigint | null }> {
  const last = segmentFiles(dir, '.log').at(-1)!
  const { batches } = batchesOf(readFileSync(last))
  if (mode === 'cut' && batches.length > 0) {
    const [pos, size, base] = batches[Math.floor(rand() * batches.length)]!
    const at = pos + 1 + Math.floor(rand() * (size - 1))
    await truncate(last, at)
    return { what: `cut ${last} at byte ${at}, inside the batch at offset ${base}`, cutAt: base }
  }
  const junk = Buffer.alloc(1 + Math.floor(rand() * 300))
  for (let k = 0; k < junk.length; k++) junk[k] = Math.floor(rand() * 256)
  await appendFile(last, junk)
  return {
    what: `appended ${junk.length} random bytes to ${last} (${statSync(last).size} bytes)`,
    cutAt: null,
  }
}

/** Deletes some .index and .timeindex files (at least one of each where any exist). */
export async function deleteIndexes(dirs: readonly string[], rand: () => number): Promise<string[]> {
  const gone: string[] = []
  for (const ext of ['.index', '.timeindex']) {
    const files = dirs.flatMap((d) => segmentFiles(d, ext))
    const chosen = files.filter(() => rand() < 0.5)
    if (chosen.length === 0 && files.length > 0) chosen.push(files[Math.floor(rand() * files.length)]!)
    for (const f of chosen) {
      await unlink(f)
      gone.push(f)
    }
  }
  return gone
}

export const exists = (path: string) => existsSync(path)

/** The first record at or after `at` (an offset, or `s@<ms>`: by timestamp) in one partition. */
export async function firstFrom(
  bootstrap: string,
  topic: string,
  p: number,
  at: string,
): Promise<{ offset: number; key: string | null } | null> {
  const r = await kcat(bootstrap, ['-C', '-J', '-q', '-e', '-c', '1', '-t', topic, '-p', String(p), '-o', at])
  const line = r.stdout.split('\n').find((l) => l.startsWith('{'))
  if (line === undefined) return null
  const m = JSON.parse(line) as { offset: number; key: string | null }
  return { offset: m.offset, key: m.key }
}

/**
 * A topic read from offset 0: to its end, or, while a producer runs (a read to the end would
 * chase it), the first `upTo.get(p)` records of each partition (offsets are dense: one producer,
 * no transactions).
 */
export async function readTopic(
  bootstrap: string,
  topic: string,
  upTo?: ReadonlyMap<number, number>,
): Promise<KcatMessage[]> {
  if (upTo === undefined) return kcatConsumeJson(bootstrap, ['-t', topic, '-o', 'beginning'])
  const out: KcatMessage[] = []
  for (const [p, n] of upTo) {
    if (n > 0)
      out.push(
        ...(await kcatConsumeJson(bootstrap, [
          '-t',
          topic,
          '-p',
          String(p),
          '-o',
          'beginning',
          '-c',
          String(n),
        ])),
      )
  }
  return out
}

/** Look-ups by offset and by timestamp: each answer as "p:offset:key". */
export async function lookups(
  bootstrap: string,
  topic: string,
  asks: readonly [number, string][],
): Promise<string[]> {
  const out: string[] = []
  for (const [p, at] of asks) {
    const r = await firstFrom(bootstrap, topic, p, at)
    out.push(r === null ? `${p}:none` : `${p}:${r.offset}:${r.key}`)
  }
  return out
}
