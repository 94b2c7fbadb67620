// Producer performance statistics, as Kafka's ProducerPerformance keeps them: totals, a window
// printed every reporting interval, and latency percentiles from a sample of at most ~500,000
// latencies (every n-th record). Lines, word for word:
//
//   50000 records sent, 9998.0 records/sec (9.76 MB/sec), 3.2 ms avg latency, 55.0 ms max latency.
//   100000 records sent, 9999.0 records/sec (9.76 MB/sec), 3.11 ms avg latency, 55.00 ms max latency, 2 ms 50th, 6 ms 95th, 12 ms 99th, 40 ms 99.9th.

import { fixed } from '../common/format.ts'

export class ProducerStats {
  private readonly start: number
  private readonly latencies: Int32Array
  private readonly sampling: number
  private readonly reportingInterval: number
  private readonly now: () => number
  private readonly print: (line: string) => void
  iteration = 0
  private index = 0
  count = 0
  bytes = 0
  private maxLatency = 0
  private totalLatency = 0
  private windowCount = 0
  private windowMaxLatency = 0
  private windowTotalLatency = 0
  private windowBytes = 0
  private windowStart: number

  constructor(
    numRecords: number,
    reportingInterval: number,
    print: (line: string) => void,
    now: () => number = Date.now,
  ) {
    this.now = now
    this.start = now()
    this.windowStart = this.start
    this.sampling = Math.max(1, Math.floor(numRecords / Math.min(numRecords, 500000)))
    this.latencies = new Int32Array(Math.floor(numRecords / this.sampling) + 1)
    this.reportingInterval = reportingInterval
    this.print = print
  }

  /** One acknowledged record. */
  record(latency: number, bytes: number, time: number): void {
    this.count++
    this.bytes += bytes
    this.totalLatency += latency
    this.maxLatency = Math.max(this.maxLatency, latency)
    this.windowCount++
    this.windowBytes += bytes
    this.windowTotalLatency += latency
    this.windowMaxLatency = Math.max(this.windowMaxLatency, latency)
    if (this.iteration % this.sampling === 0 && this.index < this.latencies.length) {
      this.latencies[this.index++] = latency
    }
    this.iteration++
    if (time - this.windowStart >= this.reportingInterval) {
      this.printWindow()
      this.newWindow()
    }
  }

  printWindow(): void {
    const elapsed = this.now() - this.windowStart
    const recsPerSec = (1000 * this.windowCount) / elapsed
    const mbPerSec = (1000 * this.windowBytes) / elapsed / (1024 * 1024)
    this.print(
      `${this.windowCount} records sent, ${fixed(recsPerSec, 1)} records/sec (${fixed(mbPerSec, 2)} MB/sec), ` +
        `${fixed(this.windowTotalLatency / this.windowCount, 1)} ms avg latency, ${fixed(this.windowMaxLatency, 1)} ms max latency.`,
    )
  }

  private newWindow(): void {
    this.windowStart = this.now()
    this.windowCount = 0
    this.windowMaxLatency = 0
    this.windowTotalLatency = 0
    this.windowBytes = 0
  }

  printTotal(): void {
    const elapsed = this.now() - this.start
    const recsPerSec = (1000 * this.count) / elapsed
    const mbPerSec = (1000 * this.bytes) / elapsed / (1024 * 1024)
    const [p50, p95, p99, p999] = percentiles(this.latencies, this.index, [0.5, 0.95, 0.99, 0.999])
    this.print(
      `${this.count} records sent, ${fixed(recsPerSec, 1)} records/sec (${fixed(mbPerSec, 2)} MB/sec), ` +
        `${fixed(this.totalLatency / this.count, 2)} ms avg latency, ${fixed(this.maxLatency, 2)} ms max latency, ` +
        `${p50} ms 50th, ${p95} ms 95th, ${p99} ms 99th, ${p999} ms 99.9th.`,
    )
  }
}

/** Kafka's percentile pick: sort the sample, take element floor(p * size). */
export function percentiles(latencies: Int32Array, count: number, ps: readonly number[]): number[] {
  const size = Math.min(count, latencies.length)
  const sorted = latencies.slice(0, size).sort()
  return ps.map((p) => (size === 0 ? 0 : sorted[Math.min(size - 1, Math.floor(p * size))]))
}

/** Kafka's ThroughputThrottler: sleeps so that sends stay near `throughput` per second. */
export class Throttler {
  private readonly targetThroughput: number
  private readonly startMs: number
  private readonly sleepTimeNs: number
  private sleepDeficitNs = 0

  constructor(targetThroughput: number, startMs: number) {
    this.targetThroughput = targetThroughput
    this.startMs = startMs
    this.sleepTimeNs = targetThroughput > 0 ? 1e9 / targetThroughput : Number.POSITIVE_INFINITY
  }

  shouldThrottle(amountSoFar: number, sendStartMs: number): boolean {
    if (this.targetThroughput < 0) return false
    const elapsedSec = (sendStartMs - this.startMs) / 1000
    return elapsedSec > 0 && amountSoFar / elapsedSec > this.targetThroughput
  }

  /** Milliseconds to sleep now (0 for none); throughput 0 means "pause for ever" in Kafka. */
  throttleMs(): number {
    if (this.targetThroughput === 0) return Number.POSITIVE_INFINITY
    this.sleepDeficitNs += this.sleepTimeNs
    if (this.sleepDeficitNs >= 2_000_000) {
      const ms = Math.floor(this.sleepDeficitNs / 1e6)
      this.sleepDeficitNs = 0
      return ms
    }
    return 0
  }
}
