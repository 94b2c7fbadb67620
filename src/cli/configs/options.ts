// kafka-configs.sh options and their checks, as Kafka's ConfigCommand has them (the --bootstrap-server
// forms; the removed --zookeeper mode is not offered).

import { TOPIC_DEFS } from '../../config/topic-defs.ts'
import type { OptionDef, ParsedOptions } from '../args/option-parser.ts'
import { checkInvalid, HELP_OPTIONS, parseCommandLine } from '../common/command.ts'
import { usageExit } from '../common/exit.ts'

export class IllegalArgument extends Error {}

export const ENTITY_TYPES = [
  'topics',
  'clients',
  'users',
  'brokers',
  'broker-loggers',
  'ips',
  'client-metrics',
  'groups',
] as const

export const CONFIG_OPTIONS: readonly OptionDef[] = [
  {
    name: 'bootstrap-server',
    help: 'The Kafka servers to connect to.',
    arg: 'required',
    describedAs: 'server to connect to',
  },
  {
    name: 'bootstrap-controller',
    help: 'The Kafka controllers to connect to.',
    arg: 'required',
    describedAs: 'controller to connect to',
  },
  {
    name: 'command-config',
    help: 'Property file containing configs to be passed to Admin Client. This is used only with --bootstrap-server option for describing and altering broker configs.',
    arg: 'required',
    describedAs: 'command config property file',
  },
  { name: 'alter', help: 'Alter the configuration for the entity.' },
  { name: 'describe', help: 'List configs for the given entity.' },
  { name: 'all', help: 'List all configs for the given entity, including static configs if available.' },
  {
    name: 'entity-type',
    help: 'Type of entity (topics/clients/users/brokers/broker-loggers/ips/client-metrics/groups)',
    arg: 'required',
  },
  {
    name: 'entity-name',
    help: 'Name of entity (topic name/client id/user principal name/broker id/ip/client metrics/group id)',
    arg: 'required',
  },
  {
    name: 'entity-default',
    help: 'Default entity name for clients/users/brokers/ips (applies to corresponding entity type)',
  },
  {
    name: 'add-config',
    help:
      "Key Value pairs of configs to add. Square brackets can be used to group values which contain commas: 'k1=v1,k2=[v1,v2,v2],k3=v3'. " +
      `The following is a list of valid configurations: For entity-type 'topics': \n${TOPIC_DEFS.map((d) => `\t${d.name}`).join('\n')}\n` +
      "Entity types 'users' and 'clients' may be specified together to update config for clients of a specific user.",
    arg: 'required',
  },
  {
    name: 'add-config-file',
    help: 'Path to a properties file with configs to add. See add-config for a list of valid configurations.',
    arg: 'required',
  },
  { name: 'delete-config', help: "config keys to remove 'k1,k2'", arg: 'required', separator: ',' },
  { name: 'force', help: 'Suppress console prompts' },
  { name: 'topic', help: "The topic's name.", arg: 'required' },
  { name: 'client', help: "The client's ID.", arg: 'required' },
  { name: 'client-defaults', help: 'The config defaults for all clients.' },
  { name: 'user', help: "The user's principal name.", arg: 'required' },
  { name: 'user-defaults', help: 'The config defaults for all users.' },
  { name: 'broker', help: "The broker's ID.", arg: 'required' },
  { name: 'broker-defaults', help: 'The config defaults for all brokers.' },
  { name: 'broker-logger', help: "The broker's ID for its logger config.", arg: 'required' },
  { name: 'ip-defaults', help: 'The config defaults for all IPs.' },
  { name: 'ip', help: 'The IP address.', arg: 'required' },
  { name: 'group', help: "The group's ID.", arg: 'required' },
  { name: 'client-metrics', help: 'The client metrics config resource name.', arg: 'required' },
]

const ENTITY_FLAGS: readonly [string, string][] = [
  ['topic', 'topics'],
  ['client', 'clients'],
  ['user', 'users'],
  ['broker', 'brokers'],
  ['broker-logger', 'broker-loggers'],
  ['ip', 'ips'],
  ['client-metrics', 'client-metrics'],
  ['group', 'groups'],
]
const DEFAULT_FLAGS: readonly [string, string][] = [
  ['client-defaults', 'clients'],
  ['user-defaults', 'users'],
  ['broker-defaults', 'brokers'],
  ['ip-defaults', 'ips'],
]

export interface ConfigCommandOptions {
  opts: ParsedOptions
  alter: boolean
  entityTypes: string[]
  /** One per entity; '' stands for the default entity. */
  entityNames: string[]
  bootstrap: string
}

export function entityTypesOf(opts: ParsedOptions): string[] {
  return [
    ...opts.values('entity-type'),
    ...[...ENTITY_FLAGS, ...DEFAULT_FLAGS].filter(([flag]) => opts.has(flag)).map(([, type]) => type),
  ]
}

export function entityNamesOf(opts: ParsedOptions): string[] {
  const fromGeneric = opts.occurrences
    .filter((o) => o.name === 'entity-name' || o.name === 'entity-default')
    .map((o) => (o.name === 'entity-name' ? o.values[0] : ''))
  return [
    ...fromGeneric,
    ...ENTITY_FLAGS.filter(([flag]) => opts.has(flag)).map(([flag]) => opts.value(flag)!),
    ...DEFAULT_FLAGS.filter(([flag]) => opts.has(flag)).map(() => ''),
  ]
}

/** ConfigCommandOptions.checkArgs; IllegalArgument for the checks Kafka reports in one line. */
export function parseConfigOptions(argv: readonly string[]): ConfigCommandOptions {
  const defs = CONFIG_OPTIONS
  const opts = parseCommandLine(defs, argv, {
    purpose:
      'This tool helps to manipulate and describe entity config for a topic, client, user, broker, ip, client-metrics or group',
  })
  if (Number(opts.has('alter')) + Number(opts.has('describe')) !== 1) {
    usageExit([...defs, ...HELP_OPTIONS], 'Command must include exactly one action: --describe, --alter')
  }
  checkInvalid(defs, opts, 'alter', ['describe'])
  checkInvalid(defs, opts, 'describe', ['alter', 'add-config', 'delete-config'])
  const types = entityTypesOf(opts)
  const dups = [...new Set(types.filter((t, i) => types.indexOf(t) !== i))]
  if (dups.length > 0) throw new IllegalArgument(`Duplicate entity type(s) specified: ${dups.join(',')}`)
  for (const t of types) {
    if (!(ENTITY_TYPES as readonly string[]).includes(t)) {
      throw new IllegalArgument(
        `Invalid entity type ${t}, the entity type must be one of ${ENTITY_TYPES.join(', ')} with a --bootstrap-server or --bootstrap-controller argument`,
      )
    }
  }
  if (types.length === 0) throw new IllegalArgument('At least one entity type must be specified')
  if (types.length > 1 && !(types.length === 2 && types.includes('users') && types.includes('clients'))) {
    throw new IllegalArgument("Only 'users' and 'clients' entity types may be specified together")
  }
  if (
    (opts.has('entity-name') || opts.has('entity-type') || opts.has('entity-default')) &&
    [...ENTITY_FLAGS, ...DEFAULT_FLAGS].some(([flag]) => opts.has(flag))
  ) {
    throw new IllegalArgument(
      '--entity-{type,name,default} should not be used in conjunction with specific entity flags',
    )
  }
  const names = entityNamesOf(opts)
  const hasName = names.some((n) => n !== '')
  const hasDefault = names.some((n) => n === '')
  const connects = Number(opts.has('bootstrap-server')) + Number(opts.has('bootstrap-controller'))
  if (connects === 0) {
    throw new IllegalArgument(
      'One of the required --bootstrap-server or --bootstrap-controller arguments must be specified',
    )
  }
  if (connects > 1)
    throw new IllegalArgument('Only one of --bootstrap-server or --bootstrap-controller can be specified')
  if (hasName && (types.includes('brokers') || types.includes('broker-loggers'))) {
    for (const flag of ['entity-name', 'broker', 'broker-logger']) {
      const id = opts.value(flag)
      if (id !== undefined && !/^[+-]?\d+$/.test(id)) {
        throw new IllegalArgument(
          `The entity name for ${types[0]} must be a valid integer broker id, but it is: ${id}`,
        )
      }
    }
  }
  const quotaLike = ['users', 'clients', 'brokers', 'ips'].some((t) => types.includes(t))
  if (opts.has('describe')) {
    if (!quotaLike && opts.has('entity-default')) {
      throw new IllegalArgument(
        `--entity-default must not be specified with --describe of ${types.join(',')}`,
      )
    }
    if (types.includes('broker-loggers') && !hasName) {
      throw new IllegalArgument(`An entity name must be specified with --describe of ${types.join(',')}`)
    }
  }
  if (opts.has('alter')) {
    if (quotaLike) {
      if (!hasName && !hasDefault) {
        throw new IllegalArgument(
          'An entity-name or default entity must be specified with --alter of users, clients, brokers or ips',
        )
      }
    } else if (!hasName) {
      throw new IllegalArgument(`An entity name must be specified with --alter of ${types.join(',')}`)
    }
    if (opts.has('add-config') && opts.has('add-config-file')) {
      throw new IllegalArgument('Only one of --add-config or --add-config-file must be specified')
    }
    if (!opts.has('add-config') && !opts.has('add-config-file') && !opts.has('delete-config')) {
      throw new IllegalArgument(
        'At least one of --add-config, --add-config-file, or --delete-config must be specified with --alter',
      )
    }
    if (types.length !== names.length)
      throw new IllegalArgument('An entity name must be specified for every entity type')
  }
  return {
    opts,
    alter: opts.has('alter'),
    entityTypes: types,
    entityNames: names,
    bootstrap: opts.value('bootstrap-server') ?? opts.value('bootstrap-controller')!,
  }
}

/**
 * --add-config: `k1=v1,k2=[v1,v2],k3=v3` (commas inside brackets belong to the value, brackets are
 * dropped, blanks around '=' ignored).
 */
export function parseAddConfig(text: string): Map<string, string> {
  const notInBrackets = '(?=[^\\]]*(?:\\[|$))'
  const props = new Map<string, string>()
  for (const entry of text.split(new RegExp(`,${notInBrackets}`))) {
    const kv = entry.split(new RegExp(`\\s*=\\s*${notInBrackets}`))
    if (kv.length !== 2) {
      throw new IllegalArgument(
        'requirement failed: Invalid entity config: all configs to be added must be in the format "key=val".',
      )
    }
    props.set(kv[0].trim(), kv[1].replace(/[[\]]/g, '').trim())
  }
  for (const k of props.keys()) {
    if (!/^[a-zA-Z0-9._-]*$/.test(k))
      throw new IllegalArgument(`Invalid character found for config key: ${k}`)
  }
  return props
}
