// AlterUserScramCredentials: v0 and DescribeUserScramCredentials: v0 (KIP-554). Credentials are
// stored salted (security/scram-credential.ts) in the user configs of the metadata store
// (metadata/user-config-store.ts: ZooKeeper /config/users/<user>, or samsa-users.json). Per-user
// results and error messages follow Kafka's broker:
// - empty user name: UNACCEPTABLE_CREDENTIAL; unknown mechanism: UNSUPPORTED_SASL_MECHANISM;
//   iterations outside 4096..16384: UNACCEPTABLE_CREDENTIAL; the same user and mechanism twice in
//   one request: DUPLICATE_RESOURCE for that user; deleting a credential that does not exist:
//   RESOURCE_NOT_FOUND. A user with any failing entry is left unchanged.
// - Describe with no names lists every user with credentials; a named user without any:
//   RESOURCE_NOT_FOUND; a name twice: DUPLICATE_RESOURCE.
// Built per broker over its user config store (the handlers close over it). Not implemented:
// authorization (ALTER/DESCRIBE on the cluster) arrives with the ACL authorizer.

import type { UserConfigStore } from '../../metadata/user-config-store.ts'
import { ErrorCode } from '../../protocol/generated/error-codes.ts'
import {
  type AlterUserScramCredentialsRequest,
  type AlterUserScramCredentialsResponse,
  alterUserScramCredentialsRequestCodec,
  alterUserScramCredentialsResponseCodec,
} from '../../protocol/generated/messages/alter-user-scram-credentials.ts'
import {
  type DescribeUserScramCredentialsRequest,
  type DescribeUserScramCredentialsResponse,
  describeUserScramCredentialsRequestCodec,
  describeUserScramCredentialsResponseCodec,
} from '../../protocol/generated/messages/describe-user-scram-credentials.ts'
import {
  credentialFromSalted,
  formatScramCredential,
  parseScramCredential,
  SCRAM_MECHANISMS,
  scramMechanismByType,
} from '../../security/scram-credential.ts'
import type { Handler } from '../handler.ts'

interface UserResult {
  errorCode: number
  errorMessage: string | null
}

type Entry =
  | { kind: 'delete'; name: string; mechanism: number }
  | {
      kind: 'upsert'
      name: string
      mechanism: number
      iterations: number
      salt: Buffer
      saltedPassword: Buffer
    }

function check(e: Entry): UserResult | null {
  if (e.name === '')
    return { errorCode: ErrorCode.UNACCEPTABLE_CREDENTIAL, errorMessage: 'Username must not be empty' }
  const m = scramMechanismByType(e.mechanism)
  if (m === undefined)
    return { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, errorMessage: 'Unknown SCRAM mechanism' }
  if (e.kind === 'upsert') {
    if (e.iterations < m.minIterations)
      return { errorCode: ErrorCode.UNACCEPTABLE_CREDENTIAL, errorMessage: 'Too few iterations' }
    if (e.iterations > m.maxIterations)
      return { errorCode: ErrorCode.UNACCEPTABLE_CREDENTIAL, errorMessage: 'Too many iterations' }
  }
  return null
}

export function alterUserScramCredentialsHandler(
  store: UserConfigStore,
): Handler<AlterUserScramCredentialsRequest, AlterUserScramCredentialsResponse, unknown> {
  return {
    apiKey: 51,
    minVersion: 0,
    maxVersion: 0,
    request: alterUserScramCredentialsRequestCodec,
    response: alterUserScramCredentialsResponseCodec,

    async handle(_ctx, req) {
      const entries: Entry[] = [
        ...req.deletions.map((d) => ({ kind: 'delete' as const, name: d.name, mechanism: d.mechanism })),
        ...req.upsertions.map((u) => ({ kind: 'upsert' as const, ...u })),
      ]
      const byUser = new Map<string, Entry[]>()
      for (const e of entries) byUser.set(e.name, [...(byUser.get(e.name) ?? []), e])
      const results: AlterUserScramCredentialsResponse['results'] = []
      for (const [user, list] of byUser) {
        const outcome = await alterOne(store, user, list)
        results.push({ user, ...outcome })
      }
      return { throttleTimeMs: 0, results }
    },

    errorResponse(req, _version, errorCode) {
      const users = [...new Set([...req.deletions, ...req.upsertions].map((e) => e.name))]
      return { throttleTimeMs: 0, results: users.map((user) => ({ user, errorCode, errorMessage: null })) }
    },
  }
}

async function alterOne(store: UserConfigStore, user: string, list: Entry[]): Promise<UserResult> {
  const mechanisms = list.map((e) => e.mechanism)
  if (new Set(mechanisms).size !== mechanisms.length)
    return {
      errorCode: ErrorCode.DUPLICATE_RESOURCE,
      errorMessage: 'A user credential cannot be altered twice in the same request',
    }
  for (const e of list) {
    const bad = check(e)
    if (bad !== null) return bad
  }
  const current = await store.get(user)
  const set = new Map<string, string>()
  const remove: string[] = []
  for (const e of list) {
    const m = scramMechanismByType(e.mechanism)!
    if (e.kind === 'delete') {
      if (!current.has(m.name))
        return {
          errorCode: ErrorCode.RESOURCE_NOT_FOUND,
          errorMessage: 'Attempt to delete a user credential that does not exist',
        }
      remove.push(m.name)
    } else {
      set.set(m.name, formatScramCredential(credentialFromSalted(m, e.saltedPassword, e.salt, e.iterations)))
    }
  }
  await store.update(user, { set, remove })
  return { errorCode: ErrorCode.NONE, errorMessage: null }
}

/** `mechanism → iterations` of the user's stored SCRAM credentials. */
function credentialInfos(configs: ReadonlyMap<string, string>): { mechanism: number; iterations: number }[] {
  const out: { mechanism: number; iterations: number }[] = []
  for (const m of SCRAM_MECHANISMS) {
    const text = configs.get(m.name)
    const c = text === undefined ? null : parseScramCredential(text)
    if (c !== null) out.push({ mechanism: m.type, iterations: c.iterations })
  }
  return out
}

export function describeUserScramCredentialsHandler(
  store: UserConfigStore,
): Handler<DescribeUserScramCredentialsRequest, DescribeUserScramCredentialsResponse, unknown> {
  return {
    apiKey: 50,
    minVersion: 0,
    maxVersion: 0,
    request: describeUserScramCredentialsRequestCodec,
    response: describeUserScramCredentialsResponseCodec,

    async handle(_ctx, req) {
      const results: DescribeUserScramCredentialsResponse['results'] = []
      const named = req.users ?? []
      if (named.length === 0) {
        for (const user of await store.users()) {
          const infos = credentialInfos(await store.get(user))
          if (infos.length > 0)
            results.push({ user, errorCode: 0, errorMessage: null, credentialInfos: infos })
        }
        return { throttleTimeMs: 0, errorCode: 0, errorMessage: null, results }
      }
      const counts = new Map<string, number>()
      for (const u of named) counts.set(u.name, (counts.get(u.name) ?? 0) + 1)
      for (const [user, count] of counts) {
        if (count > 1) {
          results.push({
            user,
            errorCode: ErrorCode.DUPLICATE_RESOURCE,
            errorMessage: 'Cannot describe SCRAM credentials for the same user twice in a single request',
            credentialInfos: [],
          })
          continue
        }
        const infos = credentialInfos(await store.get(user))
        results.push(
          infos.length > 0
            ? { user, errorCode: 0, errorMessage: null, credentialInfos: infos }
            : {
                user,
                errorCode: ErrorCode.RESOURCE_NOT_FOUND,
                errorMessage: 'Attempt to describe a user credential that does not exist',
                credentialInfos: [],
              },
        )
      }
      return { throttleTimeMs: 0, errorCode: 0, errorMessage: null, results }
    },

    errorResponse(_req, _version, errorCode) {
      return { throttleTimeMs: 0, errorCode, errorMessage: null, results: [] }
    },
  }
}
