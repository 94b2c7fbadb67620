// The LogManager owns every partition log of the broker, spread over the log dirs (a new log goes
// to the dir holding the fewest), and the per-dir files: the recovery point, log start offset
// and high watermark checkpoints and the clean-shutdown marker. It runs the background tasks on
// the clock: retention, flush.ms, checkpoints, compaction, each rescheduled after it finishes.
//
// Startup, per dir: note whether `.kafka_cleanshutdown` exists, read the checkpoints, remove
// partition dirs marked `-delete`, open every `<topic>-<partition>` dir (recovering after an
// unclean shutdown), write fresh checkpoints, then remove the marker — before any new write, so
// a crash from here on is seen as unclean. Shutdown: close (flush) every log, write the
// checkpoints, then the marker, fsynced.

import { randomUUID } from 'node:crypto'
import { dirname, join } from 'node:path'
import { allEnded, Coalescer, forEachBounded } from '../common/bounded.ts'
import type { Clock, Timer } from '../common/clock.ts'
import type { Fs } from '../common/fs.ts'
import { writeFileAtomic } from '../common/fs.ts'
import type { Uuid } from '../common/ids.ts'
import { OffsetCheckpointFile } from './checkpoint-file.ts'
import {
  CLEAN_SHUTDOWN_FILE,
  DELETE_DIR_SUFFIX,
  deletedDirName,
  HIGH_WATERMARK_CHECKPOINT,
  LOG_START_OFFSET_CHECKPOINT,
  PARTITION_METADATA_FILE,
  parsePartitionDirName,
  partitionDirName,
  RECOVERY_POINT_CHECKPOINT,
  type TopicPartition,
  tpKey,
} from './file-names.ts'
import { Log } from './log.ts'
import { LogCleaner } from './log-cleaner.ts'
import {
  DEFAULT_LOG_MANAGER_CONFIG,
  isCompacted,
  type LogConfig,
  type LogManagerConfig,
  logConfig,
} from './log-config.ts'
import { type StorageLogger, silentLogger } from './logger.ts'
import { NewFileBatch } from './new-files.ts'
import { openSegmentFiles } from './open-files.ts'
import { formatPartitionMetadata } from './partition-metadata.ts'
import { deleteOldSegments } from './retention.ts'

/**
 * A copy of `s` in one piece. path.join builds its result by concatenation, which V8 keeps as a
 * tree of string pieces; a log's directory string is held for the broker's lifetime and shared by
 * every path built from it, so it is worth storing flat.
 */
function flatString(s: string): string {
  return Buffer.from(s, 'utf8').toString('utf8')
}

export interface LogManagerParams {
  fs: Fs
  clock: Clock
  config: Partial<LogManagerConfig> & { logDirs: string[] }
  /** Topic config defaults (the broker's log.* settings); per-topic overrides go to getOrCreateLog. */
  defaultLogConfig?: Partial<LogConfig>
  /**
   * Per-topic overrides (from the metadata image), consulted when a log is loaded at startup or
   * created without explicit overrides. Storage does not persist topic configs itself.
   */
  topicConfig?: (topic: string) => Partial<LogConfig> | undefined
  logger?: StorageLogger
  random?: () => number
  /** Written into the clean-shutdown marker (KIP-966); -1 when unknown. */
  brokerEpoch?: number
  /** Write replication-offset-checkpoint (high watermarks); replication may take it over. */
  checkpointHighWatermarks?: boolean
}

interface Entry {
  log: Log
  logDir: string
}

/**
 * Logs loaded, created, closed or deleted at once, per log dir: enough to keep the thread pool
 * busy (each is a chain of small file operations), few enough not to hold thousands of buffers.
 */
const LOGS_IN_FLIGHT = 32

/** A dir's checkpoint writer: requests arriving before a write starts share it. */
interface DirCheckpoints {
  writer: Coalescer
  offsets: boolean
  hw: boolean
}

export class LogManager {
  readonly fs: Fs
  readonly clock: Clock
  readonly config: LogManagerConfig
  readonly defaultLogConfig: LogConfig
  private readonly topicConfig: (topic: string) => Partial<LogConfig> | undefined
  private readonly logger: StorageLogger
  private readonly random: () => number
  private readonly brokerEpoch: number
  private readonly writeHw: boolean
  private readonly logs = new Map<string, Entry>()
  private readonly creating = new Map<string, Promise<Log>>()
  private readonly dirCheckpoints = new Map<string, DirCheckpoints>()
  private readonly dirSyncs = new Map<string, Coalescer>()
  private readonly checkpointers = new Map<string, () => Promise<void>>()
  /** Per log dir: the small files of new logs, fsynced in batches (new-files.ts). */
  private readonly newFiles = new Map<string, NewFileBatch>()
  /** Logs per log dir (where a new log goes). */
  private readonly dirCounts = new Map<string, number>()
  private readonly timers = new Set<Timer>()
  private readonly running = new Set<Promise<unknown>>()
  readonly cleaner: LogCleaner
  private started = false
  private stopped = false

  constructor(p: LogManagerParams) {
    this.fs = p.fs
    this.clock = p.clock
    this.config = { ...DEFAULT_LOG_MANAGER_CONFIG, ...p.config }
    if (this.config.logDirs.length === 0) throw new RangeError('log.dirs is empty')
    this.defaultLogConfig = logConfig(p.defaultLogConfig ?? {})
    this.topicConfig = p.topicConfig ?? (() => undefined)
    this.logger = p.logger ?? silentLogger
    this.random = p.random ?? Math.random
    this.brokerEpoch = p.brokerEpoch ?? -1
    this.writeHw = p.checkpointHighWatermarks ?? true
    for (const d of this.config.logDirs) {
      this.dirCheckpoints.set(d, { writer: new Coalescer(), offsets: false, hw: false })
      this.dirSyncs.set(d, new Coalescer())
      this.newFiles.set(d, new NewFileBatch(this.fs))
      this.dirCounts.set(d, 0)
    }
    this.cleaner = new LogCleaner({ fs: p.fs, clock: p.clock, logger: this.logger })
  }

  /** Creates a manager and loads every log. */
  static async start(p: LogManagerParams): Promise<LogManager> {
    const m = new LogManager(p)
    await m.startup()
    return m
  }

  async startup(): Promise<void> {
    if (this.started) return
    this.started = true
    // One cap for the process (one descriptor limit); the last manager started sets it.
    openSegmentFiles.cap = this.config.maxOpenSegmentFiles
    const load = async () => {
      for (const dir of this.config.logDirs) await this.loadDir(dir)
    }
    await (this.fs.withBlockingReads?.(load) ?? load())
    this.startTasks()
  }

  private async loadDir(logDir: string): Promise<void> {
    const fs = this.fs
    await fs.mkdir(logDir)
    await fs.syncDir(dirname(logDir)).catch(() => {})
    const marker = join(logDir, CLEAN_SHUTDOWN_FILE)
    const hadCleanShutdown = (await fs.stat(marker)) !== null
    const rps = await this.readCheckpoint(join(logDir, RECOVERY_POINT_CHECKPOINT))
    const starts = await this.readCheckpoint(join(logDir, LOG_START_OFFSET_CHECKPOINT))
    const hws = await this.readCheckpoint(join(logDir, HIGH_WATERMARK_CHECKPOINT))
    const todo: TopicPartition[] = []
    for (const name of await fs.readdir(logDir)) {
      const path = join(logDir, name)
      if (name.endsWith(DELETE_DIR_SUFFIX)) {
        await fs.removeTree(path)
        continue
      }
      const tp = parsePartitionDirName(name)
      if (tp === null || !(await fs.stat(path))?.isDirectory) continue
      todo.push(tp)
    }
    this.logger.info(
      `loading ${todo.length} logs from ${logDir} after ${hadCleanShutdown ? 'a clean' : 'an unclean'} shutdown`,
    )
    // num.recovery.threads.per.data.dir: Kafka's loader threads. Here a load is a chain of small
    // async file operations, so each "thread" keeps several logs in flight.
    const workers = Math.max(1, this.config.recoveryThreadsPerDataDir) * LOGS_IN_FLIGHT
    await forEachBounded(todo, workers, async (tp) => {
      const key = tpKey(tp.topic, tp.partition)
      if (this.logs.has(key)) {
        throw new Error(`duplicate log for ${key} in ${logDir} and ${this.logs.get(key)!.logDir}`)
      }
      const config = logConfig(this.topicConfig(tp.topic) ?? {}, this.defaultLogConfig)
      const log = await Log.open(this.logParams(logDir, tp, config, hws.get(key)), {
        hadCleanShutdown,
        recoveryPoint: rps.get(key) ?? 0n,
        logStartOffset: starts.get(key),
      })
      // The log's own name string as the key: one copy per log, not two.
      this.addEntry(log.name, { log, logDir })
    })
    await this.checkpointDir(logDir)
    if (hadCleanShutdown) {
      await fs.unlink(marker)
      await fs.syncDir(logDir)
    }
  }

  private async readCheckpoint(path: string): Promise<Map<string, bigint>> {
    try {
      return await new OffsetCheckpointFile(this.fs, path).read()
    } catch (err) {
      this.logger.warn(`ignoring unreadable checkpoint ${path}: ${err}`)
      return new Map()
    }
  }

  private logParams(logDir: string, tp: TopicPartition, config: LogConfig, hw?: bigint) {
    return {
      fs: this.fs,
      clock: this.clock,
      dir: flatString(join(logDir, partitionDirName(tp))),
      topicPartition: tp,
      config,
      logger: this.logger,
      random: this.random,
      highWatermark: hw,
      checkpointNow: this.dirCheckpointer(logDir),
    }
  }

  /** One closure per dir, shared by its logs (a closure per log is ~100 bytes times thousands). */
  private dirCheckpointer(logDir: string): () => Promise<void> {
    let f = this.checkpointers.get(logDir)
    if (f === undefined) {
      f = () => this.checkpointDir(logDir)
      this.checkpointers.set(logDir, f)
    }
    return f
  }

  private addEntry(key: string, e: Entry): void {
    this.logs.set(key, e)
    this.dirCounts.set(e.logDir, (this.dirCounts.get(e.logDir) ?? 0) + 1)
  }

  private removeEntry(key: string, e: Entry): void {
    this.logs.delete(key)
    this.dirCounts.set(e.logDir, (this.dirCounts.get(e.logDir) ?? 1) - 1)
  }

  /** fsyncs a log dir; concurrent callers (logs created at once) share one fsync. */
  private syncLogDir(logDir: string): Promise<void> {
    const c = this.dirSyncs.get(logDir)
    return c === undefined ? this.fs.syncDir(logDir) : c.run(() => this.fs.syncDir(logDir))
  }

  getLog(topic: string, partition: number): Log | undefined {
    return this.logs.get(tpKey(topic, partition))?.log
  }

  /** Every log, with the log dir holding it. */
  allLogs(): { log: Log; logDir: string }[] {
    return [...this.logs.values()]
  }

  /**
   * The partition's log, created empty when missing (in the log dir holding the fewest logs).
   * `config` overrides the defaults for a new log; `topicId` goes to partition.metadata.
   */
  async getOrCreateLog(
    topic: string,
    partition: number,
    opts: { topicId?: Uuid; config?: Partial<LogConfig> } = {},
  ): Promise<Log> {
    const key = tpKey(topic, partition)
    const existing = this.logs.get(key)?.log ?? (await this.creating.get(key))
    if (existing !== undefined) {
      if (opts.topicId !== undefined) await existing.setTopicId(opts.topicId)
      return existing
    }
    const p = this.createLog({ topic, partition }, opts)
    this.creating.set(key, p)
    try {
      return await p
    } finally {
      this.creating.delete(key)
    }
  }

  private async createLog(
    tp: TopicPartition,
    opts: { topicId?: Uuid; config?: Partial<LogConfig> },
  ): Promise<Log> {
    const counts = this.dirCounts
    let logDir = this.config.logDirs[0]
    for (const d of this.config.logDirs) if ((counts.get(d) ?? 0) < (counts.get(logDir) ?? 0)) logDir = d
    // Counted at once, so logs created concurrently spread over the dirs.
    counts.set(logDir, (counts.get(logDir) ?? 0) + 1)
    const dir = join(logDir, partitionDirName(tp))
    let log: Log
    try {
      await this.fs.mkdir(dir)
      // A directory left behind (say, by a crash between mkdir and its first files) is loaded.
      const fresh = (await this.fs.readdir(dir)).length === 0
      await this.syncLogDir(logDir)
      const config = logConfig(opts.config ?? this.topicConfig(tp.topic) ?? {}, this.defaultLogConfig)
      log = await Log.open(this.logParams(logDir, tp, config), {
        hadCleanShutdown: true,
        recoveryPoint: 0n,
        fresh,
      })
      const batch = this.newFiles.get(logDir)
      if (fresh && batch !== undefined) {
        // Nothing to replace in a new directory: the files are written in place and fsynced with
        // those of the other logs created meanwhile, then `dir` (covering the segment files).
        log.epochCache.createFileWith((path, data) => batch.write(path, data))
        if (opts.topicId !== undefined) {
          await batch.write(
            join(dir, PARTITION_METADATA_FILE),
            Buffer.from(formatPartitionMetadata(opts.topicId)),
          )
          log.topicId = opts.topicId
        } else await batch.syncDir(dir)
      } else if (opts.topicId !== undefined) {
        // partition.metadata's atomic write ends with a sync of `dir`, covering the segment files.
        await log.setTopicId(opts.topicId)
      } else await this.fs.syncDir(dir)
    } catch (err) {
      counts.set(logDir, (counts.get(logDir) ?? 1) - 1)
      throw err
    }
    this.logs.set(log.name, { log, logDir })
    return log
  }

  /**
   * Deletes a partition's log: closes it, renames its directory to
   * `<topic>-<partition>.<id>-delete` and removes it after file.delete.delay.ms.
   */
  async deleteLog(topic: string, partition: number): Promise<boolean> {
    const key = tpKey(topic, partition)
    const e = this.logs.get(key)
    if (e === undefined) return false
    this.removeEntry(key, e)
    this.cleaner.forget(e.log)
    await e.log.closeHandles()
    const doomed = join(e.logDir, deletedDirName({ topic, partition }, randomUUID().replaceAll('-', '')))
    await this.fs.rename(e.log.dir, doomed)
    await this.syncLogDir(e.logDir)
    await this.checkpointDir(e.logDir)
    this.schedule(e.log.config.fileDeleteDelayMs, async () => {
      await this.fs.removeTree(doomed)
    })
    return true
  }

  // --- checkpoints ---

  /**
   * Writes the dir's checkpoint files, one file each for all the dir's logs, from the logs'
   * values read when the write starts. Writes are serialized per dir, and a request arriving
   * while a write is still queued joins it (it will read the values the caller just set), so
   * thousands of logs truncated or deleted at once cost one write, and the last write always
   * carries the latest values. `which`: 'offsets' (recovery points and log start offsets),
   * 'hw' (high watermarks) or 'all'.
   */
  checkpointDir(logDir: string, which: 'offsets' | 'hw' | 'all' = 'all'): Promise<void> {
    const c = this.dirCheckpoints.get(logDir)
    if (c === undefined) return Promise.resolve()
    if (which !== 'hw') c.offsets = true
    if (which !== 'offsets') c.hw = true
    return c.writer.run(async () => {
      const offsets = c.offsets
      const hw = c.hw && this.writeHw
      c.offsets = false
      c.hw = false
      const logs: Log[] = []
      for (const e of this.logs.values()) if (e.logDir === logDir && !e.log.isOffline) logs.push(e.log)
      const rows = (f: (l: Log) => bigint) => logs.map((l) => ({ ...l.topicPartition, offset: f(l) }))
      const write = (name: string, f: (l: Log) => bigint) =>
        new OffsetCheckpointFile(this.fs, join(logDir, name)).write(rows(f))
      const writes: Promise<void>[] = []
      if (offsets) {
        writes.push(write(RECOVERY_POINT_CHECKPOINT, (l) => l.recoveryPoint))
        writes.push(write(LOG_START_OFFSET_CHECKPOINT, (l) => l.logStartOffset))
      }
      if (hw) writes.push(write(HIGH_WATERMARK_CHECKPOINT, (l) => l.highWatermark))
      await allEnded(writes)
    })
  }

  async checkpointAll(which: 'offsets' | 'hw' | 'all' = 'all'): Promise<void> {
    for (const d of this.config.logDirs) await this.checkpointDir(d, which)
  }

  // --- background work ---

  /** Applies retention to every log now; returns the number of segments deleted. */
  async runRetention(): Promise<number> {
    let n = 0
    const now = this.clock.now()
    for (const { log } of this.logs.values()) {
      if (log.isOffline) continue
      try {
        n += await deleteOldSegments(log, now)
      } catch (err) {
        this.logger.error(`retention of ${log.name} failed`, err)
      }
    }
    return n
  }

  /** Flushes logs whose flush.ms elapsed. */
  async runFlushes(): Promise<void> {
    const now = this.clock.now()
    for (const { log } of this.logs.values()) {
      if (log.isOffline) continue
      await log.flushIfDue(now).catch((err) => this.logger.error(`flush of ${log.name} failed`, err))
    }
  }

  /** One compaction pass over the compacted logs; returns how many logs were cleaned. */
  async runCleaner(): Promise<number> {
    let n = 0
    for (const e of this.logs.values()) {
      if (e.log.isOffline || !isCompacted(e.log.config)) continue
      try {
        if (await this.cleaner.maybeClean(e.log, e.logDir)) n++
      } catch (err) {
        this.logger.error(`compaction of ${e.log.name} failed`, err)
      }
    }
    return n
  }

  private schedule(ms: number, task: () => Promise<unknown>): void {
    if (this.stopped) return
    const t = this.clock.setTimeout(() => {
      this.timers.delete(t)
      if (this.stopped) return
      const p = task()
        .catch((err) => this.logger.error('background task failed', err))
        .finally(() => this.running.delete(p))
      this.running.add(p)
    }, ms)
    this.timers.add(t)
  }

  private every(ms: number, task: () => Promise<unknown>): void {
    if (ms >= Number.MAX_SAFE_INTEGER) return
    const loop = async (): Promise<void> => {
      await task()
      this.schedule(ms, loop)
    }
    this.schedule(ms, loop)
  }

  private startTasks(): void {
    const c = this.config
    this.every(c.retentionCheckIntervalMs, () => this.runRetention())
    this.every(c.recoveryPointCheckpointIntervalMs, () => this.checkpointAll('offsets'))
    if (this.writeHw) this.every(c.highWatermarkCheckpointIntervalMs, () => this.checkpointAll('hw'))
    // flush.ms is only honoured when checked: every log.flush.scheduler.interval.ms, or every
    // second when that is left at "never" but some topic sets flush.ms.
    const flushEvery =
      c.flushCheckIntervalMs < Number.MAX_SAFE_INTEGER
        ? c.flushCheckIntervalMs
        : this.defaultLogConfig.flushMs < Number.MAX_SAFE_INTEGER
          ? 1000
          : Number.MAX_SAFE_INTEGER
    this.every(flushEvery, () => this.runFlushes())
    if (c.cleanerEnable) this.every(c.cleanerBackoffMs, () => this.runCleaner())
  }

  // --- shutdown ---

  /** Clean shutdown: stop tasks, close (flush) every log, checkpoints, then the marker. */
  async shutdown(): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    for (const t of this.timers) t.cancel()
    this.timers.clear()
    await Promise.allSettled([...this.running])
    let clean = true
    await forEachBounded([...this.logs.values()], LOGS_IN_FLIGHT, async ({ log }) => {
      try {
        await log.close()
      } catch (err) {
        clean = false
        this.logger.error(`closing ${log.name} failed`, err)
      }
      if (log.isOffline) clean = false
    })
    for (const d of this.config.logDirs) {
      await this.checkpointDir(d)
      const dirClean = clean && [...this.logs.values()].every((e) => e.logDir !== d || !e.log.isOffline)
      if (dirClean) {
        const body = Buffer.from(JSON.stringify({ version: 0, brokerEpoch: this.brokerEpoch }))
        await writeFileAtomic(this.fs, join(d, CLEAN_SHUTDOWN_FILE), body)
      }
    }
  }

  /** Stops background tasks and closes files without flushing (a crash in tests, a failed dir). */
  async abandon(): Promise<void> {
    this.stopped = true
    for (const t of this.timers) t.cancel()
    this.timers.clear()
    for (const { log } of this.logs.values()) await log.closeHandles()
  }
}
