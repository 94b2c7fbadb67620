// kafka-acls.sh options and what they mean, as Kafka's AclCommand has them (the --bootstrap-server
// form; the removed --authorizer-properties/ZooKeeper form is not offered): one action (--add,
// --remove, --list), resources (--topic, --group, --cluster, --transactional-id,
// --delegation-token, several allowed) with --resource-pattern-type, principals and hosts, the
// operations, and the --producer / --consumer conveniences that expand to the ACLs each needs.

import {
  type AclBinding,
  type AclFilter,
  AclOperation,
  CLUSTER_NAME,
  PatternType,
  PermissionType,
  parseOperation,
  type ResourcePattern,
  ResourceType,
} from '../../security/acl-types.ts'
import type { OptionDef, ParsedOptions } from '../args/option-parser.ts'
import { HELP_OPTIONS, parseCommandLine } from '../common/command.ts'
import { usageExit } from '../common/exit.ts'

export const ACL_OPTIONS: readonly OptionDef[] = [
  {
    name: 'bootstrap-server',
    help: 'A list of host/port pairs to use for establishing the connection to the Kafka cluster.',
    arg: 'required',
    describedAs: 'server to connect to',
  },
  {
    name: 'command-config',
    help: 'A property file containing configs to be passed to Admin Client.',
    arg: 'required',
    describedAs: 'command-config',
  },
  { name: 'add', help: 'Indicates you are trying to add ACLs.' },
  { name: 'remove', help: 'Indicates you are trying to remove ACLs.' },
  {
    name: 'list',
    help: 'List ACLs for the specified resource, use --topic <topic> or --group <group> or --cluster to specify a resource.',
  },
  {
    name: 'topic',
    help: 'topic to which ACLs should be added or removed. A value of `*` indicates ACL should apply to all topics.',
    arg: 'required',
    describedAs: 'topic',
  },
  { name: 'cluster', help: 'Add/Remove cluster ACLs.' },
  {
    name: 'group',
    help: 'Consumer Group to which the ACLs should be added or removed. A value of `*` indicates the ACLs should apply to all groups.',
    arg: 'required',
    describedAs: 'group',
  },
  {
    name: 'transactional-id',
    help: 'The transactionalId to which ACLs should be added or removed. A value of `*` indicates the ACLs should apply to all transactionalIds.',
    arg: 'required',
    describedAs: 'transactional-id',
  },
  {
    name: 'delegation-token',
    help: 'Delegation token to which ACLs should be added or removed. A value of `*` indicates ACL should apply to all tokens.',
    arg: 'required',
    describedAs: 'delegation-token',
  },
  {
    name: 'resource-pattern-type',
    help: "The type of the resource pattern or pattern filter. When adding acls, this should be a specific pattern type, e.g. 'literal' or 'prefixed'. When listing or removing acls, a specific pattern type can be used to list or remove acls from specific resource patterns, or use the filter values of 'any' or 'match', where 'any' will match any pattern type, but will match the resource name exactly, where as 'match' will perform pattern matching to list or remove all acls that affect the supplied resource(s). WARNING: 'match', when used in combination with the '--remove' switch, should be used with care.",
    arg: 'required',
    describedAs: 'ANY|MATCH|LITERAL|PREFIXED',
    defaultValue: 'LITERAL',
  },
  {
    name: 'operation',
    help: 'Operation that is being allowed or denied. Valid operation names are: \n\tDescribe\n\tDescribeConfigs\n\tAlter\n\tIdempotentWrite\n\tRead\n\tDelete\n\tCreate\n\tClusterAction\n\tAll\n\tCreateTokens\n\tDescribeTokens\n\tWrite\n\tAlterConfigs\n',
    arg: 'required',
    defaultValue: 'All',
  },
  {
    name: 'allow-principal',
    help: "principal is in principalType:name format. Note that principalType must be supported by the Authorizer being used. For example, User:'*' is the wild card indicating all users.",
    arg: 'required',
    describedAs: 'allow-principal',
  },
  {
    name: 'deny-principal',
    help: 'principal is in principalType:name format. By default anyone not added through --allow-principal is denied access. You only need to use this option as negation to already allowed set.',
    arg: 'required',
    describedAs: 'deny-principal',
  },
  {
    name: 'principal',
    help: 'List ACLs for the specified principal. principal is in principalType:name format. Note that principalType must be supported by the Authorizer being used. Multiple --principal option can be passed.',
    arg: 'required',
    describedAs: 'principal',
  },
  {
    name: 'allow-host',
    help: "Host from which principals listed in --allow-principal will have access. If you have specified --allow-principal then the default for this option will be set to '*' which allows access from all hosts.",
    arg: 'required',
    describedAs: 'allow-host',
  },
  {
    name: 'deny-host',
    help: "Host from which principals listed in --deny-principal will be denied access. If you have specified --deny-principal then the default for this option will be set to '*' which denies access from all hosts.",
    arg: 'required',
    describedAs: 'deny-host',
  },
  {
    name: 'producer',
    help: 'Convenience option to add/remove ACLs for producer role. This will generate ACLs that allows WRITE,DESCRIBE and CREATE on topic.',
  },
  {
    name: 'consumer',
    help: 'Convenience option to add/remove ACLs for consumer role. This will generate ACLs that allows READ,DESCRIBE on topic and READ on group.',
  },
  {
    name: 'idempotent',
    help: 'Enable idempotence for the producer. This should be used in combination with the --producer option. Note that idempotence is enabled automatically if the producer is authorized to a particular transactional-id.',
  },
  { name: 'force', help: 'Assume Yes to all queries and do not prompt.' },
]

export type AclAction = 'add' | 'remove' | 'list'

export interface AclCommand {
  readonly action: AclAction
  readonly bootstrap: string
  readonly commandConfig: string | null
  readonly force: boolean
  /** --add: the bindings to create, grouped by pattern in order. */
  readonly bindings: readonly AclBinding[]
  /** --remove / --list: one filter per resource (or one for everything), entries as given. */
  readonly filters: readonly AclFilter[]
  /** --list: principals to keep (empty: all). */
  readonly principals: readonly string[]
}

const PATTERN_TYPES: Record<string, number> = {
  any: PatternType.ANY,
  match: PatternType.MATCH,
  literal: PatternType.LITERAL,
  prefixed: PatternType.PREFIXED,
}

function fail(message: string): never {
  usageExit([...ACL_OPTIONS, ...HELP_OPTIONS], message)
}

/** The resources named on the command line, with the pattern type. */
function resources(opts: ParsedOptions, patternType: number): ResourcePattern[] {
  const out: ResourcePattern[] = []
  for (const t of opts.values('topic')) out.push({ resourceType: ResourceType.TOPIC, name: t, patternType })
  if (opts.has('cluster'))
    out.push({ resourceType: ResourceType.CLUSTER, name: CLUSTER_NAME, patternType: PatternType.LITERAL })
  for (const g of opts.values('group')) out.push({ resourceType: ResourceType.GROUP, name: g, patternType })
  for (const id of opts.values('transactional-id'))
    out.push({ resourceType: ResourceType.TRANSACTIONAL_ID, name: id, patternType })
  for (const d of opts.values('delegation-token'))
    out.push({ resourceType: ResourceType.DELEGATION_TOKEN, name: d, patternType })
  return out
}

/** The operations each resource gets from --operation, or from --producer / --consumer. */
function operationsFor(opts: ParsedOptions, r: ResourcePattern): number[] {
  if (opts.has('producer') || opts.has('consumer')) {
    const ops: number[] = []
    if (opts.has('producer')) {
      if (r.resourceType === ResourceType.TOPIC)
        ops.push(AclOperation.WRITE, AclOperation.DESCRIBE, AclOperation.CREATE)
      if (r.resourceType === ResourceType.TRANSACTIONAL_ID)
        ops.push(AclOperation.WRITE, AclOperation.DESCRIBE)
      if (r.resourceType === ResourceType.CLUSTER) ops.push(AclOperation.IDEMPOTENT_WRITE)
    }
    if (opts.has('consumer')) {
      if (r.resourceType === ResourceType.TOPIC) ops.push(AclOperation.READ, AclOperation.DESCRIBE)
      if (r.resourceType === ResourceType.GROUP) ops.push(AclOperation.READ)
    }
    return [...new Set(ops)]
  }
  const ops = opts.values('operation').map((o) => {
    const op = parseOperation(o)
    if (op === null) fail(`Invalid operation: ${o}`)
    return op
  })
  return ops.length === 0 ? [AclOperation.ALL] : ops
}

interface Entry {
  principal: string
  host: string
  permissionType: number
}

function entries(opts: ParsedOptions): Entry[] {
  const out: Entry[] = []
  for (const [principals, hostsName, perm] of [
    ['allow-principal', 'allow-host', PermissionType.ALLOW],
    ['deny-principal', 'deny-host', PermissionType.DENY],
  ] as const) {
    const hosts = opts.values(hostsName)
    for (const principal of opts.values(principals)) {
      if (!/^[^:]+:.+$/.test(principal))
        fail(
          `Could not parse principal from \`${principal}\` (no colon is present separating the principal type from the principal name)`,
        )
      for (const host of hosts.length === 0 ? ['*'] : hosts)
        out.push({ principal, host, permissionType: perm })
    }
  }
  return out
}

export function parseAclOptions(argv: readonly string[]): AclCommand {
  const opts = parseCommandLine(ACL_OPTIONS, argv, {
    purpose: 'This tool helps to manage acls on kafka.',
  })
  const actions = (['add', 'remove', 'list'] as const).filter((a) => opts.has(a))
  if (actions.length !== 1) fail('Command must include exactly one action: --list, --add, --remove. ')
  const action = actions[0]!
  const bootstrap = opts.value('bootstrap-server')
  if (bootstrap === undefined || bootstrap === null) fail('Missing required argument "[bootstrap-server]"')
  if (opts.has('producer') && opts.has('consumer') && action !== 'add')
    fail('With --producer and --consumer, only --add is supported.')
  if (opts.has('idempotent') && !opts.has('producer'))
    fail('The --idempotent option can only be used together with --producer.')
  const typeName = (opts.value('resource-pattern-type') ?? 'LITERAL').toLowerCase()
  const patternType = PATTERN_TYPES[typeName]
  if (patternType === undefined) fail(`Invalid resource pattern type: ${typeName}`)
  if (action === 'add' && patternType !== PatternType.LITERAL && patternType !== PatternType.PREFIXED)
    fail(`A '--resource-pattern-type' value of '${typeName.toUpperCase()}' is not valid when adding acls.`)
  let pats = resources(opts, patternType)
  if (opts.has('producer')) {
    if (!opts.has('topic')) fail('With --producer you must specify a --topic')
    if (opts.has('idempotent') || opts.has('transactional-id'))
      pats = pats.some((p) => p.resourceType === ResourceType.CLUSTER)
        ? pats
        : [
            ...pats,
            { resourceType: ResourceType.CLUSTER, name: CLUSTER_NAME, patternType: PatternType.LITERAL },
          ]
  }
  if (opts.has('consumer') && (!opts.has('topic') || !opts.has('group')))
    fail(
      'With --consumer you must specify a --topic and a --group and no --cluster or --transactional-id option should be specified.',
    )
  if (action !== 'list' && pats.length === 0)
    fail(
      'You must provide at least one resource: --topic <topic> or --cluster or --group <group> or --delegation-token <Delegation Token ID>',
    )
  const es = entries(opts)
  if (action === 'add' && es.length === 0)
    fail('You must specify one of: --allow-principal, --deny-principal when trying to add ACLs.')
  const bindings: AclBinding[] = []
  if (action === 'add')
    for (const pattern of pats)
      for (const operation of operationsFor(opts, pattern))
        for (const e of es) bindings.push({ pattern, entry: { ...e, operation } })
  const filters: AclFilter[] = []
  const base = {
    principal: null,
    host: null,
    operation: AclOperation.ANY,
    permissionType: PermissionType.ANY,
  }
  if (action === 'list')
    filters.push(
      ...(pats.length === 0
        ? [{ ...base, resourceType: ResourceType.ANY, name: null, patternType: PatternType.ANY }]
        : pats.map((p) => ({
            ...base,
            resourceType: p.resourceType,
            name: p.name,
            patternType: p.patternType,
          }))),
    )
  if (action === 'remove') {
    for (const p of pats) {
      const f = { resourceType: p.resourceType, name: p.name, patternType: p.patternType }
      if (es.length === 0) filters.push({ ...base, ...f })
      else
        for (const operation of operationsFor(opts, p))
          for (const e of es) filters.push({ ...f, ...e, operation })
    }
  }
  return {
    action,
    bootstrap,
    commandConfig: opts.value('command-config') ?? null,
    force: opts.has('force'),
    bindings,
    filters,
    principals: opts.values('principal'),
  }
}
