// The broker's side of AlterPartition (KIP-497): partition leaders hand their ISR changes here and
// this sends them to the active controller, the way Kafka's AlterPartitionManager does.
//
// - At most one pending change per partition: a second submit while one is queued or in flight is
//   answered OPERATION_NOT_ATTEMPTED at once (the partition retries from the answer it gets).
// - Every pending change goes in one request; one request is in flight at a time. Changes submitted
//   meanwhile go in the next, sent as soon as the answer arrives.
// - The request is resent, unchanged, until a controller answers it: when no controller is known,
//   the connection fails or times out, or the answer carries NOT_CONTROLLER anywhere (top level or a
//   partition: the controller is deposed or behind), after `retryBackoffMs`, to the controller
//   looked up afresh. Kafka retries AlterPartition forever too.
// - Any other top-level error (STALE_BROKER_EPOCH after a re-registration, ...): every change stays
//   pending and goes out again after `retryBackoffMs`, rebuilt with the current broker epoch.
// - Per-partition answers complete their submitters: the new state, or the error code. A partition
//   the answer leaves out stays pending and goes out again.
// After shutdown() nothing more is sent and pending submits never complete (their partitions are
// being closed too).
//
// Version: 3 (topic ids, the ISR with broker epochs) when every change has a topic id, else 1
// (topic names). A partition's ISR members' broker epochs are -1 (not checked) unless known.

import { BrokerClient, type RequestSpec } from '../client/broker-client.ts'
import type { Clock, Timer } from '../common/clock.ts'
import { asBrokerId, type TopicName, type Uuid, ZERO_UUID } from '../common/ids.ts'
import type { Logger } from '../common/logger.ts'
import type { MetadataImage } from '../metadata/image.ts'
import { ErrorCode } from '../protocol/generated/error-codes.ts'
import {
  type AlterPartitionRequest,
  type AlterPartitionRequestTopicData,
  type AlterPartitionResponse,
  alterPartitionRequestCodec,
  alterPartitionResponseCodec,
} from '../protocol/generated/messages/alter-partition.ts'

export interface ControllerEndpoint {
  readonly id: number
  readonly host: string
  readonly port: number
}

export interface AlterPartitionItem {
  readonly topic: string
  /** ZERO_UUID when the topic has none (the request then names topics: v1). */
  readonly topicId: Uuid
  readonly partition: number
  readonly leaderEpoch: number
  /** The partition epoch (state znode version) the leader holds. */
  readonly partitionEpoch: number
  readonly newIsr: readonly number[]
  /** Broker epochs of newIsr members when known, else -1n (not checked by the controller). */
  readonly newIsrEpochs?: readonly bigint[]
  /** 0 recovered (default), 1 recovering from an unclean election (KIP-704). */
  readonly leaderRecoveryState?: number
}

export interface AlterPartitionOutcome {
  readonly errorCode: number
  /** The partition's state as the controller wrote it; -1 / [] with an error. */
  readonly leaderId: number
  readonly leaderEpoch: number
  readonly isr: readonly number[]
  readonly partitionEpoch: number
  readonly leaderRecoveryState: number
}

/** Sends one AlterPartition request at `version` to `target`; rejects on a connection failure. */
export type AlterPartitionSend = (
  target: ControllerEndpoint,
  request: AlterPartitionRequest,
  version: number,
) => Promise<AlterPartitionResponse>

export interface AlterPartitionManagerOptions {
  readonly brokerId: number
  /** This broker's current epoch (its registration's czxid). */
  readonly brokerEpoch: () => bigint
  /** The active controller's inter-broker endpoint, null when none is known. */
  readonly controller: () => ControllerEndpoint | null
  readonly clock: Clock
  readonly logger: Logger
  /** Wait before a resend. Default 100 ms (Kafka's retry.backoff.ms). */
  readonly retryBackoffMs?: number
  /** A request not answered within this is resent. Default 30 000 (controller.socket.timeout.ms). */
  readonly requestTimeoutMs?: number
  /** Seam for tests; default one BrokerClient to the controller. */
  readonly send?: AlterPartitionSend
}

export const ALTER_PARTITION_VERSION_BY_ID = 3
export const ALTER_PARTITION_VERSION_BY_NAME = 1

const notAttempted: AlterPartitionOutcome = {
  errorCode: ErrorCode.OPERATION_NOT_ATTEMPTED,
  leaderId: -1,
  leaderEpoch: -1,
  isr: [],
  partitionEpoch: -1,
  leaderRecoveryState: 0,
}

interface Pending {
  readonly key: string
  readonly item: AlterPartitionItem
  readonly resolve: (o: AlterPartitionOutcome) => void
}

const keyOf = (topic: string, partition: number): string => `${topic}\u0000${partition}`

/** The controller's endpoint on `listenerName` in an image (null when no controller is known). */
export function controllerEndpoint(image: MetadataImage, listenerName: string): ControllerEndpoint | null {
  const reg = image.brokers.get(image.controllerId)
  if (reg === undefined) return null
  const ep = reg.endpoints.find((e) => e.listenerName === listenerName) ?? reg.endpoints[0]
  return ep === undefined ? null : { id: reg.id, host: ep.host, port: ep.port }
}

export class AlterPartitionManager {
  private readonly o: AlterPartitionManagerOptions
  private readonly log: Logger
  private readonly backoffMs: number
  private readonly send: AlterPartitionSend
  /** Queued and in-flight changes by partition: removed only when answered. */
  private readonly pending = new Map<string, Pending>()
  private inFlight = false
  private stopped = false
  private retryTimer: Timer | null = null
  private sleeping: { timer: Timer; wake: () => void } | null = null
  private client: { key: string; client: BrokerClient } | null = null

  constructor(o: AlterPartitionManagerOptions) {
    this.o = o
    this.log = o.logger
    this.backoffMs = o.retryBackoffMs ?? 100
    this.send = o.send ?? ((target, request, version) => this.sendOverWire(target, request, version))
  }

  /** Queues an ISR change; resolves with the controller's answer for that partition. */
  submit(item: AlterPartitionItem): Promise<AlterPartitionOutcome> {
    const key = keyOf(item.topic, item.partition)
    if (this.pending.has(key)) {
      this.log.debug(`AlterPartition for ${item.topic}-${item.partition} already pending; not attempted`)
      return Promise.resolve(notAttempted)
    }
    return new Promise((resolve) => {
      this.pending.set(key, { key, item, resolve })
      this.maybeSend()
    })
  }

  /** Number of changes not yet answered (queued or in flight). */
  get pendingCount(): number {
    return this.pending.size
  }

  shutdown(): void {
    if (this.stopped) return
    this.stopped = true
    this.retryTimer?.cancel()
    this.retryTimer = null
    if (this.sleeping !== null) {
      this.sleeping.timer.cancel()
      this.sleeping.wake()
    }
    this.dropConnection()
  }

  private maybeSend(): void {
    if (this.stopped || this.inFlight || this.pending.size === 0) return
    this.inFlight = true
    void this.exchange([...this.pending.values()]).catch((e: unknown) => {
      this.log.error('AlterPartition exchange failed', e)
      this.inFlight = false
      this.scheduleRetry()
    })
  }

  /** Sends `items` until a controller answers, then completes what the answer settles. */
  private async exchange(items: readonly Pending[]): Promise<void> {
    const { request, version } = buildRequest(this.o.brokerId, this.o.brokerEpoch(), items)
    let res: AlterPartitionResponse | null = null
    while (!this.stopped && res === null) {
      const target = this.o.controller()
      if (target === null) {
        this.log.debug('AlterPartition: no controller known; waiting')
        await this.sleep()
        continue
      }
      try {
        const r = await this.send(target, request, version)
        if (mentionsNotController(r)) {
          this.log.info(`AlterPartition: broker ${target.id} is not the controller (any more); looking again`)
          this.dropConnection()
          await this.sleep()
        } else {
          res = r
        }
      } catch (e) {
        this.log.info(
          `AlterPartition to controller ${target.id} at ${target.host}:${target.port} failed: ${(e as Error).message}; retrying`,
        )
        this.dropConnection()
        await this.sleep()
      }
    }
    if (this.stopped || res === null) return
    this.inFlight = false
    if (res.errorCode !== ErrorCode.NONE) {
      this.log.warn(`AlterPartition answered with error ${res.errorCode}; retrying`)
      this.scheduleRetry()
      return
    }
    this.complete(items, res, version, request)
    this.maybeSend()
  }

  private complete(
    items: readonly Pending[],
    res: AlterPartitionResponse,
    version: number,
    request: AlterPartitionRequest,
  ): void {
    const namesById = new Map<string, string>()
    for (const t of request.topics) namesById.set(t.topicId, t.topicName)
    const answers = new Map<string, AlterPartitionOutcome>()
    for (const t of res.topics) {
      const topic = version >= 2 ? namesById.get(t.topicId) : t.topicName
      if (topic === undefined || topic === '') {
        this.log.warn(`AlterPartition answer names a topic not asked about (${t.topicId}); ignored`)
        continue
      }
      for (const p of t.partitions)
        answers.set(
          keyOf(topic, p.partitionIndex),
          p.errorCode === ErrorCode.NONE
            ? {
                errorCode: ErrorCode.NONE,
                leaderId: p.leaderId,
                leaderEpoch: p.leaderEpoch,
                isr: [...p.isr],
                partitionEpoch: p.partitionEpoch,
                leaderRecoveryState: p.leaderRecoveryState,
              }
            : { ...notAttempted, errorCode: p.errorCode },
        )
    }
    for (const it of items) {
      const answer = answers.get(it.key)
      if (answer === undefined) {
        this.log.warn(
          `AlterPartition answer left out ${it.item.topic}-${it.item.partition}; sending it again`,
        )
        continue
      }
      if (this.pending.get(it.key) === it) this.pending.delete(it.key)
      it.resolve(answer)
    }
  }

  private scheduleRetry(): void {
    if (this.stopped || this.retryTimer !== null) return
    this.retryTimer = this.o.clock.setTimeout(() => {
      this.retryTimer = null
      this.maybeSend()
    }, this.backoffMs)
  }

  private sleep(): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        this.sleeping = null
        resolve()
      }
      this.sleeping = { timer: this.o.clock.setTimeout(wake, this.backoffMs), wake }
    })
  }

  private sendOverWire(
    target: ControllerEndpoint,
    request: AlterPartitionRequest,
    version: number,
  ): Promise<AlterPartitionResponse> {
    const key = `${target.id}@${target.host}:${target.port}`
    if (this.client?.key !== key) {
      this.dropConnection()
      this.client = {
        key,
        client: new BrokerClient({
          host: target.host,
          port: target.port,
          clientId: `broker-${this.o.brokerId}-alter-partition`,
          requestTimeoutMs: this.o.requestTimeoutMs ?? 30_000,
          logger: this.log,
        }),
      }
    }
    return this.client.client.send(specOf(version), request)
  }

  private dropConnection(): void {
    this.client?.client.close()
    this.client = null
  }
}

function specOf(version: number): RequestSpec<AlterPartitionRequest, AlterPartitionResponse> {
  return { apiKey: 56, version, request: alterPartitionRequestCodec, response: alterPartitionResponseCodec }
}

/** Kafka's client resends on NOT_CONTROLLER anywhere in the answer (its error counts). */
function mentionsNotController(r: AlterPartitionResponse): boolean {
  return (
    r.errorCode === ErrorCode.NOT_CONTROLLER ||
    r.topics.some((t) => t.partitions.some((p) => p.errorCode === ErrorCode.NOT_CONTROLLER))
  )
}

/** One request for every pending change, grouped by topic (v3 by id when all have one, else v1). */
export function buildRequest(
  brokerId: number,
  brokerEpoch: bigint,
  items: readonly { readonly item: AlterPartitionItem }[],
): { request: AlterPartitionRequest; version: number } {
  const byId = items.every((p) => p.item.topicId !== ZERO_UUID)
  const version = byId ? ALTER_PARTITION_VERSION_BY_ID : ALTER_PARTITION_VERSION_BY_NAME
  const topics = new Map<string, AlterPartitionRequestTopicData>()
  for (const { item } of items) {
    let t = topics.get(item.topic)
    if (t === undefined) {
      // Both the name and the id are kept: the answer is matched by one or the other.
      t = { topicName: item.topic as TopicName, topicId: item.topicId, partitions: [] }
      topics.set(item.topic, t)
    }
    t.partitions.push({
      partitionIndex: item.partition,
      leaderEpoch: item.leaderEpoch,
      newIsr: byId ? [] : item.newIsr.map(asBrokerId),
      newIsrWithEpochs: byId
        ? item.newIsr.map((id, i) => ({
            brokerId: asBrokerId(id),
            brokerEpoch: item.newIsrEpochs?.[i] ?? -1n,
          }))
        : [],
      leaderRecoveryState: item.leaderRecoveryState ?? 0,
      partitionEpoch: item.partitionEpoch,
    })
  }
  return { request: { brokerId: asBrokerId(brokerId), brokerEpoch, topics: [...topics.values()] }, version }
}
