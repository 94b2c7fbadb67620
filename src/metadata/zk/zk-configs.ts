// Topic and dynamic broker configs in ZooKeeper mode: /config/topics/<t> and /config/brokers/<id>
// (and /config/brokers/<default>), kept current on every broker through Kafka's change
// notifications: whoever changes an entity's config writes its znode and then adds a sequential
// /config/changes/config_change_<n> naming it; every broker watches /config/changes and reloads the
// named entities of the notifications it has not processed yet, and deletes those older than 15
// minutes as Kafka's brokers do (change-notifications.ts).

import type { Logger } from '../../common/logger.ts'
import type { BrokerConfigsImage } from '../image.ts'
import {
  DEFAULT_NOTIFICATION_EXPIRY,
  type NotificationExpiry,
  purgeExpiredNotifications,
} from './change-notifications.ts'
import type { ZkClient } from './zk-client.ts'
import {
  decodeConfigChange,
  decodeEntityConfig,
  encodeConfigChange,
  encodeEntityConfig,
  ZkPaths,
} from './znodes.ts'

const EMPTY: ReadonlyMap<string, string> = new Map()
const DEFAULT_ENTITY = '<default>'

export class ZkConfigs {
  private readonly zk: ZkClient
  private readonly logger: Logger
  private readonly onChange: () => void
  private readonly topics = new Map<string, ReadonlyMap<string, string>>()
  private brokerConfigs: BrokerConfigsImage = Object.freeze({ clusterDefault: EMPTY, perBroker: new Map() })
  /** Sequence number of the last processed notification. */
  private lastSeq = -1
  private closed = false
  private readonly expiry: NotificationExpiry
  /** The purge running: one at a time. */
  private purging: Promise<number> | null = null

  constructor(
    zk: ZkClient,
    logger: Logger,
    onChange: () => void,
    expiry: NotificationExpiry = DEFAULT_NOTIFICATION_EXPIRY,
  ) {
    this.zk = zk
    this.logger = logger
    this.onChange = onChange
    this.expiry = expiry
  }

  /** Loads every broker config and starts following notifications. */
  async start(): Promise<void> {
    const brokerEntities = (await this.zk.getChildren(ZkPaths.configBrokers)) ?? []
    for (const e of brokerEntities) await this.reloadBroker(e)
    await this.processNotifications(true)
  }

  /** After a new session: the watch is gone; catch up on the notifications missed meanwhile. */
  resume(): Promise<void> {
    return this.processNotifications(false)
  }

  close(): void {
    this.closed = true
  }

  topic(name: string): ReadonlyMap<string, string> {
    return this.topics.get(name) ?? EMPTY
  }

  hasTopic(name: string): boolean {
    return this.topics.has(name)
  }

  brokers(): BrokerConfigsImage {
    return this.brokerConfigs
  }

  /** Reads a topic's overrides (a topic seen for the first time). */
  async loadTopic(name: string): Promise<void> {
    const got = await this.zk.getData(ZkPaths.configTopic(name))
    this.topics.set(name, got === null ? EMPTY : decodeEntityConfig(got.data))
  }

  forgetTopic(name: string): void {
    this.topics.delete(name)
  }

  /** Writes a topic's complete overrides and notifies every broker. */
  async writeTopic(name: string, configs: ReadonlyMap<string, string>): Promise<void> {
    await this.writeEntity(ZkPaths.configTopic(name), configs)
    this.topics.set(name, configs)
    await this.notify(`topics/${name}`)
  }

  /** Writes a new topic's overrides without a notification (the topic is new to every broker). */
  async writeTopicQuietly(name: string, configs: ReadonlyMap<string, string>): Promise<void> {
    await this.writeEntity(ZkPaths.configTopic(name), configs)
    this.topics.set(name, configs)
  }

  /** Writes a broker's (null: the cluster default's) dynamic configs and notifies every broker. */
  async writeBroker(id: number | null, configs: ReadonlyMap<string, string>): Promise<void> {
    await this.writeEntity(ZkPaths.configBroker(id), configs)
    this.setBroker(id, configs)
    await this.notify(`brokers/${id === null ? DEFAULT_ENTITY : id}`)
  }

  private async writeEntity(path: string, configs: ReadonlyMap<string, string>): Promise<void> {
    const data = encodeEntityConfig(configs)
    try {
      await this.zk.setData(path, data)
    } catch (e) {
      if ((e as { code?: string }).code !== 'NO_NODE') throw e
      await this.zk.create(path, data, 'persistent')
    }
  }

  private async notify(entityPath: string): Promise<void> {
    await this.zk.create(ZkPaths.configChangePrefix, encodeConfigChange(entityPath), 'persistent_sequential')
  }

  private setBroker(id: number | null, configs: ReadonlyMap<string, string>): void {
    let clusterDefault = this.brokerConfigs.clusterDefault
    const perBroker = new Map(this.brokerConfigs.perBroker)
    if (id === null) clusterDefault = configs
    else if (configs.size === 0) perBroker.delete(id)
    else perBroker.set(id, configs)
    this.brokerConfigs = Object.freeze({ clusterDefault, perBroker })
  }

  private async reloadBroker(entity: string): Promise<void> {
    const id = entity === DEFAULT_ENTITY ? null : Number(entity)
    if (id !== null && !Number.isInteger(id)) return
    const got = await this.zk.getData(ZkPaths.configBroker(id))
    this.setBroker(id, got === null ? EMPTY : decodeEntityConfig(got.data))
  }

  private async processNotifications(initial: boolean): Promise<void> {
    if (this.closed) return
    const children =
      (await this.zk.getChildren(ZkPaths.configChanges, () => {
        this.processNotifications(false).catch((e) =>
          this.logger.error('processing config changes failed', e),
        )
      })) ?? []
    const fresh = children
      .map((c) => ({ name: c, seq: Number(c.slice(c.lastIndexOf('_') + 1)) }))
      .filter((c) => Number.isInteger(c.seq) && c.seq > this.lastSeq)
      .sort((a, b) => a.seq - b.seq)
    let changed = false
    for (const c of fresh) {
      this.lastSeq = c.seq
      // At startup every config is loaded anyway: old notifications only move the cursor.
      if (initial) continue
      const got = await this.zk.getData(`${ZkPaths.configChanges}/${c.name}`)
      const entity = decodeConfigChange(got?.data ?? null)
      if (entity === null) continue
      if (entity.entityType === 'topics') {
        if (this.topics.has(entity.entityName)) await this.loadTopic(entity.entityName)
        changed = true
      } else if (entity.entityType === 'brokers') {
        await this.reloadBroker(entity.entityName)
        changed = true
      }
    }
    if (changed) this.onChange()
    if (this.purging === null && children.length > 0)
      this.purging = purgeExpiredNotifications(
        this.zk,
        ZkPaths.configChanges,
        children,
        this.expiry,
        this.logger,
      ).finally(() => {
        this.purging = null
      })
  }
}
