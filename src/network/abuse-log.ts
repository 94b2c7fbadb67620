// Rate-limited logging of what misbehaving peers do: malformed or unknown requests, refused
// frames, failed TLS handshakes, connections over max.connections. Each event closes a connection
// (or refuses one), which is cheap for a client to repeat: one WARN line per event let two clients
// sending random frames write 84,000 lines in 100 s. Now the first event from a source address is
// logged in full, later ones from that address are only counted, and every `intervalMs` one line
// per address says how many there were (with the last message). An address quiet for a whole
// interval is forgotten, so its next event is logged in full again. Counters are kept for metrics
// (abuseCounters()).

import type { Logger } from '../common/logger.ts'

/** What a Connection needs to report a misbehaving peer. */
export interface PeerReporter {
  report(source: string, message: string): void
}

export interface AbuseCounters {
  /** Every event reported. */
  events: number
  /** Events logged in full (first from a source in an interval). */
  logged: number
  /** Events only counted. */
  suppressed: number
}

const totals: AbuseCounters = { events: 0, logged: 0, suppressed: 0 }

/** Process-wide counts since start, over every AbuseLog (for metrics). */
export function abuseCounters(): Readonly<AbuseCounters> {
  return { ...totals }
}

interface Source {
  /** Events counted but not logged since the last summary. */
  suppressed: number
  last: string
}

/** Addresses tracked at once; beyond this, new addresses share one bucket (memory stays bounded). */
const MAX_SOURCES = 10_000
const OTHER = 'other addresses'

export class AbuseLog implements PeerReporter {
  private readonly log: Logger
  private readonly sources = new Map<string, Source>()
  private readonly timer: NodeJS.Timeout
  private readonly intervalMs: number
  readonly counters: AbuseCounters = { events: 0, logged: 0, suppressed: 0 }

  constructor(log: Logger, intervalMs = 60_000) {
    this.log = log
    this.intervalMs = intervalMs
    this.timer = setInterval(() => this.summarise(), intervalMs)
    this.timer.unref()
  }

  report(source: string, message: string): void {
    this.counters.events++
    totals.events++
    const key = this.sources.has(source) || this.sources.size < MAX_SOURCES ? source : OTHER
    const known = this.sources.get(key)
    if (known !== undefined) {
      known.suppressed++
      known.last = message
      this.counters.suppressed++
      totals.suppressed++
      return
    }
    this.sources.set(key, { suppressed: 0, last: message })
    this.counters.logged++
    totals.logged++
    this.log.warn(
      `${message} (further events from ${key} are counted and summarised every ${this.intervalMs / 1000} s)`,
    )
  }

  /** One line per source with events counted since the last summary; forgets quiet sources. */
  summarise(): void {
    for (const [key, s] of this.sources) {
      if (s.suppressed === 0) {
        this.sources.delete(key)
        continue
      }
      this.log.warn(
        `${s.suppressed} more malformed, refused or failed connections from ${key} in the last ${this.intervalMs / 1000} s (last: ${s.last})`,
      )
      s.suppressed = 0
    }
  }

  stop(): void {
    clearInterval(this.timer)
    this.summarise()
  }
}
