// Client quotas at request time (Kafka's ClientQuotaManager and ClientRequestQuotaManager): every
// request of a client with a quota is measured, and a client over its quota is throttled as
// KIP-219 says: the response goes out at once carrying `throttle_time_ms`, and the broker then
// stops reading from that connection for that long (the dispatcher marks the response, the
// connection mutes itself after writing it).
//
// What is measured: Produce request bytes against producer_byte_rate, consumer Fetch response bytes
// against consumer_byte_rate (follower fetches are never throttled), and the time the broker spent
// building each response against request_percentage (as % of one thread; ApiVersions, SASL and
// inter-broker APIs are exempt, as in Kafka). When both a byte rate and the request rate are
// exceeded the larger throttle time is used. A throttled Fetch is answered empty and its bytes are
// taken back (Kafka does so). Request throttles are capped at one window, as Kafka caps them.
//
// Cost: with no quota configured `active` is false and the dispatcher does nothing. The quotas are
// replaced whole when the store changes (setQuotas); resolutions are cached per (user, client-id).

import { ApiKey } from '../protocol/generated/api-keys.ts'
import {
  CONSUMER_BYTE_RATE,
  entityKey,
  PRODUCER_BYTE_RATE,
  type QuotaEntry,
  REQUEST_PERCENTAGE,
  type ResolvedQuota,
  resolveQuota,
} from './quota-entity.ts'
import { DEFAULT_CLIENT_QUOTA_WINDOW, type QuotaWindowConfig, WindowedRate } from './quota-rate.ts'

/** One served request, as the dispatcher sees it. */
export interface ServedRequest {
  readonly apiKey: number
  readonly apiVersion: number
  /** The decoded request (Fetch: to tell a follower's fetch by its replica id). */
  readonly request: unknown
  /** Kafka principal, e.g. User:alice (User:ANONYMOUS when not authenticated). */
  readonly principal: string
  readonly clientId: string | null
  readonly requestBytes: number
  readonly responseBytes: number
  /** Time spent building the response (ms). */
  readonly handlerMs: number
}

/** APIs never charged to request_percentage. */
const EXEMPT: ReadonlySet<number> = new Set([
  ApiKey.ApiVersions,
  ApiKey.SaslHandshake,
  ApiKey.SaslAuthenticate,
  ApiKey.LeaderAndIsr,
  ApiKey.StopReplica,
  ApiKey.UpdateMetadata,
  ApiKey.ControlledShutdown,
  ApiKey.WriteTxnMarkers,
  ApiKey.AlterPartition,
])

/** Sensors unused for this long are dropped (Kafka expires quota sensors after an hour). */
const SENSOR_IDLE_MS = 3_600_000

export class ClientQuotaManager {
  private readonly window: QuotaWindowConfig
  private readonly now: () => number
  private entries = new Map<string, ReadonlyMap<string, number>>()
  private readonly resolved = new Map<string, ResolvedQuota | null>()
  private readonly sensors = new Map<string, WindowedRate>()
  private lastSweep = 0
  active = false

  constructor(now: () => number, window: QuotaWindowConfig = DEFAULT_CLIENT_QUOTA_WINDOW) {
    this.now = now
    this.window = window
  }

  /** Replaces every configured quota. */
  setQuotas(entries: readonly QuotaEntry[]): void {
    const m = new Map<string, ReadonlyMap<string, number>>()
    for (const e of entries) if (e.quotas.size > 0) m.set(entityKey(e.entity), e.quotas)
    this.entries = m
    this.resolved.clear()
    this.active = m.size > 0
  }

  /** The quota of `key` for a client (null: none), for tests and metrics. */
  quotaOf(key: string, user: string, clientId: string): ResolvedQuota | null {
    const k = `${key}\u0000${user}\u0000${clientId}`
    let r = this.resolved.get(k)
    if (r === undefined) {
      r = resolveQuota(this.entries, key, user, clientId)
      this.resolved.set(k, r)
    }
    return r
  }

  /** Records the request and returns the client's throttle time in ms (0: not throttled). */
  record(r: ServedRequest): number {
    if (!this.active) return 0
    const now = this.now()
    this.sweep(now)
    const user = userOf(r.principal)
    const client = r.clientId ?? ''
    let bytes = 0
    if (r.apiKey === ApiKey.Produce)
      bytes = this.charge(PRODUCER_BYTE_RATE, user, client, r.requestBytes, now)
    else if (r.apiKey === ApiKey.Fetch && !isFollowerFetch(r))
      bytes = this.charge(CONSUMER_BYTE_RATE, user, client, r.responseBytes, now)
    let request = 0
    if (!EXEMPT.has(r.apiKey) && !(r.apiKey === ApiKey.Fetch && isFollowerFetch(r))) {
      // Kafka records thread time as a percentage: 1 s of work in 1 s is 100 %.
      request = Math.min(
        this.charge(REQUEST_PERCENTAGE, user, client, r.handlerMs / 10, now),
        this.window.windowMs,
      )
    }
    return Math.max(bytes, request)
  }

  /** Takes back a Fetch's bytes (its response is replaced by an empty one). */
  unrecordFetch(r: ServedRequest): void {
    const q = this.quotaOf(CONSUMER_BYTE_RATE, userOf(r.principal), r.clientId ?? '')
    if (q !== null) this.sensors.get(q.sensor)?.unrecord(r.responseBytes, this.now())
  }

  private charge(key: string, user: string, client: string, value: number, now: number): number {
    const q = this.quotaOf(key, user, client)
    if (q === null) return 0
    let s = this.sensors.get(q.sensor)
    if (s === undefined) {
      s = new WindowedRate(this.window)
      this.sensors.set(q.sensor, s)
    }
    s.record(value, now)
    return s.throttleMs(q.bound, now)
  }

  private sweep(now: number): void {
    if (now - this.lastSweep < 60_000) return
    this.lastSweep = now
    for (const [k, s] of this.sensors) if (now - s.lastRecordMs > SENSOR_IDLE_MS) this.sensors.delete(k)
  }
}

/** `User:alice` → `alice` (the name quotas are set for). */
export function userOf(principal: string): string {
  const colon = principal.indexOf(':')
  return colon < 0 ? principal : principal.slice(colon + 1)
}

function isFollowerFetch(r: ServedRequest): boolean {
  const req = r.request as { replicaId?: number; replicaState?: { replicaId?: number } }
  const id = r.apiVersion >= 15 ? req.replicaState?.replicaId : req.replicaId
  return typeof id === 'number' && id >= 0
}
