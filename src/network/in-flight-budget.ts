// The bytes of requests being served, over all connections of a SocketServer (the idea of Kafka's
// queued.max.request.bytes). Each connection already bounds its own requests (maxInFlight) and
// stops reading while its socket cannot take more response bytes (slow consumers); this bounds the
// sum, so that many producers writing to a slow disk hold at most `limit` bytes of requests plus
// one frame per connection, whatever the load. When the budget is spent, connections stop reading
// after their current frame; they are resumed when answered requests give bytes back.

export class InFlightBudget {
  readonly limit: number
  private used = 0
  private readonly waiting = new Set<() => void>()

  constructor(limit: number) {
    this.limit = limit
  }

  get bytes(): number {
    return this.used
  }

  get exhausted(): boolean {
    return this.used >= this.limit
  }

  take(n: number): void {
    this.used += n
  }

  give(n: number): void {
    this.used -= n
    if (this.used < this.limit && this.waiting.size > 0) {
      const resume = [...this.waiting]
      this.waiting.clear()
      for (const fn of resume) fn()
    }
  }

  /** Calls `fn` once the budget is no longer exhausted (connections waiting to read). */
  whenAvailable(fn: () => void): void {
    this.waiting.add(fn)
  }

  cancel(fn: () => void): void {
    this.waiting.delete(fn)
  }
}
