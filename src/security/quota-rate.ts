// The windowed rate behind client quotas, with Kafka's semantics (its Rate over SampledStat):
// `quota.window.num` samples (default 11) of `quota.window.size.seconds` each (default 1 s). A
// value goes into the current sample; a sample older than one window closes and a new one starts
// at the time of the next value; samples older than num × size are dropped. The rate is the sum of
// the kept samples over the time since the oldest one began, but never over less than num − 1
// whole windows (so a new client is measured over 10 s and may burst up to 10 s of its quota at
// first, as in Kafka).
//
// Throttle time when a value makes the rate exceed the bound (Kafka's QuotaUtils.throttleTime):
// (rate − bound) / bound × window size, i.e. how long the client must stay silent for the rate
// over the (then longer) window to fall back to the bound. The value is recorded even when it
// violates the quota; `unrecord` takes it back (a throttled Fetch is answered empty and its bytes
// are not counted, as Kafka does).

export interface QuotaWindowConfig {
  /** quota.window.num */
  readonly samples: number
  /** quota.window.size.seconds × 1000 */
  readonly windowMs: number
}

export const DEFAULT_CLIENT_QUOTA_WINDOW: QuotaWindowConfig = Object.freeze({ samples: 11, windowMs: 1000 })

interface Sample {
  start: number
  value: number
}

export class WindowedRate {
  private readonly samples: number
  private readonly windowMs: number
  /** Oldest first; at most `samples`. */
  private readonly kept: Sample[] = []
  /** Last time a value was recorded (for dropping idle sensors). */
  lastRecordMs = 0

  constructor(window: QuotaWindowConfig = DEFAULT_CLIENT_QUOTA_WINDOW) {
    this.samples = Math.max(2, Math.floor(window.samples))
    this.windowMs = Math.max(1, Math.floor(window.windowMs))
  }

  record(value: number, now: number): void {
    this.purge(now)
    this.lastRecordMs = now
    const last = this.kept[this.kept.length - 1]
    if (last !== undefined && now - last.start < this.windowMs) {
      last.value += value
      return
    }
    this.kept.push({ start: now, value })
    if (this.kept.length > this.samples) this.kept.shift()
  }

  /** Takes back a value recorded at about `now` (from the newest sample). */
  unrecord(value: number, now: number): void {
    this.purge(now)
    const last = this.kept[this.kept.length - 1]
    if (last !== undefined) last.value -= value
  }

  /** Length in ms of the window the rate is measured over at `now`. */
  windowSize(now: number): number {
    this.purge(now)
    const oldest = this.kept[0]?.start ?? now
    let elapsed = now - oldest
    const full = Math.floor(elapsed / this.windowMs)
    const minFull = this.samples - 1
    if (full < minFull) elapsed += (minFull - full) * this.windowMs
    return elapsed
  }

  /** Units per second. */
  rate(now: number): number {
    const size = this.windowSize(now)
    let total = 0
    for (const s of this.kept) total += s.value
    return (total * 1000) / size
  }

  /** 0 when the rate is within `bound`, else the throttle time in ms (Kafka's formula). */
  throttleMs(bound: number, now: number): number {
    const rate = this.rate(now)
    if (rate <= bound) return 0
    if (bound <= 0) return this.windowSize(now)
    return Math.round(((rate - bound) / bound) * this.windowSize(now))
  }

  private purge(now: number): void {
    const expire = this.samples * this.windowMs
    while (this.kept.length > 0 && now - this.kept[0]!.start >= expire) this.kept.shift()
  }
}
