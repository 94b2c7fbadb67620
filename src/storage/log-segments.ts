// The ordered list of a log's segments. Copy-on-write: every change installs a new array, so a
// reader that took `all` keeps a consistent snapshot while the writer rolls, deletes or swaps
// segments. The last segment is the active one (the only one appended to).

import type { LogSegment } from './log-segment.ts'

export class LogSegments {
  private list: readonly LogSegment[] = []

  constructor(initial: readonly LogSegment[] = []) {
    this.replaceAll(initial)
  }

  /** A snapshot, sorted by base offset. */
  get all(): readonly LogSegment[] {
    return this.list
  }

  get count(): number {
    return this.list.length
  }

  get active(): LogSegment {
    return this.list[this.list.length - 1]
  }

  get first(): LogSegment {
    return this.list[0]
  }

  replaceAll(segments: readonly LogSegment[]): void {
    const sorted = [...segments].sort((a, b) =>
      a.baseOffset < b.baseOffset ? -1 : a.baseOffset > b.baseOffset ? 1 : 0,
    )
    for (let i = 1; i < sorted.length; i++) {
      if (sorted[i].baseOffset === sorted[i - 1].baseOffset)
        throw new Error(`two segments at ${sorted[i].baseOffset}`)
    }
    this.list = Object.freeze(sorted)
  }

  add(segment: LogSegment): void {
    this.replaceAll([...this.list, segment])
  }

  remove(segments: readonly LogSegment[]): void {
    const gone = new Set(segments)
    this.list = Object.freeze(this.list.filter((s) => !gone.has(s)))
  }

  /** Total bytes of all segments. */
  get sizeInBytes(): number {
    let n = 0
    for (const s of this.list) n += s.size
    return n
  }
}

/** Index of the last segment with baseOffset <= offset in `list`, or -1. */
export function floorSegmentIndex(list: readonly LogSegment[], offset: bigint): number {
  let lo = 0
  let hi = list.length - 1
  let found = -1
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1
    if (list[mid].baseOffset <= offset) {
      found = mid
      lo = mid + 1
    } else {
      hi = mid - 1
    }
  }
  return found
}
