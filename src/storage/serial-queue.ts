// Runs async tasks one at a time, in submission order: the single writer of a log (appends,
// rolls, truncation, retention, segment swaps) and the writer of a directory's checkpoints.
// A failed task rejects its own promise only; the queue carries on.
// runNow is for the append hot path: an idle queue runs the task at once, and a task that finishes
// synchronously costs no promise (thousands of partitions appended to by one request); adopt is the
// same without the task's closure.

/** Shared starting point: one promise per queue adds up over thousands of idle logs. */
const IDLE: Promise<unknown> = Promise.resolve()

export class SerialQueue {
  private tail: Promise<unknown> = IDLE
  private depth = 0

  run<T>(task: () => Promise<T>): Promise<T> {
    const p = this.tail.then(task)
    this.track(p)
    return p
  }

  /**
   * Like run, but when nothing is queued or running the task starts now, and a task that returns a
   * plain value returns it (no promise). A task that throws synchronously gives a rejected promise,
   * as run would: callers have one error path.
   */
  runNow<T>(task: () => T | Promise<T>): T | Promise<T> {
    if (this.depth > 0) return this.run(async () => task())
    let r: T | Promise<T>
    try {
      r = task()
    } catch (err) {
      return Promise.reject(err)
    }
    return this.adopt(r)
  }

  /**
   * For a hot path that runs its task itself when the queue is idle (`size` 0) instead of handing
   * runNow a closure: a promise the task returned becomes the queue's last task, as under runNow.
   * The caller turns a synchronous throw into a rejected promise, as runNow does.
   */
  adopt<T>(r: T | Promise<T>): T | Promise<T> {
    if (r instanceof Promise) this.track(r)
    return r
  }

  /** `p` is the queue's last task until it settles. */
  private track(p: Promise<unknown>): void {
    this.depth++
    // Back to the shared IDLE when the last task settles: an idle queue holds no promise of its own.
    const settled = (): void => {
      this.depth--
      if (this.tail === next) this.tail = IDLE
    }
    const next: Promise<unknown> = p.then(settled, settled)
    this.tail = next
  }

  /** Tasks queued or running. */
  get size(): number {
    return this.depth
  }

  /** Resolves when everything queued so far has finished. */
  idle(): Promise<void> {
    return this.tail.then(() => undefined)
  }
}
