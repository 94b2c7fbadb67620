// Kafka's ACL vocabulary: the wire codes of resource types, pattern types, operations and permission
// types (the values CreateAcls/DescribeAcls/DeleteAcls carry), the names Kafka writes in ZooKeeper
// (`Topic`, `Read`, `Allow`, ...), which operations imply which, and the filter rules of
// DescribeAcls/DeleteAcls (ANY matches every value, MATCH matches the patterns that would apply to
// a name). Everything here is pure data and functions, shared by the authorizer, the stores, the
// handlers and kafka-acls.sh.

export const ResourceType = {
  UNKNOWN: 0,
  ANY: 1,
  TOPIC: 2,
  GROUP: 3,
  CLUSTER: 4,
  TRANSACTIONAL_ID: 5,
  DELEGATION_TOKEN: 6,
  USER: 7,
} as const

export const PatternType = { UNKNOWN: 0, ANY: 1, MATCH: 2, LITERAL: 3, PREFIXED: 4 } as const

export const AclOperation = {
  UNKNOWN: 0,
  ANY: 1,
  ALL: 2,
  READ: 3,
  WRITE: 4,
  CREATE: 5,
  DELETE: 6,
  ALTER: 7,
  DESCRIBE: 8,
  CLUSTER_ACTION: 9,
  DESCRIBE_CONFIGS: 10,
  ALTER_CONFIGS: 11,
  IDEMPOTENT_WRITE: 12,
  CREATE_TOKENS: 13,
  DESCRIBE_TOKENS: 14,
} as const

export const PermissionType = { UNKNOWN: 0, ANY: 1, DENY: 2, ALLOW: 3 } as const

/** The name of the one cluster resource. */
export const CLUSTER_NAME = 'kafka-cluster'
export const WILDCARD = '*'
export const WILDCARD_PRINCIPAL = 'User:*'

/** Names in ZooKeeper's paths and JSON (Kafka's ResourceType.toJava names). */
const RESOURCE_ZK_NAMES: Readonly<Record<number, string>> = {
  [ResourceType.TOPIC]: 'Topic',
  [ResourceType.GROUP]: 'Group',
  [ResourceType.CLUSTER]: 'Cluster',
  [ResourceType.TRANSACTIONAL_ID]: 'TransactionalId',
  [ResourceType.DELEGATION_TOKEN]: 'DelegationToken',
  [ResourceType.USER]: 'User',
}

const OPERATION_NAMES: Readonly<Record<number, string>> = {
  [AclOperation.ALL]: 'All',
  [AclOperation.READ]: 'Read',
  [AclOperation.WRITE]: 'Write',
  [AclOperation.CREATE]: 'Create',
  [AclOperation.DELETE]: 'Delete',
  [AclOperation.ALTER]: 'Alter',
  [AclOperation.DESCRIBE]: 'Describe',
  [AclOperation.CLUSTER_ACTION]: 'ClusterAction',
  [AclOperation.DESCRIBE_CONFIGS]: 'DescribeConfigs',
  [AclOperation.ALTER_CONFIGS]: 'AlterConfigs',
  [AclOperation.IDEMPOTENT_WRITE]: 'IdempotentWrite',
  [AclOperation.CREATE_TOKENS]: 'CreateTokens',
  [AclOperation.DESCRIBE_TOKENS]: 'DescribeTokens',
}

const reverse = (m: Readonly<Record<number, string>>) =>
  new Map(Object.entries(m).map(([k, v]) => [v.toLowerCase(), Number(k)]))
const RESOURCE_BY_NAME = reverse(RESOURCE_ZK_NAMES)
const OPERATION_BY_NAME = reverse(OPERATION_NAMES)

export const resourceZkName = (t: number): string => RESOURCE_ZK_NAMES[t] ?? 'Unknown'
export const operationName = (op: number): string => OPERATION_NAMES[op] ?? 'Unknown'
export const permissionName = (p: number): string =>
  p === PermissionType.ALLOW ? 'Allow' : p === PermissionType.DENY ? 'Deny' : 'Unknown'

/** Case-insensitive, `_` ignored: `Topic`, `TOPIC`, `transactional_id`, `TransactionalId`. */
export function parseResourceType(s: string): number | null {
  return RESOURCE_BY_NAME.get(s.replace(/[_-]/g, '').toLowerCase()) ?? null
}

/** `Read`, `READ`, `describe-configs`, `DESCRIBE_CONFIGS`, `DescribeConfigs` → code. */
export function parseOperation(s: string): number | null {
  return OPERATION_BY_NAME.get(s.replace(/[_-]/g, '').toLowerCase()) ?? null
}

export function parsePermission(s: string): number | null {
  const l = s.toLowerCase()
  return l === 'allow' ? PermissionType.ALLOW : l === 'deny' ? PermissionType.DENY : null
}

/** Upper-case names as Kafka's Java enums print them (kafka-acls.sh output). */
const UPPER_RESOURCE: Readonly<Record<number, string>> = {
  [ResourceType.TOPIC]: 'TOPIC',
  [ResourceType.GROUP]: 'GROUP',
  [ResourceType.CLUSTER]: 'CLUSTER',
  [ResourceType.TRANSACTIONAL_ID]: 'TRANSACTIONAL_ID',
  [ResourceType.DELEGATION_TOKEN]: 'DELEGATION_TOKEN',
  [ResourceType.USER]: 'USER',
}
export const resourceTypeUpper = (t: number): string => UPPER_RESOURCE[t] ?? 'UNKNOWN'
export const operationUpper = (op: number): string =>
  operationName(op)
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toUpperCase()
export const permissionUpper = (p: number): string => permissionName(p).toUpperCase()
export const patternTypeUpper = (p: number): string =>
  (['UNKNOWN', 'ANY', 'MATCH', 'LITERAL', 'PREFIXED'] as const)[p] ?? 'UNKNOWN'

/** Kafka's ResourcePattern.toString (kafka-acls.sh output, logs). */
export const patternString = (p: ResourcePattern): string =>
  `ResourcePattern(resourceType=${resourceTypeUpper(p.resourceType)}, name=${p.name}, patternType=${patternTypeUpper(p.patternType)})`

/** Kafka's AccessControlEntry.toString. */
export const entryString = (e: AclEntry): string =>
  `(principal=${e.principal}, host=${e.host}, operation=${operationUpper(e.operation)}, permissionType=${permissionUpper(e.permissionType)})`

/** A stored ACL on a resource pattern. */
export interface AclEntry {
  readonly principal: string
  readonly host: string
  readonly operation: number
  readonly permissionType: number
}

/** A resource pattern: LITERAL (the name itself, or `*` for every name) or PREFIXED. */
export interface ResourcePattern {
  readonly resourceType: number
  readonly name: string
  readonly patternType: number
}

export interface AclBinding {
  readonly pattern: ResourcePattern
  readonly entry: AclEntry
}

/** A DescribeAcls / DeleteAcls filter, as on the wire (null strings and ANY match everything). */
export interface AclFilter {
  readonly resourceType: number
  readonly name: string | null
  readonly patternType: number
  readonly principal: string | null
  readonly host: string | null
  readonly operation: number
  readonly permissionType: number
}

export const patternKey = (p: ResourcePattern): string => `${p.resourceType}:${p.patternType}:${p.name}`

export function sameEntry(a: AclEntry, b: AclEntry): boolean {
  return (
    a.principal === b.principal &&
    a.host === b.host &&
    a.operation === b.operation &&
    a.permissionType === b.permissionType
  )
}

/** Whether an ACL of operation `aclOp` lets `op` through (allow side): ALL, itself, or an implier. */
export function allowImplies(aclOp: number, op: number): boolean {
  if (aclOp === op || aclOp === AclOperation.ALL) return true
  if (op === AclOperation.DESCRIBE)
    return (
      aclOp === AclOperation.READ ||
      aclOp === AclOperation.WRITE ||
      aclOp === AclOperation.DELETE ||
      aclOp === AclOperation.ALTER
    )
  if (op === AclOperation.DESCRIBE_CONFIGS) return aclOp === AclOperation.ALTER_CONFIGS
  return false
}

/** The operations each resource type knows (Kafka's AclEntry.supportedOperations). */
export const SUPPORTED_OPERATIONS: Readonly<Record<number, readonly number[]>> = {
  [ResourceType.TOPIC]: [
    AclOperation.READ,
    AclOperation.WRITE,
    AclOperation.CREATE,
    AclOperation.DESCRIBE,
    AclOperation.DELETE,
    AclOperation.ALTER,
    AclOperation.DESCRIBE_CONFIGS,
    AclOperation.ALTER_CONFIGS,
  ],
  [ResourceType.GROUP]: [AclOperation.READ, AclOperation.DESCRIBE, AclOperation.DELETE],
  [ResourceType.CLUSTER]: [
    AclOperation.CREATE,
    AclOperation.CLUSTER_ACTION,
    AclOperation.DESCRIBE_CONFIGS,
    AclOperation.ALTER_CONFIGS,
    AclOperation.IDEMPOTENT_WRITE,
    AclOperation.ALTER,
    AclOperation.DESCRIBE,
  ],
  [ResourceType.TRANSACTIONAL_ID]: [AclOperation.DESCRIBE, AclOperation.WRITE],
  [ResourceType.DELEGATION_TOKEN]: [AclOperation.DESCRIBE],
  [ResourceType.USER]: [AclOperation.CREATE_TOKENS, AclOperation.DESCRIBE_TOKENS],
}

/** Authorized-operations bit field: bit `op` set for each allowed operation. */
export function operationsBitField(ops: Iterable<number>): number {
  let bits = 0
  for (const op of ops) bits |= 1 << op
  return bits
}

/** Why a binding cannot be stored (Kafka's CreateAcls validation), or null when it can. */
export function invalidBinding(b: AclBinding): string | null {
  const { pattern: p, entry: e } = b
  if (RESOURCE_ZK_NAMES[p.resourceType] === undefined || p.resourceType === ResourceType.USER)
    return 'Invalid resource type'
  if (p.patternType !== PatternType.LITERAL && p.patternType !== PatternType.PREFIXED)
    return 'Invalid pattern type'
  if (p.name === '') return 'Resource name should not be empty'
  if (p.resourceType === ResourceType.CLUSTER && p.name !== CLUSTER_NAME)
    return 'The only valid name for the CLUSTER resource is kafka-cluster'
  if (OPERATION_NAMES[e.operation] === undefined) return 'Invalid operation'
  if (e.permissionType !== PermissionType.ALLOW && e.permissionType !== PermissionType.DENY)
    return 'Invalid permission type'
  if (!/^[^:]+:.*/.test(e.principal)) return `Could not parse principal from \`${e.principal}\``
  if (e.host === '') return 'Invalid host'
  return null
}

const matchesOrAny = (want: string | null, have: string): boolean => want === null || want === have

/** Whether a filter matches a stored binding (DescribeAcls / DeleteAcls). */
export function filterMatches(f: AclFilter, b: AclBinding): boolean {
  const p = b.pattern
  if (f.resourceType !== ResourceType.ANY && f.resourceType !== p.resourceType) return false
  if (!patternFilterMatches(f, p)) return false
  const e = b.entry
  return (
    matchesOrAny(f.principal, e.principal) &&
    matchesOrAny(f.host, e.host) &&
    (f.operation === AclOperation.ANY || f.operation === e.operation) &&
    (f.permissionType === PermissionType.ANY || f.permissionType === e.permissionType)
  )
}

function patternFilterMatches(f: AclFilter, p: ResourcePattern): boolean {
  switch (f.patternType) {
    case PatternType.ANY:
      return f.name === null || f.name === p.name
    case PatternType.MATCH:
      // Every pattern that applies to the name: the literal name, the wildcard, covering prefixes.
      if (f.name === null) return true
      if (p.patternType === PatternType.LITERAL) return p.name === f.name || p.name === WILDCARD
      return p.patternType === PatternType.PREFIXED && f.name.startsWith(p.name)
    default:
      return f.patternType === p.patternType && (f.name === null || f.name === p.name)
  }
}

/** Why a filter is refused (UNKNOWN values), or null. */
export function invalidFilter(f: AclFilter): string | null {
  if (f.resourceType === ResourceType.UNKNOWN) return 'Resource type is unknown'
  if (f.patternType === PatternType.UNKNOWN) return 'Pattern type is unknown'
  if (f.operation === AclOperation.UNKNOWN) return 'Operation is unknown'
  if (f.permissionType === PermissionType.UNKNOWN) return 'Permission type is unknown'
  return null
}
