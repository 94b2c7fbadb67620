// Opening a partition directory: finishing or undoing interrupted operations, then deciding how
// much of the log to verify.
//
// 1. Leftovers: `.deleted`, `.cleaned` and `.tmp` files are removed. A `.swap` segment (compaction
//    output that was complete when the process stopped) replaces the live segments whose base
//    offsets fall inside its offset range, then becomes live.
//    A new log (`fresh`: its directory was just made and is empty) skips all of this: one empty
//    segment, no reads.
// 2. After a clean shutdown: trust the files. Only the active segment's tail past its last index
//    entry is read, to find the log end offset: O(segments), not O(bytes).
// 3. After an unclean shutdown: every segment from the one holding the recovery point (all data
//    below it was fsynced) to the end is verified batch by batch (size, CRC, offsets increasing)
//    and its indexes rebuilt. At the first bad batch the segment is cut and every later segment
//    deleted: nothing after a hole can be trusted.

import { join } from 'node:path'
import type { Clock } from '../common/clock.ts'
import type { Fs } from '../common/fs.ts'
import { isNotFound } from '../common/fs.ts'
import type { Uuid } from '../common/ids.ts'
import {
  CLEANED_SUFFIX,
  DELETED_SUFFIX,
  LOG_SUFFIX,
  parseSegmentFileName,
  SWAP_SUFFIX,
  TMP_SUFFIX,
  type TopicPartition,
  tpKey,
} from './file-names.ts'
import { LeaderEpochCache } from './leader-epoch-cache.ts'
import type { LogConfig } from './log-config.ts'
import { LogSegment } from './log-segment.ts'
import type { StorageLogger } from './logger.ts'
import { readPartitionMetadata } from './partition-metadata.ts'
import { StorageError, StorageErrorCode } from './storage-error.ts'

export interface LoadState {
  /** The log dir held a clean-shutdown marker. */
  hadCleanShutdown: boolean
  /** From recovery-point-offset-checkpoint (0 when unknown). */
  recoveryPoint: bigint
  /** From log-start-offset-checkpoint. */
  logStartOffset?: bigint
  /** The directory was just created and is empty: nothing to read or recover. */
  fresh?: boolean
}

export interface LoadContext {
  fs: Fs
  clock: Clock
  dir: string
  tp: TopicPartition
  config: LogConfig
  logger: StorageLogger
  jitter: () => number
}

export interface LoadedLog {
  segments: LogSegment[]
  logEndOffset: bigint
  logStartOffset: bigint
  recoveryPoint: bigint
  epochCache: LeaderEpochCache
  topicId: Uuid | null
  /** Bytes cut off while recovering. */
  truncatedBytes: number
}

async function unlinkQuietly(fs: Fs, path: string): Promise<void> {
  try {
    await fs.unlink(path)
  } catch (err) {
    if (!isNotFound(err)) throw err
  }
}

/** Runs `read`; a malformed file (CorruptData) is returned instead of thrown. */
async function unreadable(read: () => Promise<void>): Promise<StorageError | null> {
  try {
    await read()
    return null
  } catch (err) {
    if (err instanceof StorageError && err.code === StorageErrorCode.CorruptData) return err
    throw err
  }
}

export function segmentOptions(ctx: LoadContext) {
  return { indexBytes: ctx.config.segmentIndexBytes, now: ctx.clock.now(), rollJitterMs: ctx.jitter() }
}

/** A new log in an empty directory: one empty segment at offset 0 (the caller syncs the dir). */
async function createEmptyLog(ctx: LoadContext): Promise<LoadedLog> {
  const segment = await LogSegment.create(ctx.fs, ctx.dir, 0n, segmentOptions(ctx), '', true)
  return {
    segments: [segment],
    logEndOffset: 0n,
    logStartOffset: 0n,
    recoveryPoint: 0n,
    epochCache: new LeaderEpochCache(ctx.fs, ctx.dir),
    topicId: null,
    truncatedBytes: 0,
  }
}

export async function loadLog(ctx: LoadContext, state: LoadState): Promise<LoadedLog> {
  if (state.fresh === true) return createEmptyLog(ctx)
  const { fs, dir, logger } = ctx
  const name = tpKey(ctx.tp.topic, ctx.tp.partition)
  let dirChanged = false

  // 1. Leftovers of interrupted operations.
  let names = await fs.readdir(dir)
  for (const n of names) {
    if (n.endsWith(DELETED_SUFFIX) || n.endsWith(CLEANED_SUFFIX) || n.endsWith(TMP_SUFFIX)) {
      await unlinkQuietly(fs, join(dir, n))
      dirChanged = true
    }
  }
  if (dirChanged) names = await fs.readdir(dir)
  const swaps = names
    .map(parseSegmentFileName)
    .filter((p) => p !== null && p.kind === 'log' && p.state === SWAP_SUFFIX)
    .map((p) => p!.baseOffset)
  for (const base of swaps) {
    const st = await fs.stat(join(dir, `${base.toString().padStart(20, '0')}${LOG_SUFFIX}${SWAP_SUFFIX}`))
    const swap = LogSegment.existing(
      fs,
      dir,
      base,
      st?.size ?? 0,
      st?.mtimeMs ?? 0,
      segmentOptions(ctx),
      SWAP_SUFFIX,
    )
    const { nextOffset } = await swap.recover(ctx.config.indexIntervalBytes)
    const end = nextOffset > base ? nextOffset : base + 1n
    for (const n of await fs.readdir(dir)) {
      const p = parseSegmentFileName(n)
      if (p !== null && p.state === '' && p.baseOffset >= base && p.baseOffset < end)
        await unlinkQuietly(fs, join(dir, n))
    }
    await swap.close()
    await swap.changeSuffix('')
    dirChanged = true
    logger.info(`completed an interrupted compaction swap of ${name} at offset ${base}`)
  }

  // 2. Live segments; index files without a log are orphans.
  if (swaps.length > 0) names = await fs.readdir(dir)
  const logBases = new Set<bigint>()
  const txnIndexBases = new Set<bigint>()
  for (const n of names) {
    const p = parseSegmentFileName(n)
    if (p !== null && p.state === '' && p.kind === 'log') logBases.add(p.baseOffset)
    if (p !== null && p.state === '' && p.kind === 'txnindex') txnIndexBases.add(p.baseOffset)
  }
  for (const n of names) {
    const p = parseSegmentFileName(n)
    if (p !== null && p.state === '' && p.kind !== 'log' && !logBases.has(p.baseOffset)) {
      await unlinkQuietly(fs, join(dir, n))
      dirChanged = true
    }
  }
  let segments: LogSegment[] = []
  for (const base of [...logBases].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
    const st = await fs.stat(join(dir, `${base.toString().padStart(20, '0')}${LOG_SUFFIX}`))
    segments.push(
      LogSegment.existing(
        fs,
        dir,
        base,
        st?.size ?? 0,
        st?.mtimeMs ?? 0,
        segmentOptions(ctx),
        '',
        txnIndexBases.has(base),
      ),
    )
  }

  const epochCache = new LeaderEpochCache(fs, dir)
  const epochUnreadable = await unreadable(() => epochCache.load())
  const assignEpoch = (b: { partitionLeaderEpoch: number; baseOffset: bigint }): void => {
    if (b.partitionLeaderEpoch >= 0 && b.partitionLeaderEpoch > epochCache.latestEpoch) {
      epochCache.assign(b.partitionLeaderEpoch, b.baseOffset)
    }
  }

  let logEndOffset: bigint
  let recoveryPoint = state.recoveryPoint
  // The log ends exactly where the running broker left it (clean shutdown, tail intact): an
  // epoch entry starting at the log end (a leader that wrote nothing in its epoch yet) is state
  // that broker held and stays. Otherwise entries at or past the end go, as Kafka's load does.
  let endAsLeft = false
  let truncatedBytes = 0
  if (segments.length === 0) {
    const base = state.logStartOffset !== undefined && state.logStartOffset > 0n ? state.logStartOffset : 0n
    const seg = await LogSegment.create(fs, dir, base, segmentOptions(ctx))
    segments.push(seg)
    dirChanged = true
    logEndOffset = base
    recoveryPoint = base
  } else if (state.hadCleanShutdown) {
    const active = segments[segments.length - 1]
    const next = await active.readNextOffset()
    if (next !== null) {
      logEndOffset = next
      endAsLeft = true
    } else {
      logger.warn(`${name}: the active segment does not end cleanly despite a clean shutdown; recovering it`)
      const r = await active.recover(ctx.config.indexIntervalBytes, assignEpoch)
      truncatedBytes += r.truncatedBytes
      logEndOffset = r.nextOffset
    }
    recoveryPoint = logEndOffset
  } else {
    // 3. Unclean: verify from the segment holding the recovery point.
    let from = 0
    for (let i = 0; i < segments.length; i++) if (segments[i].baseOffset <= recoveryPoint) from = i
    logEndOffset = segments[from].baseOffset
    for (let i = from; i < segments.length; i++) {
      const seg = segments[i]
      if (segments.length - from > 1) logger.info(`recovering segment ${i + 1}/${segments.length} of ${name}`)
      const r = await seg.recover(ctx.config.indexIntervalBytes, assignEpoch)
      logEndOffset = r.nextOffset
      if (r.truncatedBytes > 0) {
        truncatedBytes += r.truncatedBytes
        logger.warn(
          `${name}: cut ${r.truncatedBytes} bytes of torn or corrupt data from segment ${seg.baseOffset}`,
        )
        const later = segments.slice(i + 1)
        for (const s of later) {
          logger.warn(`${name}: deleting segment ${s.baseOffset}, which follows corrupt data`)
          await s.deleteFiles()
        }
        if (later.length > 0) dirChanged = true
        segments = segments.slice(0, i + 1)
        break
      }
    }
    if (recoveryPoint > logEndOffset) recoveryPoint = logEndOffset
    // Recovery opened each segment it read: close them, so an idle log holds no descriptor (the
    // next flush reopens the file; an fsync through any descriptor covers the file's data).
    for (const seg of segments) await seg.closeHandle()
  }

  // An empty active segment created by a roll whose first append never happened may sit after
  // an offset gap; the log end is then its base offset.
  const active = segments[segments.length - 1]
  if (active.size === 0 && active.baseOffset > logEndOffset) {
    logEndOffset = active.baseOffset
    endAsLeft = false
  }

  let logStartOffset = segments[0].baseOffset
  if (state.logStartOffset !== undefined && state.logStartOffset > logStartOffset)
    logStartOffset = state.logStartOffset
  if (logStartOffset > logEndOffset) {
    // Everything below the checkpointed start was deleted and the rest lost: start empty there.
    logger.warn(
      `${name}: log start offset ${logStartOffset} is past the log end ${logEndOffset}; starting empty`,
    )
    for (const s of segments) await s.deleteFiles()
    segments = [await LogSegment.create(fs, dir, logStartOffset, segmentOptions(ctx))]
    logEndOffset = logStartOffset
    endAsLeft = false
    recoveryPoint = logStartOffset
    dirChanged = true
  }
  if (recoveryPoint < logStartOffset) recoveryPoint = logStartOffset

  // A new log's first small files are written in place (new-files.ts): cut short by a crash
  // before anything was written to the log, they stand for nothing and are dropped.
  const neverWritten = segments.every((seg) => seg.size === 0)
  if (epochUnreadable !== null) {
    if (!neverWritten) throw epochUnreadable
    logger.warn(
      `${name}: unreadable leader-epoch-checkpoint in an empty log (${epochUnreadable}); starting it empty`,
    )
    epochCache.reset()
  }
  let topicId: Uuid | null = null
  const idUnreadable = await unreadable(async () => {
    topicId = await readPartitionMetadata(fs, dir)
  })
  if (idUnreadable !== null) {
    if (!neverWritten) throw idUnreadable
    logger.warn(`${name}: unreadable partition.metadata in an empty log (${idUnreadable}); ignoring it`)
  }

  // Keeping that entry also spares a rewrite of leader-epoch-checkpoint per partition at every
  // restart (removed here, then assigned again as the partition's leader takes its epoch).
  epochCache.truncateFromEnd(endAsLeft ? logEndOffset + 1n : logEndOffset)
  epochCache.truncateFromStart(logStartOffset)
  await epochCache.persist()
  if (dirChanged) await fs.syncDir(dir)

  return {
    segments,
    logEndOffset,
    logStartOffset,
    recoveryPoint,
    epochCache,
    topicId,
    truncatedBytes,
  }
}
