// A bound on the .log descriptors segments keep open (issue 17). A segment opens its file on first
// use (log-segment.ts) and used to keep it until the segment was deleted or the broker stopped, so
// a broker whose 10,000 partitions had each been written once held 10,000 descriptors against a
// process limit of ~20,000 (sockets need theirs too). Kafka keeps every segment's file open and
// asks for a high `ulimit -n`; here, past the cap, the least recently used files that have been
// idle for a while are closed, and the next read or append opens them again.
//
// Safety without reference counts: a handle is taken (LogSegment.handle) right before each use,
// and such uses end within a request; a handle untouched for at least one full sweep period
// (SWEEP_MS, so 5-10 s) belongs to no operation still starting new calls on it, and closing waits
// for the calls in flight (fs.ts). The few users that hold a handle across many calls for longer
// (recovery, a compaction pass, the loader's tail scan) pin their segment meanwhile. The cap is
// soft: files in use within the period stay open even past it (a hot set larger than the cap is
// the operator's to size, as with Kafka's ulimit).
//
// Cost on the hot path: LogSegment.handle stamps the segment with the sweep counter (a load and a
// store); the sweep itself runs on a timer only while more files than the cap are open.

/** What a segment exposes to the sweep. */
export interface OpenFile {
  /** The sweep counter when the file was last used (OpenFiles.stamp). */
  usedAt: number
  /** Users holding the handle across calls; pinned files are never closed by the sweep. */
  pins: number
  /** Closes the file now (the segment reopens it on next use). */
  closeIdle(): void
}

/** Runs `fn` with every file of `files` pinned (kept open by the sweep) until it settles. */
export async function pinnedAll<T>(files: readonly OpenFile[], fn: () => Promise<T>): Promise<T> {
  for (const f of files) f.pins++
  try {
    return await fn()
  } finally {
    for (const f of files) f.pins--
  }
}

/** How often the sweep runs while over the cap; a file idle one full period may be closed. */
export const SWEEP_MS = 5000
/** Default cap (samsa.log.max.open.segment.files). */
export const DEFAULT_MAX_OPEN_SEGMENT_FILES = 4096

export class OpenFiles {
  /** Files above which idle ones are closed; 0: no cap. */
  cap: number
  /** Bumped by each sweep; handles carry the value of their last use. */
  stamp = 1
  /** Files closed by the sweep so far (tests, benchmarks). */
  closedIdle = 0
  private readonly open = new Set<OpenFile>()
  private timer: NodeJS.Timeout | null = null
  private readonly periodMs: number

  constructor(cap: number, periodMs = SWEEP_MS) {
    this.cap = cap
    this.periodMs = periodMs
  }

  get count(): number {
    return this.open.size
  }

  opened(f: OpenFile): void {
    this.open.add(f)
    if (this.cap > 0 && this.open.size > this.cap && this.timer === null) {
      this.timer = setInterval(() => this.sweep(), this.periodMs)
      this.timer.unref()
    }
  }

  closed(f: OpenFile): void {
    this.open.delete(f)
  }

  /**
   * Starts a new period; past the cap, closes the least recently used files not used during the
   * last full period and not pinned, until the cap is met. Returns how many it closed.
   */
  sweep(): number {
    this.stamp++
    if (this.cap === 0 || this.open.size <= this.cap) {
      this.stopTimer()
      return 0
    }
    const idle: OpenFile[] = []
    for (const f of this.open) if (f.pins === 0 && f.usedAt < this.stamp - 1) idle.push(f)
    idle.sort((a, b) => a.usedAt - b.usedAt)
    const excess = Math.min(idle.length, this.open.size - this.cap)
    for (let i = 0; i < excess; i++) {
      this.open.delete(idle[i])
      idle[i].closeIdle()
    }
    this.closedIdle += excess
    return excess
  }

  /** Stops the timer (broker shutdown, tests); a later open past the cap starts it again. */
  stopTimer(): void {
    if (this.timer !== null) clearInterval(this.timer)
    this.timer = null
  }
}

/** The process's bound: one process limit on descriptors, so one count for every log dir. */
export const openSegmentFiles = new OpenFiles(DEFAULT_MAX_OPEN_SEGMENT_FILES)
