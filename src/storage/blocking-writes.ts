// When a segment append writes on the event loop instead of through the thread pool.
//
// Why: an append's bytes are a produce request body the event loop has just read from the socket
// and checksummed, so they sit in this core's cache. Written through the thread pool, another core
// pulls them over and the loop pays a hand-off and a wake-up per write; into the page cache the
// write is only a copy: on the 2-core bench VM, writing 1 MiB buffers just filled into tmpfs cost
// ~0.2 CPU-s per GiB blocking against ~0.3 through the thread pool, and kperf produce 1 KiB went
// up 6-11 % (docs/performance.md).
//
// The risk is a write that does not go at memory speed: the kernel throttling a writer when dirty
// pages pile up on a slow disk (balance_dirty_pages sleeps), a full page cache, a network file
// system. A blocking write then stalls every connection. So each blocking write is timed, and a
// second one slower than a page-cache copy of its size could be (SLOW_BASE_MS plus SLOW_MS_PER_MIB
// per MiB) within SLOW_WINDOW_MS of the first sends the following writes through the thread pool for
// BACKOFF_MS; after that blocking writes are tried again. A slow device thus costs at most two
// stalled writes per back-off period. One slow write alone is not enough: on the bench VM about one
// small write in 100,000 took over 2 ms (the vCPU descheduled, not the device), and backing off on
// each kept a request of 1 KiB batches to 1,000 partitions on the thread pool most of the time
// (87 against 121 MiB/s).

/** A blocking write longer than this plus SLOW_MS_PER_MIB per MiB counts as slow. */
export const SLOW_BASE_MS = 2
export const SLOW_MS_PER_MIB = 1
/** How long writes go through the thread pool after two slow blocking ones. */
export const BACKOFF_MS = 5000
/** Two slow writes this close together mean a slow device. */
export const SLOW_WINDOW_MS = 1000

export class BlockingWrites {
  private readonly now: () => number
  /** performance.now()-style ms until which writes use the thread pool; 0: blocking allowed. */
  private asyncUntil = 0
  /** When the last slow write that did not start a back-off was; -Infinity: none. */
  private lastSlow = Number.NEGATIVE_INFINITY
  /** Counters (tests, benchmarks). */
  blocking = 0
  slow = 0

  constructor(now: () => number = () => performance.now()) {
    this.now = now
  }

  /** May the next write block? */
  allowed(): boolean {
    if (this.asyncUntil === 0) return true
    if (this.now() < this.asyncUntil) return false
    this.asyncUntil = 0
    return true
  }

  /** A blocking write of `bytes` took `ms`. */
  took(ms: number, bytes: number): void {
    this.blocking++
    if (ms <= SLOW_BASE_MS + (SLOW_MS_PER_MIB * bytes) / (1 << 20)) return
    this.slow++
    const now = this.now()
    if (now - this.lastSlow > SLOW_WINDOW_MS) {
      this.lastSlow = now
      return
    }
    this.lastSlow = Number.NEGATIVE_INFINITY
    this.asyncUntil = now + BACKOFF_MS
  }
}

/** One policy for the process: a slow device slows every log on it. */
export const blockingWrites = new BlockingWrites()
