// kafka-configs.sh: describe and alter dynamic configs of topics, brokers (one or the cluster
// default), broker loggers, groups and client-metrics resources, through DescribeConfigs and
// IncrementalAlterConfigs, printing what Kafka's ConfigCommand prints:
//
//   Dynamic configs for topic t are:
//     retention.ms=1000 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=1000}
//   Completed updating config for topic t.
//
// Users' SCRAM credentials are handled in users.ts, client quotas of users and clients in
// quotas.ts (a users alter goes there when it names only quota keys; a users describe shows both).
// The ip entity (connection_creation_rate) is not served: the tool says so.

import type { Admin, ConfigDescription } from '@platformatic/kafka'
import { validateTopicName } from '../../metadata/topic-name.ts'
import { ToolExit } from '../common/exit.ts'
import type { Io } from '../common/io.ts'
import { closeQuietly, errorMessage, openAdmin, rawMetadata, rawRequest } from '../common/kafka.ts'
import { loadProps } from '../common/props.ts'
import { type ConfigCommandOptions, IllegalArgument, parseAddConfig, parseConfigOptions } from './options.ts'
import { alterQuotas, describeQuotas, QUOTA_KEYS } from './quotas.ts'
import { alterUser, describeUsers } from './users.ts'

/** Kafka's ConfigEntry.ConfigSource names by wire value. */
export const CONFIG_SOURCES = [
  'UNKNOWN',
  'DYNAMIC_TOPIC_CONFIG',
  'DYNAMIC_BROKER_CONFIG',
  'DYNAMIC_DEFAULT_BROKER_CONFIG',
  'STATIC_BROKER_CONFIG',
  'DEFAULT_CONFIG',
  'DYNAMIC_BROKER_LOGGER_CONFIG',
  'DYNAMIC_CLIENT_METRICS_CONFIG',
  'DYNAMIC_GROUP_CONFIG',
] as const

const RESOURCE: Record<string, number> = {
  topics: 2,
  brokers: 4,
  'broker-loggers': 8,
  'client-metrics': 16,
  groups: 32,
}

class InvalidConfiguration extends Error {}

export interface ConfigLine {
  name: string
  value: string | null
  isSensitive: boolean
  synonyms: { name: string; value: string | null; source: number }[]
}

/** `  name=value sensitive=false synonyms={SOURCE:name=value, ...}` */
export function configLine(e: ConfigLine): string {
  const synonyms = e.synonyms
    .map((s) => `${CONFIG_SOURCES[s.source] ?? 'UNKNOWN'}:${s.name}=${s.value}`)
    .join(', ')
  return `  ${e.name}=${e.value} sensitive=${e.isSensitive} synonyms={${synonyms}}`
}

/** The source whose entries --describe shows without --all. */
function dynamicSource(entityType: string, name: string): number | null {
  switch (entityType) {
    case 'topics':
      return 1
    case 'brokers':
      return name === '' ? 3 : 2
    case 'client-metrics':
      return 7
    case 'groups':
      return 8
    default:
      return null
  }
}

async function resourceConfigs(
  admin: Admin,
  entityType: string,
  name: string,
  includeSynonyms: boolean,
  all: boolean,
): Promise<ConfigLine[]> {
  if (entityType === 'topics' && name !== '') {
    const invalid = validateTopicName(name)
    if (invalid !== null) throw new Error(invalid)
  }
  if ((entityType === 'brokers' && name !== '') || (entityType === 'broker-loggers' && name !== '')) {
    if (!/^[+-]?\d+$/.test(name)) {
      throw new IllegalArgument(
        `The entity name for ${entityType} must be a valid integer broker id, found: ${name}`,
      )
    }
  }
  const resources = [{ resourceType: RESOURCE[entityType] as 2, resourceName: name }]
  // The client routes broker resources to the broker the name numbers; the cluster default ('')
  // goes to any broker.
  const result =
    name === ''
      ? (
          await rawRequest<{ results: ConfigDescription[] }>(
            admin,
            'DescribeConfigs',
            resources,
            includeSynonyms,
            false,
          )
        ).results
      : await admin.describeConfigs({ resources, includeSynonyms })
  const source = all ? null : dynamicSource(entityType, name)
  return (result[0]?.configs ?? [])
    .filter((c) => source === null || c.configSource === source)
    .map((c) => ({
      name: c.name,
      value: c.value ?? null,
      isSensitive: c.isSensitive,
      synonyms: (c.synonyms ?? []).map((s) => ({ name: s.name, value: s.value ?? null, source: s.source })),
    }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
}

async function describe(admin: Admin, cmd: ConfigCommandOptions, io: Io): Promise<void> {
  const type = cmd.entityTypes[0]
  const all = cmd.opts.has('all')
  let entities: string[]
  if (cmd.entityNames.length > 0) entities = [cmd.entityNames[0]]
  else if (type === 'topics') entities = await admin.listTopics({ includeInternals: true })
  else if (type === 'brokers' || type === 'broker-loggers') {
    const md = await rawMetadata(admin, [])
    entities = [...md.brokers.map((b) => String(b.nodeId)), '']
  } else if (type === 'groups') {
    entities = [...(await admin.listGroups()).keys()]
  } else entities = []
  for (const entity of entities) {
    if (entity === '' && (type === 'brokers' || type === 'broker-loggers')) {
      io.out(`Default configs for ${type} in the cluster are:\n`)
    } else {
      io.out(`${all ? 'All' : 'Dynamic'} configs for ${type.slice(0, -1)} ${entity} are:\n`)
    }
    for (const e of await resourceConfigs(admin, type, entity, true, all)) io.out(`${configLine(e)}\n`)
  }
}

async function alter(admin: Admin, cmd: ConfigCommandOptions, io: Io): Promise<void> {
  const type = cmd.entityTypes[0]
  const name = cmd.entityNames[0]
  const { opts } = cmd
  const adds = new Map<string, string>()
  if (opts.has('add-config-file'))
    for (const [k, v] of loadProps(opts.value('add-config-file')!, io.cwd)) adds.set(k, v)
  if (opts.has('add-config')) for (const [k, v] of parseAddConfig(opts.value('add-config')!)) adds.set(k, v)
  for (const k of adds.keys()) {
    if (!/^[a-zA-Z0-9._-]*$/.test(k))
      throw new IllegalArgument(`Invalid character found for config key: ${k}`)
  }
  const deletes = opts.values('delete-config').map((k) => k.trim())
  const current = new Set(
    (await resourceConfigs(admin, type, name, type === 'broker-loggers', type === 'broker-loggers')).map(
      (e) => e.name,
    ),
  )
  const invalid = deletes.filter((k) => !current.has(k))
  if (invalid.length > 0) throw new InvalidConfiguration(`Invalid config(s): ${invalid.join(',')}`)
  if (type === 'broker-loggers') {
    const unknown = [...adds.keys()].filter((k) => !current.has(k))
    if (unknown.length > 0) throw new InvalidConfiguration(`Invalid broker logger(s): ${unknown.join(',')}`)
  }
  const resources = [
    {
      resourceType: RESOURCE[type] as 2,
      resourceName: name,
      configs: [
        ...[...adds].map(([k, v]) => ({ name: k, configOperation: 0 as const, value: v })),
        ...deletes.map((k) => ({ name: k, configOperation: 1 as const })),
      ],
    },
  ]
  if (name === '') await rawRequest(admin, 'IncrementalAlterConfigs', resources, false)
  else await admin.incrementalAlterConfigs({ resources })
  io.out(
    name !== ''
      ? `Completed updating config for ${type.slice(0, -1)} ${name}.\n`
      : `Completed updating default config for ${type} in the cluster.\n`,
  )
}

export async function run(argv: readonly string[], io: Io): Promise<number> {
  let cmd: ConfigCommandOptions
  try {
    cmd = parseConfigOptions(argv)
  } catch (e) {
    if (e instanceof IllegalArgument) throw new ToolExit(1, `${e.message}\n`)
    throw e
  }
  const type = cmd.entityTypes[0]
  if (cmd.entityTypes.includes('ips')) {
    throw new ToolExit(
      1,
      "Entity type 'ips' (connection_creation_rate) is not supported by Samsa yet; users and clients quotas are.\n",
    )
  }
  const quotaTypes = type === 'users' || type === 'clients'
  const keys = [
    ...(cmd.opts.has('add-config') ? parseAddConfig(cmd.opts.value('add-config')!).keys() : []),
    ...cmd.opts.values('delete-config').flatMap((d) => d.split(',').map((k) => k.trim())),
  ]
  const scramUsers =
    type === 'users' &&
    cmd.entityTypes.length === 1 &&
    !(cmd.alter && keys.every((k) => QUOTA_KEYS.includes(k)))
  const props = cmd.opts.has('command-config')
    ? loadProps(cmd.opts.value('command-config')!, io.cwd)
    : new Map<string, string>()
  const admin = await openAdmin('adminclient-1', cmd.bootstrap, props)
  try {
    if (scramUsers && cmd.alter) return await alterUser(admin, cmd, io)
    if (quotaTypes && cmd.alter) return await alterQuotas(admin, cmd, io)
    if (quotaTypes) {
      const code = await describeQuotas(admin, cmd, io)
      if (code !== 0 || !scramUsers || cmd.entityNames[0] === '') return code
      return await describeUsers(admin, cmd, io)
    }
    if (cmd.alter) await alter(admin, cmd, io)
    else await describe(admin, cmd, io)
    return 0
  } catch (e) {
    if (e instanceof ToolExit) throw e
    if (e instanceof IllegalArgument || e instanceof InvalidConfiguration) {
      io.err(`${e.message}\n`)
    } else {
      io.err(`Error while executing config command with args '${argv.join(' ')}'\n${errorMessage(e)}\n`)
    }
    return 1
  } finally {
    await closeQuietly(admin)
  }
}
