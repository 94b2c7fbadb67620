// ACLs in ZooKeeper, Kafka's layout (what Kafka's AclAuthorizer and kafka-acls.sh read and write):
//   /kafka-acl/<ResourceType>/<name>                     literal patterns (and `*`)
//   /kafka-acl-extended/prefixed/<ResourceType>/<name>   prefixed patterns
// each = {"version":1,"acls":[{"principal":"User:alice","permissionType":"Allow","operation":"Read","host":"*"}]}
// (ResourceType as `Topic`, `Group`, `Cluster`, `TransactionalId`, `DelegationToken`). Every change
// adds a sequential notification, `/kafka-acl-changes/acl_changes_<n>` = `<ResourceType>:<name>` for
// literal patterns and `/kafka-acl-extended-changes/acl_changes_<n>` =
// {"version":1,"resourceType":"Topic","name":"t","patternType":"PREFIXED"} for prefixed ones; every
// broker watches both and reloads. A reload reads every ACL znode (ACL changes are rare, reads are
// few) rather than trusting each notification, so a missed watch (new session) loses nothing.
// Each time a broker sees the notifications it deletes those older than 15 minutes, as Kafka's
// brokers do (change-notifications.ts).

import { type Logger, silentLogger } from '../../common/logger.ts'
import {
  type AclEntry,
  PatternType,
  parseResourceType,
  patternKey,
  type ResourcePattern,
  resourceZkName,
} from '../../security/acl-types.ts'
import { type AclStore, decodeAcls, encodeAcls, type ResourceAcls } from '../acl-store.ts'
import { Serial } from '../config-map-file.ts'
import {
  DEFAULT_NOTIFICATION_EXPIRY,
  type NotificationExpiry,
  purgeExpiredNotifications,
} from './change-notifications.ts'
import type { ZkClient } from './zk-client.ts'

export const AclZkPaths = {
  literal: '/kafka-acl',
  prefixed: '/kafka-acl-extended/prefixed',
  literalChanges: '/kafka-acl-changes',
  extendedChanges: '/kafka-acl-extended-changes',
} as const

export function aclZnode(p: ResourcePattern): string {
  const root = p.patternType === PatternType.PREFIXED ? AclZkPaths.prefixed : AclZkPaths.literal
  return `${root}/${resourceZkName(p.resourceType)}/${p.name}`
}

export function aclChangeNotification(p: ResourcePattern): { path: string; data: Buffer } {
  if (p.patternType === PatternType.PREFIXED)
    return {
      path: `${AclZkPaths.extendedChanges}/acl_changes_`,
      data: Buffer.from(
        JSON.stringify({
          version: 1,
          resourceType: resourceZkName(p.resourceType),
          name: p.name,
          patternType: 'PREFIXED',
        }),
      ),
    }
  return {
    path: `${AclZkPaths.literalChanges}/acl_changes_`,
    data: Buffer.from(`${resourceZkName(p.resourceType)}:${p.name}`),
  }
}

export class ZkAclStore implements AclStore {
  private readonly zk: ZkClient
  private readonly serial = new Serial()
  private readonly listeners = new Set<() => void>()
  private watching = false
  private closed = false
  /** Watch chains of an older session stop re-arming themselves once a new session armed its own. */
  private generation = 0
  private readonly expiry: NotificationExpiry
  private readonly logger: Logger
  /** The purge running, per notification path: one at a time each. */
  private readonly purging = new Map<string, Promise<number>>()

  constructor(zk: ZkClient, opts: { readonly expiry?: NotificationExpiry; readonly logger?: Logger } = {}) {
    this.zk = zk
    this.expiry = opts.expiry ?? DEFAULT_NOTIFICATION_EXPIRY
    this.logger = opts.logger ?? silentLogger
  }

  /** Resolves when the purges started so far are done (for tests). */
  async purged(): Promise<void> {
    await Promise.all(this.purging.values())
  }

  async loadAll(): Promise<Map<string, ResourceAcls>> {
    const out = new Map<string, ResourceAcls>()
    for (const [root, patternType] of [
      [AclZkPaths.literal, PatternType.LITERAL],
      [AclZkPaths.prefixed, PatternType.PREFIXED],
    ] as const) {
      for (const typeName of (await this.zk.getChildren(root)) ?? []) {
        const resourceType = parseResourceType(typeName)
        if (resourceType === null) continue
        for (const name of (await this.zk.getChildren(`${root}/${typeName}`)) ?? []) {
          const got = await this.zk.getData(`${root}/${typeName}/${name}`)
          const acls = decodeAcls(got?.data ?? null)
          const pattern = { resourceType, patternType, name }
          if (acls.length > 0) out.set(patternKey(pattern), { pattern, acls })
        }
      }
    }
    return out
  }

  update(
    pattern: ResourcePattern,
    change: (acls: readonly AclEntry[]) => AclEntry[],
  ): Promise<readonly AclEntry[]> {
    return this.serial.run(async () => {
      const path = aclZnode(pattern)
      // Another broker (or Kafka's tool) may write the same znode: retry on a version conflict.
      for (;;) {
        const got = await this.zk.getData(path)
        const acls = change(decodeAcls(got?.data ?? null))
        try {
          if (got === null) {
            if (acls.length === 0) return acls
            await this.zk.mkdirp(path.slice(0, path.lastIndexOf('/')))
            await this.zk.create(path, encodeAcls(acls), 'persistent')
          } else if (acls.length === 0) await this.zk.delete(path, got.stat.version)
          else await this.zk.setData(path, encodeAcls(acls), got.stat.version)
        } catch (e) {
          const code = (e as { code?: string }).code
          if (code === 'BAD_VERSION' || code === 'NODE_EXISTS' || code === 'NO_NODE') continue
          throw e
        }
        const n = aclChangeNotification(pattern)
        await this.zk.mkdirp(n.path.slice(0, n.path.lastIndexOf('/')))
        await this.zk.create(n.path, n.data, 'persistent_sequential')
        return acls
      }
    })
  }

  watch(onChange: () => void): () => void {
    this.listeners.add(onChange)
    if (!this.watching) {
      this.watching = true
      this.arm(AclZkPaths.literalChanges)
      this.arm(AclZkPaths.extendedChanges)
      // A new session lost the watches: set them again and reload what may have been missed.
      this.zk.onStateChange((state) => {
        if (state !== 'connected' || this.closed) return
        this.generation++
        this.arm(AclZkPaths.literalChanges)
        this.arm(AclZkPaths.extendedChanges)
        this.notify()
      })
    }
    return () => {
      this.listeners.delete(onChange)
      if (this.listeners.size === 0) this.closed = true
    }
  }

  private notify(): void {
    for (const l of this.listeners) l()
  }

  private arm(path: string): void {
    if (this.closed) return
    const generation = this.generation
    const rearm = () => {
      if (this.closed || generation !== this.generation) return
      this.arm(path)
      this.notify()
    }
    this.zk
      .mkdirp(path)
      .then(() => this.zk.getChildren(path, rearm))
      .then((children) => this.purge(path, children ?? []))
      .catch(() => {
        // The session is gone or closing: the state listener sets the watch again.
      })
  }

  private purge(path: string, children: readonly string[]): void {
    if (this.purging.has(path) || children.length === 0) return
    const run = purgeExpiredNotifications(this.zk, path, children, this.expiry, this.logger).finally(() =>
      this.purging.delete(path),
    )
    this.purging.set(path, run)
  }
}
