// kafka-configs.sh for `--entity-type users`: SCRAM credentials through AlterUserScramCredentials
// and DescribeUserScramCredentials, with ConfigCommand's syntax and output:
//
//   --alter --add-config 'SCRAM-SHA-512=[password=alice-secret],SCRAM-SHA-256=[iterations=8192,password=s]'
//   --alter --delete-config 'SCRAM-SHA-512'
//   --describe [--entity-name alice]
//     SCRAM credential configs for user-principal 'alice' are SCRAM-SHA-256=iterations=8192, SCRAM-SHA-512=iterations=4096
//
// The password never leaves the tool: it is salted here (random 32-byte salt, PBKDF2 with the
// mechanism's HMAC, default 4096 iterations as in Kafka) and only the salted password is sent.
// User quotas (producer_byte_rate, ...) are altered by quotas.ts; one alter changes either.

import { randomBytes } from 'node:crypto'
import type { Admin } from '@platformatic/kafka'
import {
  saltedPassword,
  scramMechanismByName,
  scramMechanismByType,
} from '../../security/scram-credential.ts'
import type { Io } from '../common/io.ts'
import { rawRequest } from '../common/kafka.ts'
import { type ConfigCommandOptions, IllegalArgument, parseAddConfig } from './options.ts'

const DEFAULT_ITERATIONS = 4096

interface UserResult {
  user: string
  errorCode: number
  errorMessage: string | null
}

interface DescribeResult extends UserResult {
  credentialInfos: { mechanism: number; iterations: number }[]
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

/** `password=...` and optional `iterations=...` inside a SCRAM-SHA-*=[...] value. */
function scramValue(mechanism: string, value: string): { password: string; iterations: number } {
  const parts = new Map<string, string>()
  for (const p of value.split(',')) {
    const eq = p.indexOf('=')
    if (eq <= 0)
      throw new IllegalArgument(`Invalid value for ${mechanism}: expected [iterations=N,]password=...`)
    parts.set(p.slice(0, eq).trim(), p.slice(eq + 1).trim())
  }
  const password = parts.get('password')
  if (password === undefined || password === '')
    throw new IllegalArgument(`Invalid value for ${mechanism}: a password is required (password=...)`)
  const iterationsText = parts.get('iterations')
  const iterations = iterationsText === undefined ? DEFAULT_ITERATIONS : Number(iterationsText)
  if (!Number.isInteger(iterations))
    throw new IllegalArgument(`Invalid iterations for ${mechanism}: ${iterationsText}`)
  return { password, iterations }
}

function failure(r: UserResult): string {
  return r.errorMessage ?? `error code ${r.errorCode}`
}

export async function alterUser(admin: Admin, cmd: ConfigCommandOptions, io: Io): Promise<number> {
  const name = cmd.entityNames[0]!
  const { opts } = cmd
  if (name === '')
    throw new IllegalArgument(
      'The use of --entity-default or --user-defaults is not allowed with User SCRAM Credentials using --bootstrap-server.',
    )
  const adds = opts.has('add-config') ? parseAddConfig(opts.value('add-config')!) : new Map<string, string>()
  const deletes = opts.values('delete-config').flatMap((d) => d.split(',').map((k) => k.trim()))
  const other = [...adds.keys(), ...deletes].filter((k) => scramMechanismByName(k) === undefined)
  if (other.length > 0)
    throw new IllegalArgument(
      `Quota configs (${other.join(', ')}) and SCRAM credentials cannot be changed in one command: alter them separately.`,
    )
  const upsertions = [...adds].map(([mech, value]) => {
    const m = scramMechanismByName(mech)!
    const { password, iterations } = scramValue(mech, value)
    const salt = randomBytes(32)
    return {
      name,
      mechanism: m.type,
      iterations,
      salt,
      saltedPassword: saltedPassword(m, password, salt, iterations),
    }
  })
  const deletions = deletes.map((mech) => ({ name, mechanism: scramMechanismByName(mech)!.type }))
  const res = await request<{ results: UserResult[] }>(
    admin,
    'AlterUserScramCredentials',
    deletions,
    upsertions,
  )
  const bad = res.results.find((r) => r.errorCode !== 0)
  if (bad !== undefined) {
    io.err(
      `Error while executing config command with args '--alter --entity-type users --entity-name ${name}'\n${failure(bad)}\n`,
    )
    return 1
  }
  io.out(`Completed updating config for user ${name}.\n`)
  return 0
}

export async function describeUsers(admin: Admin, cmd: ConfigCommandOptions, io: Io): Promise<number> {
  const name = cmd.entityNames[0]
  const users = name === undefined || name === '' ? null : [{ name }]
  const res = await request<{ errorCode: number; errorMessage: string | null; results: DescribeResult[] }>(
    admin,
    'DescribeUserScramCredentials',
    users,
  )
  if (res.errorCode !== 0) {
    io.err(`${res.errorMessage ?? `error code ${res.errorCode}`}\n`)
    return 1
  }
  for (const r of res.results) {
    // A named user without credentials prints nothing, as Kafka's tool does.
    if (r.errorCode !== 0) continue
    const infos = r.credentialInfos
      .map(
        (c) =>
          `${scramMechanismByType(c.mechanism)?.name ?? `UNKNOWN(${c.mechanism})`}=iterations=${c.iterations}`,
      )
      .join(', ')
    io.out(`SCRAM credential configs for user-principal '${r.user}' are ${infos}\n`)
  }
  return 0
}
