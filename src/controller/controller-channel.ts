// How the controller reaches brokers (Kafka's ControllerChannelManager). The controller only talks
// to the ControllerChannel interface, so its tests use an in-memory channel; NetworkControllerChannel
// is the real one over the internal wire client.
//
// Per broker, requests go out strictly in the order they were sent and one at a time (Kafka's
// RequestSendThread): a LeaderAndIsr must never overtake the UpdateMetadata queued before it. A
// request that fails to connect, loses its connection or times out is retried after a back-off,
// forever, until the broker is removed or the channel closed: then it (and everything queued
// behind it) rejects with a BrokerClientError CLOSED. Closing removes every broker; a controller
// that resigns closes its channel and adds brokers again if it is elected later. Other failures (a request that does not
// encode) reject that request only.

import { BrokerClient, BrokerClientError, type RequestSpec } from '../client/broker-client.ts'
import { type Clock, systemClock, type Timer } from '../common/clock.ts'
import { type Logger, silentLogger } from '../common/logger.ts'
import type { BrokerRegistration } from '../metadata/image.ts'

export interface ControllerChannel {
  /** Resolves with the broker's response; rejects once the broker is removed or the channel closed. */
  send<Req, Res>(brokerId: number, spec: RequestSpec<Req, Res>, body: Req): Promise<Res>
  /** Starts a queue for a broker (a re-registration at a new address replaces the old queue). */
  addBroker(reg: BrokerRegistration): void
  /** Drops a broker's queue: its queued and in-flight requests reject. */
  removeBroker(id: number): void
  /** Removes every broker (sends reject until brokers are added again). */
  close(): void
}

/** What the channel needs of a wire client (BrokerClient; a fake in tests). */
export interface ChannelClient {
  send<Req, Res>(spec: RequestSpec<Req, Res>, body: Req): Promise<Res>
  close(): void
}

export interface NetworkControllerChannelOptions {
  /** The client id in request headers. */
  readonly clientId: string
  /** Listener whose endpoint the controller connects to (inter.broker.listener.name). */
  readonly listenerName?: string
  readonly clock?: Clock
  readonly logger?: Logger
  /** Wait before resending after a connection failure (Kafka: 100 ms, retry.backoff.ms). */
  readonly retryBackoffMs?: number
  /** controller.socket.timeout.ms: 30 000. */
  readonly requestTimeoutMs?: number
  readonly connectTimeoutMs?: number
  /** Seam for tests; default a BrokerClient. */
  readonly createClient?: (host: string, port: number) => ChannelClient
}

const RETRIABLE = new Set(['CONNECT', 'DISCONNECTED', 'TIMEOUT'])

interface Item {
  readonly spec: RequestSpec<unknown, unknown>
  readonly body: unknown
  readonly resolve: (res: unknown) => void
  readonly reject: (err: Error) => void
}

interface BrokerQueue {
  readonly id: number
  readonly address: string
  readonly client: ChannelClient
  readonly items: Item[]
  running: boolean
  removed: boolean
  /** The pending back-off, cut short when the broker is removed. */
  backoff: { timer: Timer; wake: () => void } | null
}

export class NetworkControllerChannel implements ControllerChannel {
  private readonly opts: NetworkControllerChannelOptions
  private readonly listenerName: string
  private readonly clock: Clock
  private readonly log: Logger
  private readonly brokers = new Map<number, BrokerQueue>()

  constructor(opts: NetworkControllerChannelOptions) {
    this.opts = opts
    this.listenerName = (opts.listenerName ?? 'PLAINTEXT').toUpperCase()
    this.clock = opts.clock ?? systemClock
    this.log = opts.logger ?? silentLogger
  }

  send<Req, Res>(brokerId: number, spec: RequestSpec<Req, Res>, body: Req): Promise<Res> {
    const q = this.brokers.get(brokerId)
    if (q === undefined) {
      return Promise.reject(new BrokerClientError('CLOSED', `broker ${brokerId} is not in the channel`))
    }
    return new Promise<Res>((resolve, reject) => {
      q.items.push({
        spec: spec as RequestSpec<unknown, unknown>,
        body,
        resolve: resolve as (res: unknown) => void,
        reject,
      })
      void this.pump(q)
    })
  }

  addBroker(reg: BrokerRegistration): void {
    const ep = reg.endpoints.find((e) => e.listenerName === this.listenerName)
    const host = ep?.host ?? reg.host
    const port = ep?.port ?? reg.port
    const address = `${host}:${port}`
    const existing = this.brokers.get(reg.id)
    if (existing !== undefined) {
      if (existing.address === address) return
      this.removeBroker(reg.id)
    }
    if (ep === undefined)
      this.log.warn(`Broker ${reg.id} has no ${this.listenerName} endpoint; using ${address}`)
    const client =
      this.opts.createClient?.(host, port) ??
      new BrokerClient({
        host,
        port,
        clientId: this.opts.clientId,
        requestTimeoutMs: this.opts.requestTimeoutMs ?? 30_000,
        connectTimeoutMs: this.opts.connectTimeoutMs,
        logger: this.log,
      })
    this.brokers.set(reg.id, {
      id: reg.id,
      address,
      client,
      items: [],
      running: false,
      removed: false,
      backoff: null,
    })
  }

  removeBroker(id: number): void {
    const q = this.brokers.get(id)
    if (q === undefined) return
    this.brokers.delete(id)
    q.removed = true
    q.client.close()
    if (q.backoff !== null) {
      q.backoff.timer.cancel()
      q.backoff.wake()
    }
    const items = q.items.splice(0)
    for (const it of items)
      it.reject(new BrokerClientError('CLOSED', `broker ${id} was removed from the channel`))
  }

  close(): void {
    for (const id of [...this.brokers.keys()]) this.removeBroker(id)
  }

  /** Sends the head of the queue until it is answered, then the next; one pump per broker. */
  private async pump(q: BrokerQueue): Promise<void> {
    if (q.running) return
    q.running = true
    try {
      while (!q.removed && q.items.length > 0) {
        const it = q.items[0]!
        try {
          const res = await q.client.send(it.spec, it.body)
          if (q.removed) break
          q.items.shift()
          it.resolve(res)
        } catch (e) {
          if (q.removed) break
          if (e instanceof BrokerClientError && RETRIABLE.has(e.code)) {
            this.log.debug(
              `${it.spec.request.name} to broker ${q.id} at ${q.address} failed (${e.message}); retrying`,
            )
            await this.backoff(q)
            continue
          }
          q.items.shift()
          it.reject(e instanceof Error ? e : new Error(String(e)))
        }
      }
    } finally {
      q.running = false
    }
  }

  private backoff(q: BrokerQueue): Promise<void> {
    return new Promise<void>((resolve) => {
      const wake = () => {
        q.backoff = null
        resolve()
      }
      q.backoff = { timer: this.clock.setTimeout(wake, this.opts.retryBackoffMs ?? 100), wake }
    })
  }
}
