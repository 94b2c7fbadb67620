// Bounded concurrency for work over many items (thousands of partitions): awaiting each item in
// turn leaves the event loop idle while one file operation at a time crosses the thread pool;
// starting them all at once floods it and holds every item's buffers at the same time. A few
// dozen in flight keeps the pool busy.

/** Runs `fn` over `items` with at most `limit` calls in flight; rejects with the first failure. */
export async function forEachBounded<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<unknown>,
): Promise<void> {
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++
      await fn(items[i], i)
    }
  }
  const n = Math.max(1, Math.min(limit, items.length))
  await Promise.all(Array.from({ length: n }, worker))
}

/**
 * Waits for every one of `work` to end, failed or not, then rejects with the first failure: a
 * caller that gives up at the first failure would leave the others running behind its back.
 */
export async function allEnded(work: readonly Promise<unknown>[]): Promise<void> {
  const failed = (await Promise.allSettled(work)).find((r) => r.status === 'rejected')
  if (failed !== undefined) throw failed.reason
}

/**
 * Runs a task one at a time, and lets callers that arrive while a run is still queued (not yet
 * started) share it: the run reads the state when it starts, so it covers every change its callers
 * made before calling. Thousands of callers then cost one run, not thousands (directory fsyncs,
 * checkpoint files).
 */
export class Coalescer {
  private queued: Promise<void> | null = null
  private tail: Promise<unknown> = Promise.resolve()

  run(task: () => Promise<void>): Promise<void> {
    if (this.queued !== null) return this.queued
    const p = this.tail.then(() => {
      this.queued = null
      return task()
    })
    this.queued = p
    this.tail = p.catch(() => {})
    return p
  }

  /** Resolves when every run requested so far has finished. */
  idle(): Promise<void> {
    return this.tail.then(() => undefined)
  }
}

/** At most `limit` holders at once; the rest wait in arrival order. */
export class Semaphore {
  private free: number
  private readonly waiting: (() => void)[] = []

  constructor(limit: number) {
    this.free = limit
  }

  async use<T>(fn: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free--
    else await new Promise<void>((r) => this.waiting.push(r))
    try {
      return await fn()
    } finally {
      const next = this.waiting.shift()
      if (next !== undefined) next()
      else this.free++
    }
  }
}
