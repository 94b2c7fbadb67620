// kafka-configs.sh for client quotas (`--entity-type users|clients`, both together for a user's
// client-id, `--entity-default` for the defaults) through AlterClientQuotas and
// DescribeClientQuotas, with ConfigCommand's syntax and output:
//
//   --alter --entity-type clients --entity-name app --add-config 'producer_byte_rate=1048576'
//     Completed updating config for client app.
//   --describe --entity-type clients --entity-name app
//     Quota configs for client-id 'app' are producer_byte_rate=1048576.0
//   --describe --entity-type users --entity-default
//     Quota configs for the default user-principal are consumer_byte_rate=2048.0
//
// Described entities are filtered as Kafka's tool does: only entities made of exactly the given
// types (strict), a name matching exactly, a default matching the default, no name matching any.

import type { Admin } from '@platformatic/kafka'
import type { Io } from '../common/io.ts'
import { rawRequest } from '../common/kafka.ts'
import { type ConfigCommandOptions, IllegalArgument, parseAddConfig } from './options.ts'

export const QUOTA_KEYS: readonly string[] = [
  'producer_byte_rate',
  'consumer_byte_rate',
  'request_percentage',
  'controller_mutation_rate',
  'connection_creation_rate',
]

const WIRE_TYPE: Record<string, string> = { users: 'user', clients: 'client-id', ips: 'ip' }

interface Entity {
  entityType: string
  entityName: string | null
}

/** The response even when the client rejected it for carrying error codes. */
async function request<T>(admin: Admin, api: string, ...args: unknown[]): Promise<T> {
  try {
    return await rawRequest<T>(admin, api, ...args)
  } catch (e) {
    const response = (e as { response?: unknown }).response as T | undefined
    if (response !== undefined && response !== null) return response
    throw e
  }
}

function entities(cmd: ConfigCommandOptions): Entity[] {
  return cmd.entityTypes.map((t, i) => {
    const name = cmd.entityNames[i]
    return { entityType: WIRE_TYPE[t]!, entityName: name === undefined || name === '' ? null : name }
  })
}

/** `user-principal 'alice', client-id 'app'` / `the default user-principal`. */
function entityText(es: readonly Entity[]): string {
  return es
    .map((e) => {
      const what = e.entityType === 'user' ? 'user-principal' : e.entityType
      return e.entityName === null ? `the default ${what}` : `${what} '${e.entityName}'`
    })
    .join(', ')
}

/** Kafka prints quota values as doubles. */
const double = (v: number): string => (Number.isInteger(v) ? v.toFixed(1) : String(v))

export async function alterQuotas(admin: Admin, cmd: ConfigCommandOptions, io: Io): Promise<number> {
  const { opts } = cmd
  const adds = opts.has('add-config') ? parseAddConfig(opts.value('add-config')!) : new Map<string, string>()
  const deletes = opts.values('delete-config').flatMap((d) => d.split(',').map((k) => k.trim()))
  const ops: { key: string; value?: number; remove: boolean }[] = []
  for (const [k, v] of adds) {
    const n = Number(v)
    if (!QUOTA_KEYS.includes(k)) throw new IllegalArgument(`Invalid config(s): ${k}`)
    if (v === '' || !Number.isFinite(n)) throw new IllegalArgument(`Invalid value ${v} for config ${k}`)
    ops.push({ key: k, value: n, remove: false })
  }
  for (const k of deletes) {
    if (!QUOTA_KEYS.includes(k)) throw new IllegalArgument(`Invalid config(s): ${k}`)
    ops.push({ key: k, remove: true })
  }
  const entity = entities(cmd)
  const res = await request<{ entries: { errorCode: number; errorMessage: string | null }[] }>(
    admin,
    'AlterClientQuotas',
    [{ entities: entity, ops }],
    false,
  )
  const bad = res.entries.find((e) => e.errorCode !== 0)
  if (bad !== undefined) {
    io.err(
      `Error while executing config command with args '${cmd.opts.occurrences.map((o) => `--${o.name} ${o.values.join(' ')}`).join(' ')}'\n${bad.errorMessage ?? `error code ${bad.errorCode}`}\n`,
    )
    return 1
  }
  const named = entity.filter((e) => e.entityName !== null)
  if (named.length === entity.length)
    io.out(
      `Completed updating config for ${entity.map((e) => `${e.entityType === 'user' ? 'user' : e.entityType === 'client-id' ? 'client' : 'ip'} ${e.entityName}`).join(', ')}.\n`,
    )
  else if (entity.length === 1)
    io.out(`Completed updating default config for ${cmd.entityTypes[0]} in the cluster.\n`)
  else io.out(`Completed updating config for ${entityText(entity)}.\n`)
  return 0
}

export async function describeQuotas(admin: Admin, cmd: ConfigCommandOptions, io: Io): Promise<number> {
  const components = cmd.entityTypes.map((t, i) => {
    const name = cmd.entityNames[i]
    const entityType = WIRE_TYPE[t]!
    if (name === undefined) return { entityType, matchType: 2 }
    if (name === '') return { entityType, matchType: 1 }
    return { entityType, matchType: 0, match: name }
  })
  const res = await request<{
    errorCode: number
    errorMessage: string | null
    entries: { entity: Entity[]; values: { key: string; value: number }[] }[] | null
  }>(admin, 'DescribeClientQuotas', components, true)
  if (res.errorCode !== 0) {
    io.err(`${res.errorMessage ?? `error code ${res.errorCode}`}\n`)
    return 1
  }
  const order = (e: Entity) => (e.entityType === 'user' ? 0 : 1)
  for (const entry of res.entries ?? []) {
    const es = [...entry.entity].sort((a, b) => order(a) - order(b))
    const values = entry.values.map((v) => `${v.key}=${double(v.value)}`).join(', ')
    io.out(`Quota configs for ${entityText(es)} are ${values}\n`)
  }
  return 0
}
