// AlterPartitionReassignments (45) and ListPartitionReassignments (46), sent with
// @platformatic/kafka's own v0 implementations to the controller named in Metadata, as Kafka's
// admin client routes them. The client has no high-level call for them, so its low-level API
// objects are used on its own connections (framing, correlation, codec all third-party).
// NOT_CONTROLLER (the controller moved, or this broker's controller is not active yet) means ask
// Metadata again and retry, until the deadline.

import type * as Kafka from '@platformatic/kafka'
import { type KafkaModule, rawMetadata } from '../common/kafka.ts'

export interface AlterAnswer {
  errorCode: number
  errorMessage: string | null
  responses: {
    name: string
    partitions: { partitionIndex: number; errorCode: number; errorMessage: string | null }[]
  }[]
}

export interface ListAnswer {
  errorCode: number
  errorMessage: string | null
  topics: {
    name: string
    partitions: {
      partitionIndex: number
      replicas: number[]
      addingReplicas: number[]
      removingReplicas: number[]
    }[]
  }[]
}

export interface Ongoing {
  topic: string
  partition: number
  replicas: number[]
  adding: number[]
  removing: number[]
}

const NOT_CONTROLLER = 41
/** How long the controller may take, as Kafka's admin client's default api timeout. */
export const REQUEST_TIMEOUT_MS = 60000

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function callback<T>(fn: (cb: (e: Error | null, v?: T) => void) => void): Promise<T> {
  return new Promise((ok, fail) => fn((e, v) => (e ? fail(e) : ok(v as T))))
}

/** The library rejects an answer that carries any error code; the decoded answer rides on it. */
async function answerOf<T>(p: Promise<unknown>): Promise<T> {
  try {
    return (await p) as T
  } catch (e) {
    const response = (e as { response?: unknown } | null)?.response
    if (response !== undefined && response !== null && typeof response === 'object') return response as T
    throw e
  }
}

export class ControllerApi {
  private readonly k: KafkaModule
  private readonly admin: Kafka.Admin
  private readonly retryDelayMs: number

  constructor(k: KafkaModule, admin: Kafka.Admin, retryDelayMs = 200) {
    this.k = k
    this.admin = admin
    this.retryDelayMs = retryDelayMs
  }

  alter(
    targets: readonly { topic: string; partition: number; replicas: number[] | null }[],
  ): Promise<AlterAnswer> {
    const topics = new Map<string, { partitionIndex: number; replicas: number[] | null }[]>()
    for (const t of targets) {
      const list = topics.get(t.topic) ?? []
      list.push({ partitionIndex: t.partition, replicas: t.replicas })
      topics.set(t.topic, list)
    }
    const body = [...topics].map(([name, partitions]) => ({ name, partitions }))
    return this.toController<AlterAnswer>(
      (c) => this.k.alterPartitionReassignmentsV0.api.async(c, REQUEST_TIMEOUT_MS, true, body as never),
      (r) => r.errorCode,
    )
  }

  /** The partitions being reassigned among `partitions` (null: all), sorted. */
  async list(partitions: readonly { topic: string; partition: number }[] | null): Promise<Ongoing[]> {
    let body: { name: string; partitionIndexes: number[] }[] | null = null
    if (partitions !== null) {
      const topics = new Map<string, number[]>()
      for (const p of partitions) topics.set(p.topic, [...(topics.get(p.topic) ?? []), p.partition])
      body = [...topics].map(([name, partitionIndexes]) => ({ name, partitionIndexes }))
    }
    const r = await this.toController<ListAnswer>(
      (c) => this.k.listPartitionReassignmentsV0.api.async(c, REQUEST_TIMEOUT_MS, body as never),
      (a) => a.errorCode,
    )
    if (r.errorCode !== 0) throw new ApiError(this.k, r.errorCode, r.errorMessage)
    return r.topics
      .flatMap((t) =>
        t.partitions.map((p) => ({
          topic: t.name,
          partition: p.partitionIndex,
          replicas: p.replicas,
          adding: p.addingReplicas,
          removing: p.removingReplicas,
        })),
      )
      .sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition))
  }

  private async toController<T>(
    send: (c: Kafka.Connection) => Promise<unknown>,
    code: (r: T) => number,
  ): Promise<T> {
    const deadline = Date.now() + REQUEST_TIMEOUT_MS
    for (;;) {
      const md = await rawMetadata(this.admin, [])
      const controller = md.brokers.find((b) => b.nodeId === md.controllerId)
      if (controller !== undefined) {
        const connection = await callback<Kafka.Connection>((cb) =>
          this.admin[this.k.kGetConnection]({ host: controller.host, port: controller.port }, cb),
        )
        const r = await answerOf<T>(send(connection))
        if (code(r) !== NOT_CONTROLLER) return r
      }
      if (Date.now() + this.retryDelayMs >= deadline)
        throw new ApiError(this.k, NOT_CONTROLLER, 'Timed out waiting for the controller')
      await sleep(this.retryDelayMs)
    }
  }
}

/** An error code from the broker, named as the Java client names it. */
export class ApiError extends Error {
  readonly errorName: string
  constructor(k: KafkaModule, code: number, message: string | null) {
    const name = k.protocolErrorsCodesById[code] ?? 'UNKNOWN_SERVER_ERROR'
    super(message ?? k.protocolErrors[name]?.message ?? `Error code ${code}`)
    this.name = 'ApiError'
    this.errorName = name
  }
}
