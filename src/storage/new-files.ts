// Small files of brand-new logs (partition.metadata, the first leader-epoch-checkpoint) made
// durable in batches. Written atomically one by one, each costs a temporary file, a rename and two
// fsyncs; a CreateTopics of thousands of partitions spent most of its time on those. A new file
// in a new directory has no previous version to protect, so it is written in place and fsynced
// together with every other new file of its log dir, followed by one fsync per directory holding
// them. The caller's promise resolves only once its file and its directory entry are durable, so
// what was acknowledged after it survives a power loss exactly as before.
//
// A crash before that point can leave the file cut short. Only a log that never got a write can
// be in that state (nothing is acknowledged, and the log's own writes wait for the file), so the
// loader treats an unreadable file in an empty log as absent (log-loader.ts).

import { dirname } from 'node:path'
import { Coalescer } from '../common/bounded.ts'
import type { FileHandle, Fs } from '../common/fs.ts'

/** fsyncs in flight per batch: enough to keep the thread pool busy, few enough not to flood it. */
const SYNCS_IN_FLIGHT = 32

export class NewFileBatch {
  private readonly fs: Fs
  private readonly syncer = new Coalescer()
  private files: FileHandle[] = []
  private dirs = new Set<string>()

  constructor(fs: Fs) {
    this.fs = fs
  }

  /** Creates `path` (which must not exist) holding `data`; resolves once both are durable. */
  async write(path: string, data: Uint8Array): Promise<void> {
    const h = await this.fs.open(path, 'rw')
    try {
      await h.write(data, 0)
    } catch (err) {
      await h.close().catch(() => {})
      throw err
    }
    this.files.push(h)
    this.dirs.add(dirname(path))
    return this.syncer.run(() => this.flush())
  }

  /** Makes the entries of `dir` durable, sharing the fsync with the batch under way. */
  syncDir(dir: string): Promise<void> {
    this.dirs.add(dir)
    return this.syncer.run(() => this.flush())
  }

  private async flush(): Promise<void> {
    const files = this.files
    const dirs = [...this.dirs]
    this.files = []
    this.dirs = new Set()
    let failure: unknown = null
    const each = async <T>(items: readonly T[], fn: (item: T) => Promise<void>): Promise<void> => {
      let next = 0
      const worker = async (): Promise<void> => {
        while (next < items.length) {
          const item = items[next++]
          try {
            await fn(item)
          } catch (err) {
            failure ??= err
          }
        }
      }
      await Promise.all(Array.from({ length: Math.min(SYNCS_IN_FLIGHT, items.length) }, worker))
    }
    // Every handle is closed even when an fsync fails; the first failure fails the whole batch.
    await each(files, async (h) => {
      try {
        await h.sync()
      } finally {
        await h.close()
      }
    })
    if (failure === null) await each(dirs, (d) => this.fs.syncDir(d))
    if (failure !== null) throw failure
  }
}
