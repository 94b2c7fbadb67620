// Where client quotas are kept, in Kafka's layout of entity paths (also the ZooKeeper paths under
// /config): `users/<user>`, `clients/<client-id>`, `users/<user>/clients/<client-id>`, names
// sanitized as Kafka does, `<default>` for a default entity. Values are Kafka's config strings
// ("1048576", "200.0"). Two implementations behind one interface:
// - ZooKeeper mode (zk/zk-client-quotas.ts): the znodes themselves, shared with the SCRAM
//   credentials in /config/users/<user> (one "config" map), plus /config/changes notifications;
// - embedded mode (here): `samsa-client-quotas.json` in the first log dir, replaced atomically:
//     {"version":1,"entities":{"clients/app":{"producer_byte_rate":"1048576"}}}
// The broker keeps the quotas in memory (security/quota-manager.ts) and reloads them when the
// store says they changed (watch), so requests never wait on the store.

import { join } from 'node:path'
import type { Fs } from '../common/fs.ts'
import { ConfigMapFile } from './config-map-file.ts'
import { desanitizeEntityName, sanitizeEntityName } from './user-config-store.ts'

/** undefined: no such part; null: the default entity. */
export interface StoredQuotaEntity {
  readonly user?: string | null
  readonly clientId?: string | null
}

export interface StoredQuotaEntry {
  readonly entity: StoredQuotaEntity
  readonly quotas: ReadonlyMap<string, number>
}

export interface ClientQuotaStore {
  /** Every entity with at least one quota. */
  list(): Promise<StoredQuotaEntry[]>
  /** Sets and removes quota keys of one entity (serialized with other changes). */
  alter(entity: StoredQuotaEntity, set: ReadonlyMap<string, number>, remove: readonly string[]): Promise<void>
  /** `fn` runs after any change, by this broker or another (ZooKeeper); returns what stops it. */
  watch(fn: () => void): () => void
}

/** Config keys that are quotas (kept apart from SCRAM credentials in a user's config map). */
export const QUOTA_CONFIG_KEYS: ReadonlySet<string> = new Set([
  'producer_byte_rate',
  'consumer_byte_rate',
  'request_percentage',
  'controller_mutation_rate',
])

const DEFAULT = '<default>'

const nameOf = (n: string | null): string => (n === null ? DEFAULT : sanitizeEntityName(n))
const parseName = (n: string): string | null => (n === DEFAULT ? null : desanitizeEntityName(n))

/** `users/alice/clients/app`, `clients/<default>`, ... ; throws for an entity with no part. */
export function entityPath(e: StoredQuotaEntity): string {
  if (e.user !== undefined && e.clientId !== undefined)
    return `users/${nameOf(e.user)}/clients/${nameOf(e.clientId)}`
  if (e.user !== undefined) return `users/${nameOf(e.user)}`
  if (e.clientId !== undefined) return `clients/${nameOf(e.clientId)}`
  throw new Error('a quota entity needs a user or a client-id')
}

export function parseEntityPath(path: string): StoredQuotaEntity | null {
  const p = path.split('/')
  if (p.length === 2 && p[0] === 'users') return { user: parseName(p[1]!) }
  if (p.length === 2 && p[0] === 'clients') return { clientId: parseName(p[1]!) }
  if (p.length === 4 && p[0] === 'users' && p[2] === 'clients')
    return { user: parseName(p[1]!), clientId: parseName(p[3]!) }
  return null
}

/** The quota keys of a config map, as numbers (unparsable values are skipped). */
export function quotasOf(config: ReadonlyMap<string, string>): Map<string, number> {
  const out = new Map<string, number>()
  for (const [k, v] of config) {
    if (!QUOTA_CONFIG_KEYS.has(k)) continue
    const n = Number(v)
    if (Number.isFinite(n)) out.set(k, n)
  }
  return out
}

/** Kafka writes byte rates as longs and percentages as doubles. */
export function quotaString(key: string, value: number): string {
  return key === 'request_percentage' && Number.isInteger(value) ? value.toFixed(1) : String(value)
}

export const CLIENT_QUOTAS_FILE = 'samsa-client-quotas.json'

export class FileClientQuotaStore implements ClientQuotaStore {
  private readonly file: ConfigMapFile
  private readonly watchers = new Set<() => void>()

  constructor(fs: Fs, logDir: string) {
    this.file = new ConfigMapFile(fs, join(logDir, CLIENT_QUOTAS_FILE), 'entities', 'client quotas')
  }

  async list(): Promise<StoredQuotaEntry[]> {
    const out: StoredQuotaEntry[] = []
    for (const [path, config] of await this.file.load()) {
      const entity = parseEntityPath(path)
      const quotas = quotasOf(config)
      if (entity !== null && quotas.size > 0) out.push({ entity, quotas })
    }
    return out
  }

  async alter(
    entity: StoredQuotaEntity,
    set: ReadonlyMap<string, number>,
    remove: readonly string[],
  ): Promise<void> {
    await this.file.update(
      entityPath(entity),
      [...set].map(([k, v]) => [k, quotaString(k, v)] as const),
      remove,
    )
    for (const fn of this.watchers) fn()
  }

  watch(fn: () => void): () => void {
    this.watchers.add(fn)
    return () => this.watchers.delete(fn)
  }
}
