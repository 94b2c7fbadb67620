// The internal topic a coordinator lives on (__consumer_offsets, __transaction_state,
// __share_group_state): created on first need, and followed — a partition this broker now leads is
// loaded into the coordinator runtime, one it follows or no longer hosts is unloaded (its requests
// then answer NOT_COORDINATOR). The three coordinators share this one piece.

import type { Clock, Timer } from '../../common/clock.ts'
import type { Logger } from '../../common/logger.ts'
import type { MetadataImage } from '../../metadata/image.ts'
import type { LocalReplicaChanges } from '../../metadata/local-changes.ts'
import type { CreateTopicRequest, MetadataStore } from '../../metadata/store.ts'
import { ErrorCode } from '../../protocol/generated/error-codes.ts'

/** How long a creation waits for the new topic to reach this broker's image before going on. */
export const TOPIC_READY_WAIT_MS = 5000

/** What this needs of the coordinator runtime. */
export interface LoadedPartitions {
  load(partition: number): Promise<unknown>
  unload(partition: number): void
  partitionIds(): number[]
}

export interface InternalTopicParams {
  readonly name: string
  /** The topic to create (read at creation: configs may change meanwhile). */
  readonly spec: () => CreateTopicRequest
  readonly metadata: Pick<MetadataStore, 'image' | 'createTopics'>
  readonly runtime: LoadedPartitions
  readonly clock: Clock
  readonly logger: Logger
}

export class InternalTopic {
  private readonly p: InternalTopicParams
  /** The creation in progress (concurrent callers share it). */
  private creating: Promise<number> | null = null
  /** Whether the image already holds the topic; until then creators wait for it. */
  private seenTopic = false
  private readonly topicWaiters: (() => void)[] = []

  constructor(p: InternalTopicParams) {
    this.p = p
  }

  get exists(): boolean {
    return this.p.metadata.image().topics.has(this.p.name)
  }

  /**
   * Creates the topic unless it exists. Resolves with NONE, or the error the creation failed with
   * (e.g. INVALID_REPLICATION_FACTOR while too few brokers are alive). After a creation it waits
   * (up to TOPIC_READY_WAIT_MS) for the new partitions to be loaded here, so that the requests
   * that follow find their coordinator ready rather than NOT_COORDINATOR.
   */
  ensure(): Promise<number> {
    if (this.exists) return Promise.resolve(ErrorCode.NONE)
    this.creating ??= this.create().finally(() => {
      this.creating = null
    })
    return this.creating
  }

  private async create(): Promise<number> {
    const { name, logger } = this.p
    const [r] = await this.p.metadata.createTopics([this.p.spec()])
    if (r.errorCode === ErrorCode.NONE) logger.info(`Created ${name} with ${r.numPartitions} partitions`)
    else if (r.errorCode !== ErrorCode.TOPIC_ALREADY_EXISTS) {
      logger.warn(`Creating ${name} failed: ${r.errorMessage ?? r.errorCode}`)
      return r.errorCode
    }
    if (!this.seenTopic) {
      let timer: Timer | null = null
      await Promise.race([
        new Promise<void>((resolve) => this.topicWaiters.push(resolve)),
        new Promise<void>((resolve) => {
          timer = this.p.clock.setTimeout(resolve, TOPIC_READY_WAIT_MS)
        }),
      ])
      ;(timer as Timer | null)?.cancel()
    }
    await this.loaded()
    return ErrorCode.NONE
  }

  /** Follows the topic's leadership for one metadata change (as the replica manager computed it). */
  onLocalChanges(changes: LocalReplicaChanges, image: MetadataImage): void {
    const { name, runtime } = this.p
    for (const r of changes.removals) if (r.topic.name === name) runtime.unload(r.partition)
    for (const f of changes.followers) if (f.topic.name === name) runtime.unload(f.partition.partition)
    for (const l of changes.leaders) if (l.topic.name === name) void runtime.load(l.partition.partition)
    this.seenTopic = image.topics.has(name)
    if (this.seenTopic) for (const w of this.topicWaiters.splice(0)) w()
  }

  /** Resolves once every partition being loaded has finished. */
  async loaded(): Promise<void> {
    const { runtime } = this.p
    await Promise.all(runtime.partitionIds().map((p) => runtime.load(p)))
  }
}
