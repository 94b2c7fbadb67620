// Per-API request metrics under Kafka's RequestMetrics names as the JMX exporter's usual rules
// print them (kafka_network_requestmetrics_*, label `request` = the API name). The dispatcher
// reports each served request once (server/dispatcher.ts RequestObserver); the slots of an API are
// looked up by api key in an array, so a request costs one counter and six histogram updates.
//
// Times are in milliseconds, as Kafka's: total = from the frame reaching the dispatcher to its
// response encoded (the socket write, Kafka's response-send time, is not included); local = the
// time the handler ran on the event loop before it returned; remote = the rest of total, the
// time the request waited asynchronously (log write, acks=all replication, fetch long-poll,
// coordinator writes). Kafka's "remote" covers only the purgatory wait, so our remote includes the
// produce write that Kafka counts as local. Throttle = the time a client quota muted the
// connection after this response (KIP-219; 0 when not throttled). Fetches are also recorded as
// FetchConsumer or FetchFollower, as Kafka does. Kafka's request queue and response queue times
// have no counterpart here (a frame is dispatched the moment it is complete, and the response is
// written by the same event loop).

import type { RequestObserver } from '../server/dispatcher.ts'
import {
  type CounterSlot,
  FastCounter,
  FastHistogram,
  type HistogramSlot,
  SIZE_BUCKETS,
  TIME_MS_BUCKETS,
} from './fast-metrics.ts'

const FETCH = 1

interface ApiSlots {
  readonly name: string
  readonly versions: (CounterSlot | undefined)[]
  readonly total: HistogramSlot
  readonly local: HistogramSlot
  readonly remote: HistogramSlot
  readonly throttle: HistogramSlot
  readonly requestBytes: HistogramSlot
  readonly responseBytes: HistogramSlot
}

export class RequestMetrics implements RequestObserver {
  readonly requests = new FastCounter(
    'kafka_network_requestmetrics_requests_total',
    'Requests served, by API name and version (Kafka RequestsPerSec).',
  )
  readonly totalTime = new FastHistogram(
    'kafka_network_requestmetrics_totaltimems',
    'Time from a request reaching the dispatcher to its response encoded, in ms (Kafka TotalTimeMs, without the socket write).',
    TIME_MS_BUCKETS,
  )
  readonly localTime = new FastHistogram(
    'kafka_network_requestmetrics_localtimems',
    'Time the handler ran on the event loop before returning, in ms (Kafka LocalTimeMs).',
    TIME_MS_BUCKETS,
  )
  readonly remoteTime = new FastHistogram(
    'kafka_network_requestmetrics_remotetimems',
    'Time a request waited asynchronously (log write, replication, long-poll, coordinator writes), in ms (Kafka RemoteTimeMs, broader).',
    TIME_MS_BUCKETS,
  )
  readonly throttleTime = new FastHistogram(
    'kafka_network_requestmetrics_throttletimems',
    'Time a client quota muted the connection after the response, in ms (Kafka ThrottleTimeMs; 0 when not throttled).',
    TIME_MS_BUCKETS,
  )
  readonly requestBytes = new FastHistogram(
    'kafka_network_requestmetrics_requestbytes',
    'Request sizes in bytes (Kafka RequestBytes).',
    SIZE_BUCKETS,
  )
  readonly responseBytes = new FastHistogram(
    'kafka_network_requestmetrics_responsebytes',
    'Response sizes in bytes (Samsa extension; acks=0 produce requests have none).',
    SIZE_BUCKETS,
  )
  private readonly byKey: (ApiSlots | undefined)[] = []
  private fetchConsumer: ApiSlots | null = null
  private fetchFollower: ApiSlots | null = null

  readonly families = [
    this.requests,
    this.totalTime,
    this.localTime,
    this.remoteTime,
    this.throttleTime,
    this.requestBytes,
    this.responseBytes,
  ] as const

  observe(
    api: string,
    apiKey: number,
    apiVersion: number,
    req: unknown,
    requestBytes: number,
    result: Buffer[] | null,
    started: number,
    syncMs: number,
  ): void {
    const total = performance.now() - started
    const local = syncMs < 0 ? total : syncMs
    let responseBytes = -1
    const throttle = (result as { muteMs?: number } | null)?.muteMs ?? 0
    if (result !== null) {
      responseBytes = 0
      for (let i = 0; i < result.length; i++) responseBytes += result[i].length
    }
    const slots = this.byKey[apiKey] ?? this.slotsOf(api, apiKey)
    this.record(slots, apiVersion, total, local, throttle, requestBytes, responseBytes)
    if (apiKey === FETCH) {
      const follower = fetchReplicaId(req, apiVersion) >= 0
      this.record(this.fetchSlots(follower), apiVersion, total, local, throttle, requestBytes, responseBytes)
    }
  }

  private record(
    s: ApiSlots,
    version: number,
    total: number,
    local: number,
    throttle: number,
    requestBytes: number,
    responseBytes: number,
  ): void {
    const v = s.versions[version] ?? this.versionSlot(s, version)
    v.value++
    s.total.observe(total)
    s.local.observe(local)
    s.remote.observe(total - local)
    s.throttle.observe(throttle)
    s.requestBytes.observe(requestBytes)
    if (responseBytes >= 0) s.responseBytes.observe(responseBytes)
  }

  private fetchSlots(follower: boolean): ApiSlots {
    if (follower) {
      if (this.fetchFollower === null) this.fetchFollower = this.newSlots('FetchFollower')
      return this.fetchFollower
    }
    if (this.fetchConsumer === null) this.fetchConsumer = this.newSlots('FetchConsumer')
    return this.fetchConsumer
  }

  private slotsOf(api: string, apiKey: number): ApiSlots {
    const s = this.newSlots(api)
    this.byKey[apiKey] = s
    return s
  }

  private newSlots(name: string): ApiSlots {
    const labels = { request: name }
    return {
      name,
      versions: [],
      total: this.totalTime.slot(name, labels),
      local: this.localTime.slot(name, labels),
      remote: this.remoteTime.slot(name, labels),
      throttle: this.throttleTime.slot(name, labels),
      requestBytes: this.requestBytes.slot(name, labels),
      responseBytes: this.responseBytes.slot(name, labels),
    }
  }

  private versionSlot(s: ApiSlots, version: number): CounterSlot {
    const slot = this.requests.slot(`${s.name}/${version}`, { request: s.name, version: String(version) })
    s.versions[version] = slot
    return slot
  }
}

/** A Fetch request's replica id (v15+ carry it in replicaState); -1 for consumers. */
function fetchReplicaId(req: unknown, version: number): number {
  const r = req as { replicaId?: number; replicaState?: { replicaId: number } }
  return version >= 15 ? (r.replicaState?.replicaId ?? -1) : (r.replicaId ?? -1)
}
