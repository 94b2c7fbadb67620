// The files of one segment (log-segment.ts) as files: made empty (or a retired segment's .log
// renamed into place, segment-recycler.ts), renamed to carry a suffix ('.deleted', '.cleaned',
// '.swap', or '' to make them live again), removed. Kept apart from the segment's data: none of
// this reads or writes batches. An index not made yet (LogSegment makes them on first use) has
// no file work of its own here: it takes its path from the segment when it is made.

import { join } from 'node:path'
import { allEnded } from '../common/bounded.ts'
import type { Fs } from '../common/fs.ts'
import { isNotFound } from '../common/fs.ts'
import { indexFileName, timeIndexFileName, txnIndexFileName } from './file-names.ts'
import type { LogSegment } from './log-segment.ts'

/** The file work of LogSegment.create, on the segment it just made. */
export async function createFiles(
  fs: Fs,
  seg: LogSegment,
  inEmptyDir: boolean,
  reuse?: string,
): Promise<void> {
  const create = async (p: string) => {
    const h = await fs.open(p, 'rw')
    try {
      if (!inEmptyDir) await h.truncate(0)
    } finally {
      await h.close()
    }
  }
  // Independent files, made side by side: a roll waits for one round of file operations (it
  // holds the log's appends), not for each in turn.
  const work = [create(seg.indexPath()), create(seg.timeIndexPath())]
  // A transaction index left at this name (a segment recreated at the same base) is stale.
  if (!inEmptyDir) work.push(seg.txnIndex.delete())
  if (reuse !== undefined) {
    work.push(
      fs.rename(reuse, seg.logPath).then(
        () => {
          seg.recycled = true
        },
        async () => {
          await fs.unlink(reuse).catch(() => {})
          await create(seg.logPath)
        },
      ),
    )
  } else work.push(create(seg.logPath))
  await allEnded(work)
}

/** LogSegment.changeSuffix. */
export async function renameFiles(seg: LogSegment, suffix: string): Promise<void> {
  const moves: [string, string, (p: string) => void][] = []
  const from = { log: seg.logPath, index: seg.indexPath(), time: seg.timeIndexPath() }
  // Made (if not yet) under the old suffix, so its rename below starts from the file's real path.
  const txnIndex = seg.txnIndex
  seg.suffix = suffix
  // An index not made yet takes its path from the new suffix when it is.
  moves.push([from.log, seg.logPath, () => {}])
  moves.push([
    from.index,
    join(seg.dir, indexFileName(seg.baseOffset) + suffix),
    (p) => {
      if (seg.oi !== null) seg.oi.path = p
    },
  ])
  moves.push([
    from.time,
    join(seg.dir, timeIndexFileName(seg.baseOffset) + suffix),
    (p) => {
      if (seg.ti !== null) seg.ti.path = p
    },
  ])
  const move = async ([a, b, set]: (typeof moves)[number]) => {
    try {
      await seg.fs.rename(a, b)
    } catch (err) {
      if (!isNotFound(err)) throw err
    }
    set(b)
  }
  // The .log file first (a crash between leaves index files the loader can tell apart: without a
  // .log file of their name they are strays), then the others side by side.
  await move(moves[0])
  await allEnded([
    ...moves.slice(1).map(move),
    txnIndex.rename(join(seg.dir, txnIndexFileName(seg.baseOffset) + suffix)),
  ])
}

/** The removal of LogSegment.deleteFiles, once the segment is marked deleted. */
export async function removeFiles(seg: LogSegment, keepLog: boolean): Promise<void> {
  await seg.closeHandle()
  const paths = [seg.indexPath(), seg.timeIndexPath()]
  if (!keepLog) paths.push(seg.logPath)
  const unlink = async (p: string) => {
    try {
      await seg.fs.unlink(p)
    } catch (err) {
      if (!isNotFound(err)) throw err
    }
  }
  await allEnded([...paths.map(unlink), seg.txnIndex.delete()])
}
