// The ACL authorizer, with the semantics of Kafka's AclAuthorizer / StandardAuthorizer:
// - a super user (`super.users`, `User:a;User:b`) may do anything;
// - the ACLs that apply to a resource are those on its literal name, on the literal `*` of its
//   type, and on every prefixed pattern its name starts with;
// - a matching DENY (principal or `User:*`, host or `*`, the operation or ALL) wins;
// - with no ACL at all on the resource, `allow.everyone.if.no.acl.found` decides (default false);
// - otherwise a matching ALLOW is needed, where READ/WRITE/DELETE/ALTER also allow DESCRIBE and
//   ALTER_CONFIGS also allows DESCRIBE_CONFIGS.
// Every ACL is held in memory (per resource type: literal names in a map, prefixes in a list), so a
// check is a few lookups; handlers check once per resource per request. The store is the source of
// truth: changes go there first and the cache is refreshed from what was stored; in ZooKeeper mode
// changes made on other brokers arrive as notifications and the cache is reloaded.

import type { AclStore, ResourceAcls } from '../metadata/acl-store.ts'
import {
  type AclBinding,
  type AclEntry,
  type AclFilter,
  AclOperation,
  allowImplies,
  filterMatches,
  operationsBitField,
  PatternType,
  PermissionType,
  patternKey,
  type ResourcePattern,
  SUPPORTED_OPERATIONS,
  sameEntry,
  WILDCARD,
  WILDCARD_PRINCIPAL,
} from './acl-types.ts'

/** Kafka's class names that turn the authorizer on. */
export const AUTHORIZER_CLASS_NAMES = [
  'kafka.security.authorizer.AclAuthorizer',
  'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
] as const

export interface AuthorizerSettings {
  readonly superUsers: ReadonlySet<string>
  readonly allowEveryoneIfNoAclFound: boolean
}

/**
 * Reads `authorizer.class.name`, `super.users`, `allow.everyone.if.no.acl.found` from the raw
 * config: null when no authorizer is configured; a one-line error for an unknown class.
 */
export function readAuthorizerSettings(raw: ReadonlyMap<string, string>): {
  settings: AuthorizerSettings | null
  problem: string | null
} {
  const cls = (raw.get('authorizer.class.name') ?? '').trim()
  if (cls === '') return { settings: null, problem: null }
  if (!(AUTHORIZER_CLASS_NAMES as readonly string[]).includes(cls))
    return {
      settings: null,
      problem: `Invalid value ${cls} for configuration authorizer.class.name: Samsa's ACL authorizer is enabled by ${AUTHORIZER_CLASS_NAMES.join(' or ')}`,
    }
  const superUsers = new Set(
    (raw.get('super.users') ?? '')
      .split(';')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
  )
  const every = (raw.get('allow.everyone.if.no.acl.found') ?? 'false').trim().toLowerCase()
  if (every !== 'true' && every !== 'false')
    return {
      settings: null,
      problem: `Invalid value ${every} for configuration allow.everyone.if.no.acl.found: Expected value to be either true or false`,
    }
  return { settings: { superUsers, allowEveryoneIfNoAclFound: every === 'true' }, problem: null }
}

interface TypeAcls {
  readonly literal: Map<string, readonly AclEntry[]>
  readonly prefixed: Map<string, readonly AclEntry[]>
}

export interface AclChangeResult {
  readonly errorMessage: string | null
}

export class Authorizer {
  private readonly settings: AuthorizerSettings
  private readonly store: AclStore
  private byType = new Map<number, TypeAcls>()
  private all = new Map<string, ResourceAcls>()
  private unwatch: (() => void) | null = null
  private reloading: Promise<void> | null = null
  private reloadAgain = false
  private readonly onError: (e: unknown) => void

  constructor(settings: AuthorizerSettings, store: AclStore, onError: (e: unknown) => void = () => {}) {
    this.settings = settings
    this.store = store
    this.onError = onError
  }

  /** Loads every ACL and follows changes made elsewhere. */
  async start(): Promise<void> {
    this.unwatch = this.store.watch(() => this.scheduleReload())
    this.replace(await this.store.loadAll())
  }

  stop(): void {
    this.unwatch?.()
    this.unwatch = null
  }

  /** Resolves once every reload scheduled so far is done (tests, CLI round trips). */
  async settled(): Promise<void> {
    while (this.reloading !== null) await this.reloading
  }

  private scheduleReload(): void {
    if (this.reloading !== null) {
      this.reloadAgain = true
      return
    }
    this.reloading = (async () => {
      do {
        this.reloadAgain = false
        try {
          this.replace(await this.store.loadAll())
        } catch (e) {
          this.onError(e)
        }
      } while (this.reloadAgain)
      this.reloading = null
    })()
  }

  private replace(all: Map<string, ResourceAcls>): void {
    const byType = new Map<number, TypeAcls>()
    for (const r of all.values()) {
      let t = byType.get(r.pattern.resourceType)
      if (t === undefined) {
        t = { literal: new Map(), prefixed: new Map() }
        byType.set(r.pattern.resourceType, t)
      }
      ;(r.pattern.patternType === PatternType.PREFIXED ? t.prefixed : t.literal).set(r.pattern.name, r.acls)
    }
    this.all = all
    this.byType = byType
  }

  private setOne(pattern: ResourcePattern, acls: readonly AclEntry[]): void {
    const next = new Map(this.all)
    if (acls.length === 0) next.delete(patternKey(pattern))
    else next.set(patternKey(pattern), { pattern, acls })
    this.replace(next)
  }

  isSuperUser(principal: string): boolean {
    return this.settings.superUsers.has(principal)
  }

  /** Whether `principal` connected from `host` may perform `op` on the named resource. */
  authorize(principal: string, host: string, op: number, resourceType: number, name: string): boolean {
    if (this.settings.superUsers.has(principal)) return true
    const t = this.byType.get(resourceType)
    if (t === undefined) return this.settings.allowEveryoneIfNoAclFound
    let any = false
    let allowed = false
    const consider = (acls: readonly AclEntry[] | undefined): boolean => {
      if (acls === undefined) return false
      any = true
      for (const a of acls) {
        if (a.principal !== principal && a.principal !== WILDCARD_PRINCIPAL) continue
        if (a.host !== host && a.host !== WILDCARD) continue
        if (a.permissionType === PermissionType.DENY) {
          if (a.operation === op || a.operation === AclOperation.ALL) return true
        } else if (allowImplies(a.operation, op)) allowed = true
      }
      return false
    }
    if (consider(t.literal.get(name))) return false
    if (name !== WILDCARD && consider(t.literal.get(WILDCARD))) return false
    for (const [prefix, acls] of t.prefixed) if (name.startsWith(prefix) && consider(acls)) return false
    if (!any) return this.settings.allowEveryoneIfNoAclFound
    return allowed
  }

  /**
   * Whether `op` is allowed on at least one resource of the type (KIP-679's authorizeByResourceType,
   * used by InitProducerId of idempotent producers): some ALLOW pattern not wholly covered by a DENY.
   */
  authorizeAny(principal: string, host: string, op: number, resourceType: number): boolean {
    if (this.settings.superUsers.has(principal)) return true
    const t = this.byType.get(resourceType)
    if (t === undefined) return this.settings.allowEveryoneIfNoAclFound
    const applies = (a: AclEntry, perm: number) =>
      a.permissionType === perm &&
      (a.principal === principal || a.principal === WILDCARD_PRINCIPAL) &&
      (a.host === host || a.host === WILDCARD) &&
      (perm === PermissionType.DENY
        ? a.operation === op || a.operation === AclOperation.ALL
        : allowImplies(a.operation, op))
    const denyLiteral = new Set<string>()
    const denyPrefix: string[] = []
    for (const [n, acls] of t.literal)
      if (acls.some((a) => applies(a, PermissionType.DENY))) denyLiteral.add(n)
    for (const [p, acls] of t.prefixed)
      if (acls.some((a) => applies(a, PermissionType.DENY))) denyPrefix.push(p)
    if (denyLiteral.has(WILDCARD)) return false
    const covered = (n: string) => denyPrefix.some((p) => n.startsWith(p))
    for (const [n, acls] of t.literal)
      if (!denyLiteral.has(n) && !covered(n) && acls.some((a) => applies(a, PermissionType.ALLOW)))
        return true
    for (const [p, acls] of t.prefixed)
      if (!covered(p) && acls.some((a) => applies(a, PermissionType.ALLOW))) return true
    return false
  }

  /** Kafka's authorized-operations bit field for one resource. */
  authorizedOperations(principal: string, host: string, resourceType: number, name: string): number {
    const ops = SUPPORTED_OPERATIONS[resourceType] ?? []
    return operationsBitField(ops.filter((op) => this.authorize(principal, host, op, resourceType, name)))
  }

  /** Every stored binding a filter matches. */
  describe(filter: AclFilter): AclBinding[] {
    const out: AclBinding[] = []
    for (const r of this.all.values())
      for (const entry of r.acls) {
        const b = { pattern: r.pattern, entry }
        if (filterMatches(filter, b)) out.push(b)
      }
    return out
  }

  /** Adds bindings (an ACL already present is kept once), pattern by pattern. */
  async create(bindings: readonly AclBinding[]): Promise<void> {
    const byPattern = new Map<string, { pattern: ResourcePattern; entries: AclEntry[] }>()
    for (const b of bindings) {
      const k = patternKey(b.pattern)
      const g = byPattern.get(k) ?? { pattern: b.pattern, entries: [] }
      g.entries.push(b.entry)
      byPattern.set(k, g)
    }
    for (const g of byPattern.values()) {
      const stored = await this.store.update(g.pattern, (cur) => {
        const next = [...cur]
        for (const e of g.entries) if (!next.some((x) => sameEntry(x, e))) next.push(e)
        return next
      })
      this.setOne(g.pattern, stored)
    }
  }

  /** Removes what each filter matches; returns, per filter, the bindings removed. */
  async delete(filters: readonly AclFilter[]): Promise<AclBinding[][]> {
    const matched = filters.map((f) => this.describe(f))
    const patterns = new Map<string, ResourcePattern>()
    for (const list of matched) for (const b of list) patterns.set(patternKey(b.pattern), b.pattern)
    for (const pattern of patterns.values()) {
      const stored = await this.store.update(pattern, (cur) =>
        cur.filter((entry) => !filters.some((f) => filterMatches(f, { pattern, entry }))),
      )
      this.setOne(pattern, stored)
    }
    return matched
  }
}
