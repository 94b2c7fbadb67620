// Time as a seam. Everything that reads the time or waits goes through a Clock so tests can use a
// ManualClock and move time forward by hand (retention, segment roll by time, delete delays,
// session timeouts). Wall-clock milliseconds since the epoch, like Kafka's `time.milliseconds()`.

export interface Timer {
  /** Stops the timer; a no-op once it has fired or was cancelled. */
  cancel(): void
}

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number
  /**
   * Runs `fn` once after `ms` milliseconds. Timers of the system clock do not keep the process
   * alive (background work such as retention must never block exit).
   */
  setTimeout(fn: () => void, ms: number): Timer
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, Math.max(0, Math.min(ms, 2_147_483_647)))
    t.unref()
    return { cancel: () => clearTimeout(t) }
  },
}

/** Resolves after `ms` milliseconds of `clock` time. */
export function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimeout(resolve, ms))
}

interface ManualTimer {
  at: number
  seq: number
  fn: () => void
  live: boolean
}

/**
 * A clock that only moves when told. `advance` fires due timers in time order (timers scheduled
 * while firing fire too if due); `advanceAsync` also lets promise continuations and I/O callbacks
 * run between timers, for code whose timers start async work.
 */
export class ManualClock implements Clock {
  private time: number
  private seq = 0
  private timers: ManualTimer[] = []

  constructor(startMs = 1_700_000_000_000) {
    this.time = startMs
  }

  now(): number {
    return this.time
  }

  setTimeout(fn: () => void, ms: number): Timer {
    const t: ManualTimer = { at: this.time + Math.max(0, ms), seq: this.seq++, fn, live: true }
    this.timers.push(t)
    return {
      cancel: () => {
        t.live = false
      },
    }
  }

  /** Number of timers that have not fired or been cancelled. */
  pending(): number {
    return this.timers.filter((t) => t.live).length
  }

  /** Moves time forward by `ms`, firing due timers synchronously. */
  advance(ms: number): void {
    const target = this.time + ms
    for (let t = this.nextDue(target); t !== null; t = this.nextDue(target)) {
      this.time = Math.max(this.time, t.at)
      t.live = false
      t.fn()
    }
    this.time = target
  }

  /** Like advance, but yields to the event loop before and after each timer. */
  async advanceAsync(ms: number): Promise<void> {
    const target = this.time + ms
    await settle()
    for (let t = this.nextDue(target); t !== null; t = this.nextDue(target)) {
      this.time = Math.max(this.time, t.at)
      t.live = false
      t.fn()
      await settle()
    }
    this.time = target
  }

  private nextDue(limit: number): ManualTimer | null {
    this.timers = this.timers.filter((t) => t.live)
    let best: ManualTimer | null = null
    for (const t of this.timers) {
      if (t.at > limit) continue
      if (best === null || t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t
    }
    return best
  }
}

/** Lets pending promise jobs and immediate callbacks run (a few turns of the event loop). */
export async function settle(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((r) => setImmediate(r))
}
