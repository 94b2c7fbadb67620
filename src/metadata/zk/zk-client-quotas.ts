// Client quotas in ZooKeeper mode, Kafka's layout: /config/users/<user>, /config/clients/<client>
// and /config/users/<user>/clients/<client> hold {"version":1,"config":{"producer_byte_rate":"1048576"}}
// (`<default>` for a default entity, names sanitized), and each change adds a /config/changes
// notification naming the entity path, as Kafka's ConfigCommand does, so Kafka's tools and brokers
// see the same quotas. A user's znode also holds the SCRAM credentials (zk-user-configs.ts): only
// the quota keys are changed, with a version-checked write so a concurrent credential change is
// never lost. Every broker watches /config/changes and reloads the quotas when a users/ or
// clients/ entity changed.

import type { Logger } from '../../common/logger.ts'
import {
  type ClientQuotaStore,
  entityPath,
  QUOTA_CONFIG_KEYS,
  quotaString,
  quotasOf,
  type StoredQuotaEntity,
  type StoredQuotaEntry,
} from '../client-quota-store.ts'
import { Serial } from '../config-map-file.ts'
import { desanitizeEntityName } from '../user-config-store.ts'
import type { ZkClient } from './zk-client.ts'
import {
  decodeConfigChange,
  decodeEntityConfig,
  encodeConfigChange,
  encodeEntityConfig,
  ZkPaths,
} from './znodes.ts'

const DEFAULT = '<default>'
const nameFrom = (n: string): string | null => (n === DEFAULT ? null : desanitizeEntityName(n))

export class ZkClientQuotaStore implements ClientQuotaStore {
  private readonly zk: ZkClient
  private readonly log: Logger
  private readonly serial = new Serial()

  constructor(zk: ZkClient, log: Logger) {
    this.zk = zk
    this.log = log
  }

  private async quotasAt(path: string): Promise<Map<string, number>> {
    const got = await this.zk.getData(path)
    return got === null ? new Map() : quotasOf(decodeEntityConfig(got.data))
  }

  async list(): Promise<StoredQuotaEntry[]> {
    const out: StoredQuotaEntry[] = []
    const add = (entity: StoredQuotaEntity, quotas: Map<string, number>) => {
      if (quotas.size > 0) out.push({ entity, quotas })
    }
    for (const u of (await this.zk.getChildren('/config/users')) ?? []) {
      const user = nameFrom(u)
      add({ user }, await this.quotasAt(`/config/users/${u}`))
      for (const c of (await this.zk.getChildren(`/config/users/${u}/clients`)) ?? [])
        add({ user, clientId: nameFrom(c) }, await this.quotasAt(`/config/users/${u}/clients/${c}`))
    }
    for (const c of (await this.zk.getChildren('/config/clients')) ?? [])
      add({ clientId: nameFrom(c) }, await this.quotasAt(`/config/clients/${c}`))
    return out
  }

  alter(
    entity: StoredQuotaEntity,
    set: ReadonlyMap<string, number>,
    remove: readonly string[],
  ): Promise<void> {
    return this.serial.run(async () => {
      const rel = entityPath(entity)
      const path = `/config/${rel}`
      for (;;) {
        const got = await this.zk.getData(path)
        const config = got === null ? new Map<string, string>() : decodeEntityConfig(got.data)
        for (const k of remove) if (QUOTA_CONFIG_KEYS.has(k)) config.delete(k)
        for (const [k, v] of set) config.set(k, quotaString(k, v))
        const data = encodeEntityConfig(config)
        try {
          if (got === null) {
            await this.zk.mkdirp(path.slice(0, path.lastIndexOf('/')))
            await this.zk.create(path, data, 'persistent')
          } else await this.zk.setData(path, data, got.stat.version)
          break
        } catch (e) {
          const code = (e as { code?: string }).code
          if (code !== 'BAD_VERSION' && code !== 'NODE_EXISTS' && code !== 'NO_NODE') throw e
        }
      }
      await this.zk.create(ZkPaths.configChangePrefix, encodeConfigChange(rel), 'persistent_sequential')
    })
  }

  watch(fn: () => void): () => void {
    let stopped = false
    let lastSeq = -1
    const seqOf = (name: string) => Number(name.slice(name.lastIndexOf('_') + 1))
    const poll = async (initial: boolean): Promise<void> => {
      if (stopped) return
      const children =
        (await this.zk.getChildren(ZkPaths.configChanges, () => {
          poll(false).catch((e) => this.log.warn(`watching client quota changes failed: ${e}`))
        })) ?? []
      let changed = false
      for (const c of children.sort((a, b) => seqOf(a) - seqOf(b))) {
        const seq = seqOf(c)
        if (!Number.isInteger(seq) || seq <= lastSeq) continue
        lastSeq = seq
        if (initial) continue
        const got = await this.zk.getData(`${ZkPaths.configChanges}/${c}`)
        const change = decodeConfigChange(got?.data ?? null)
        if (change !== null && (change.entityType === 'users' || change.entityType === 'clients'))
          changed = true
      }
      if (changed && !stopped) fn()
    }
    poll(true).catch((e) => this.log.warn(`watching client quota changes failed: ${e}`))
    return () => {
      stopped = true
    }
  }
}
