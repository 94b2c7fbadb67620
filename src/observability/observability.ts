// Metrics and health for one broker, started only when samsa.http.listeners is set: one
// prom-client Registry (per broker, so brokers embedded in one process do not mix), the request,
// topic and connection counters the data path updates, the gauges computed at scrape, prom-client's
// default process metrics (heap, RSS, GC pause histogram, event-loop delay), the event loop's idle
// ratio, and the HTTP listener. broker/broker.ts creates it before anything else starts (so /healthz
// and /readyz answer during startup), then attaches the broker's parts as they come up.

import { type EventLoopUtilization, performance } from 'node:perf_hooks'
import { collectDefaultMetrics, Registry } from 'prom-client'
import type { Uuid } from '../common/ids.ts'
import type { Logger } from '../common/logger.ts'
import type { HttpListener } from '../config/broker-defs-http.ts'
import type { MetadataImage } from '../metadata/image.ts'
import { BrokerGauges, type BrokerView } from './broker-gauges.ts'
import { ConnectionMetrics } from './connection-metrics.ts'
import { FastCounter, register, ScrapedMetric } from './fast-metrics.ts'
import { HttpListenerServer } from './http-server.ts'
import { isrChanges } from './isr-changes.ts'
import { Readiness } from './readiness.ts'
import { RequestMetrics } from './request-metrics.ts'
import { TopicMetrics } from './topic-metrics.ts'

export class Observability {
  readonly registry = new Registry()
  readonly requests = new RequestMetrics()
  readonly topics: TopicMetrics
  readonly connections = new ConnectionMetrics()
  readonly readiness = new Readiness()
  private readonly gauges = new BrokerGauges()
  private readonly isrShrinks = new FastCounter(
    'kafka_server_replicamanager_isrshrinks_total',
    'ISR shrinks of partitions led here (Kafka IsrShrinksPerSec).',
  )
  private readonly isrExpands = new FastCounter(
    'kafka_server_replicamanager_isrexpands_total',
    'ISR expands of partitions led here (Kafka IsrExpandsPerSec).',
  )
  private readonly http: HttpListenerServer
  private view: BrokerView | null = null
  private lastElu: EventLoopUtilization = performance.eventLoopUtilization()
  private idleRatio = 1

  private constructor(log: Logger) {
    this.topics = new TopicMetrics((id: Uuid) => this.topicName(id))
    collectDefaultMetrics({ register: this.registry })
    const families = [
      ...this.requests.families,
      ...this.topics.families,
      ...this.connections.families,
      ...this.gauges.families,
      this.isrShrinks,
      this.isrExpands,
      new ScrapedMetric(
        'kafka_network_socketserver_networkprocessoravgidlepercent',
        "Fraction of time the event loop (Samsa's network and request thread) was idle since the last scrape.",
        'gauge',
        () => [{ value: this.idleRatio }],
      ),
    ]
    for (const f of families) register(this.registry, f)
    // Both series exist from the start, at 0.
    this.isrShrinks.slot('', {})
    this.isrExpands.slot('', {})
    this.http = new HttpListenerServer(
      {
        metrics: () => this.scrape(),
        notReadyReason: () => this.readiness.notReadyReason(),
      },
      log,
    )
  }

  /** Binds the HTTP listener; the broker's start line reports `address`. */
  static async start(listener: HttpListener, log: Logger): Promise<Observability> {
    const o = new Observability(log)
    await o.http.listen(listener.host, listener.port)
    return o
  }

  get address(): { host: string; port: number } {
    return this.http.address
  }

  /** `http://host:port` for the start line. */
  get url(): string {
    const { host, port } = this.address
    return `http://${host.includes(':') ? `[${host}]` : host}:${port}`
  }

  /** The running broker's parts, once they exist. */
  attach(view: BrokerView): void {
    this.view = view
    this.gauges.attach(view)
  }

  /** Counts the ISR changes between consecutive metadata images (subscribe to the store). */
  onImage(prev: MetadataImage, next: MetadataImage, nodeId: number): void {
    const c = isrChanges(prev, next, nodeId)
    if (c.shrinks > 0) this.isrShrinks.slot('', {}).value += c.shrinks
    if (c.expands > 0) this.isrExpands.slot('', {}).value += c.expands
  }

  private topicName(id: Uuid): string | null {
    return this.view?.image().topicsById.get(id)?.name ?? null
  }

  private async scrape(): Promise<{ contentType: string; body: string }> {
    const now = performance.eventLoopUtilization()
    const elu = performance.eventLoopUtilization(now, this.lastElu)
    this.lastElu = now
    this.idleRatio = Number.isFinite(elu.utilization) ? 1 - elu.utilization : 1
    const view = this.view
    if (view !== null) {
      const image = view.image()
      this.topics.retain((t) => image.topics.has(t))
    }
    this.gauges.refresh()
    return { contentType: this.registry.contentType, body: spellNaN(await this.registry.metrics()) }
  }

  async close(): Promise<void> {
    this.readiness.markStopping()
    this.connections.close()
    await this.http.close()
  }
}

/**
 * prom-client writes a NaN sample as `Nan` (the event-loop lag gauges are NaN when a scrape follows
 * the previous one before the delay histogram took a sample). The exposition format's token is
 * `NaN`; Prometheus reads either, stricter parsers (OpenMetrics) only `NaN`.
 */
export function spellNaN(text: string): string {
  return text.includes(' Nan') ? text.replace(/ Nan$/gm, ' NaN') : text
}
