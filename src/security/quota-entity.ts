// Client quota entities and Kafka's precedence between them. An entity is a user, a client-id, or
// both (a client-id of one user); each part is a name or the default (`<default>` in ZooKeeper,
// null on the wire). Quota keys: `producer_byte_rate` and `consumer_byte_rate` (bytes/s),
// `request_percentage` (percent of one request-handling thread per second).
//
// For a client (user U, client-id C) each quota key is taken from the first of these entities that
// sets it (Kafka's order):
//   1. user U, client-id C            5. default user, default client-id
//   2. user U, default client-id      6. default user
//   3. user U                         7. client-id C
//   4. default user, client-id C      8. default client-id
// The entity found also says which clients share one measured rate: a quota set on a user is shared
// by all that user's clients, one on a client-id by every user's connections with it, and a
// default applies to each user / client-id separately (Kafka's quota metric tags).

export const PRODUCER_BYTE_RATE = 'producer_byte_rate'
export const CONSUMER_BYTE_RATE = 'consumer_byte_rate'
export const REQUEST_PERCENTAGE = 'request_percentage'

/** Keys served (Kafka's controller_mutation_rate and the ip entity's connection rate are not). */
export const CLIENT_QUOTA_KEYS: readonly string[] = [
  PRODUCER_BYTE_RATE,
  CONSUMER_BYTE_RATE,
  REQUEST_PERCENTAGE,
]

export const USER = 'user'
export const CLIENT_ID = 'client-id'

/** The ZooKeeper name of a default entity. */
export const DEFAULT_ENTITY = '<default>'

/** undefined: the entity has no such part; null: the default; else the name. */
export interface QuotaEntity {
  readonly user?: string | null
  readonly clientId?: string | null
}

export interface QuotaEntry {
  readonly entity: QuotaEntity
  /** Quota key → value (only the keys set). */
  readonly quotas: ReadonlyMap<string, number>
}

const part = (p: string | null | undefined): string =>
  p === undefined ? '~' : p === null ? '*' : `=${encodeURIComponent(p)}`

/** One string per entity, for map keys. */
export function entityKey(e: QuotaEntity): string {
  return `${part(e.user)}/${part(e.clientId)}`
}

/** For messages: `user 'alice', client-id 'app'` / `default user`. */
export function describeEntity(e: QuotaEntity): string {
  const out: string[] = []
  if (e.user !== undefined) out.push(e.user === null ? 'default user' : `user '${e.user}'`)
  if (e.clientId !== undefined)
    out.push(e.clientId === null ? 'default client-id' : `client-id '${e.clientId}'`)
  return out.join(', ')
}

export interface ResolvedQuota {
  readonly bound: number
  /** Which clients share the measured rate (see the header). */
  readonly sensor: string
}

/** Finds the quota `key` for a client among `entries` (by entityKey), or null: no quota. */
export function resolveQuota(
  entries: ReadonlyMap<string, ReadonlyMap<string, number>>,
  key: string,
  user: string,
  clientId: string,
): ResolvedQuota | null {
  const levels: [QuotaEntity, string][] = [
    [{ user, clientId }, `${user}\u0000${clientId}`],
    [{ user, clientId: null }, `${user}\u0000${clientId}`],
    [{ user }, `${user}\u0000`],
    [{ user: null, clientId }, `${user}\u0000${clientId}`],
    [{ user: null, clientId: null }, `${user}\u0000${clientId}`],
    [{ user: null }, `${user}\u0000`],
    [{ clientId }, `\u0000${clientId}`],
    [{ clientId: null }, `\u0000${clientId}`],
  ]
  for (const [entity, sensor] of levels) {
    const v = entries.get(entityKey(entity))?.get(key)
    if (v !== undefined) return { bound: v, sensor: `${key}\u0000${sensor}` }
  }
  return null
}

/** Null when the key and value are acceptable for a quota, else why not (Kafka's checks). */
export function checkQuotaValue(key: string, value: number): string | null {
  if (!CLIENT_QUOTA_KEYS.includes(key)) return `Invalid configuration key ${key}`
  if (!Number.isFinite(value) || value <= 0) return `Invalid value ${value} for ${key}: must be positive`
  if (key !== REQUEST_PERCENTAGE && !Number.isInteger(value))
    return `Invalid value ${value} for ${key}: must be a whole number of bytes per second`
  return null
}
