// Runs async tasks one at a time, in submission order: the single writer of a log (appends,
// rolls, truncation, retention, segment swaps) and the writer of a directory's checkpoints.
// A failed task rejects its own promise only; the queue carries on.

export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve()
  private depth = 0

  run<T>(task: () => Promise<T>): Promise<T> {
    this.depth++
    const p = this.tail.then(task)
    this.tail = p.then(
      () => this.depth--,
      () => this.depth--,
    )
    return p
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
