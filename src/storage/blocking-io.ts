// When the storage layer writes or reads on the event loop instead of through the thread pool.
//
// Writes: an append's bytes are a produce request body the event loop has just read from the
// socket and checksummed, so they sit in this core's cache. Written through the thread pool,
// another core pulls them over and the loop pays a hand-off and a wake-up per write; into the page
// cache the write is only a copy: on the 2-core bench VM, writing 1 MiB buffers just filled into
// tmpfs cost ~0.2 CPU-s per GiB blocking against ~0.3 through the thread pool, and kperf produce
// 1 KiB went up 6-11 % (docs/performance.md).
//
// Reads: a read-ahead (read-ahead.ts) of at most 1 MiB is read after the answer that started it
// has been written, while the client takes its round trip; from the page cache it is a copy, and
// through the thread pool the same copy paid a hand-off, a wake-up of the pool thread and another
// of the loop when it landed, and it landed late: kperf consume went up 5-11 %, the
// broker's CPU per MiB about the same in all (docs/performance.md, "Side by side, session 11").
// So is a read of at most 64 KiB, a caught-up reader's (log-read.ts, BLOCKING_READ_MAX), which
// waits for nothing else: through the pool its hand-off and two wake-ups were on the fetch's
// critical path (docs/performance.md, "Side by side, session 16").
//
// The risk is I/O that does not go at memory speed: the kernel throttling a writer when dirty
// pages pile up on a slow disk (balance_dirty_pages sleeps), a full page cache, a read of bytes
// no longer cached, a network file system. A blocking call then stalls every connection. So each
// one is timed, and one slower than a page-cache copy of its size could be (SLOW_BASE_MS plus
// SLOW_MS_PER_MIB per MiB) is a slow call; once slow calls ending within SLOW_WINDOW_MS of the
// first have held the event loop for more than STALL_BUDGET_MS in all, the following ones go
// through the thread pool for BACKOFF_MS; after that blocking calls are tried again. A slow device
// thus stalls the loop for at most ~STALL_BUDGET_MS (plus the call that crossed it) per back-off
// period, for writes and for reads each (one policy each: cold reads say nothing about the page
// cache's writes).
//
// What is not a slow device, measured on the 2-core bench VM (docs/performance.md, "Partition
// count", session 18): a copy into memory the host must back again (pages freed by a deleted topic
// go back to it) runs at ~250-400 MB/s, 1 MiB in 3-4 ms, hence 8 ms per MiB and not 1; and a write
// during which the vCPU was descheduled takes 3-10 ms whatever its size, several times a minute
// under load, now and then two within a second. Under the old rule (two slow calls within 1 s,
// 1 ms per MiB) either kept writes on the thread pool for much of `npm run bench -- partitions`;
// with this one no back-off came in a run of 445,000 blocking writes, and the broker's CPU per MiB
// fell 8-17 % (two runs of each alternating: one partition 857-886 → 921-955 MiB/s).

/** A blocking call longer than this plus SLOW_MS_PER_MIB per MiB counts as slow. */
export const SLOW_BASE_MS = 2
export const SLOW_MS_PER_MIB = 8
/** How long calls go through the thread pool after slow calls used up STALL_BUDGET_MS. */
export const BACKOFF_MS = 5000
/** Slow calls ending this close to the first one are counted together. */
export const SLOW_WINDOW_MS = 1000
/** The time slow calls within SLOW_WINDOW_MS may hold the event loop before the back-off. */
export const STALL_BUDGET_MS = 50

export class BlockingIo {
  private readonly now: () => number
  /** performance.now()-style ms until which calls use the thread pool; 0: blocking allowed. */
  private asyncUntil = 0
  /** When the first slow call of the current window was; -Infinity: none. */
  private windowStart = Number.NEGATIVE_INFINITY
  /** ms the slow calls of the current window took. */
  private stalled = 0
  /** Counters (tests, benchmarks). */
  blocking = 0
  slow = 0
  backoffs = 0

  constructor(now: () => number = () => performance.now()) {
    this.now = now
  }

  /** May the next call block? */
  allowed(): boolean {
    if (this.asyncUntil === 0) return true
    if (this.now() < this.asyncUntil) return false
    this.asyncUntil = 0
    return true
  }

  /** A blocking call of `bytes` took `ms`. */
  took(ms: number, bytes: number): void {
    this.blocking++
    if (ms <= SLOW_BASE_MS + (SLOW_MS_PER_MIB * bytes) / (1 << 20)) return
    this.slow++
    const now = this.now()
    if (now - this.windowStart > SLOW_WINDOW_MS) {
      this.windowStart = now
      this.stalled = 0
    }
    this.stalled += ms
    if (this.stalled <= STALL_BUDGET_MS) return
    this.windowStart = Number.NEGATIVE_INFINITY
    this.asyncUntil = now + BACKOFF_MS
    this.backoffs++
  }
}

/** One policy per kind for the process: a slow device slows every log on it. */
export const blockingWrites = new BlockingIo()
export const blockingReads = new BlockingIo()
