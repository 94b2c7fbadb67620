// AlterUserScramCredentials / DescribeUserScramCredentials over both user config stores (the
// single-node file on an in-memory Fs, ZooKeeper on the in-memory ensemble): Kafka's per-user
// errors and messages, what is stored (salted keys only, Kafka's text form and znode), and that a
// credential written by the handler authenticates through the SCRAM server.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createLogger, LogLevel } from '../../../src/common/logger.ts'
import { MemoryFs } from '../../../src/common/memory-fs.ts'
import { FileUserConfigStore, type UserConfigStore } from '../../../src/metadata/user-config-store.ts'
import { MemoryZk } from '../../../src/metadata/zk/zk-memory.ts'
import { ZkUserConfigStore } from '../../../src/metadata/zk/zk-user-configs.ts'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'
import { ScramClient } from '../../../src/security/scram-client.ts'
import {
  parseScramCredential,
  saltedPassword,
  scramMechanismByName,
} from '../../../src/security/scram-credential.ts'
import { ScramServer } from '../../../src/security/scram-server.ts'
import type { RequestContext } from '../../../src/server/handler.ts'
import {
  alterUserScramCredentialsHandler,
  describeUserScramCredentialsHandler,
} from '../../../src/server/handlers/user-scram-credentials.ts'

const SHA256 = scramMechanismByName('SCRAM-SHA-256')!
const SHA512 = scramMechanismByName('SCRAM-SHA-512')!
const ctx = {
  apiKey: 51,
  apiVersion: 0,
  correlationId: 1,
  clientId: 't',
  connection: { id: 1, remote: 'x', listener: 'PLAINTEXT', principal: 'User:ANONYMOUS' },
  log: createLogger('t', LogLevel.error),
} as RequestContext

function upsert(name: string, m = SHA512, password = 'pw', iterations = 4096) {
  const salt = Buffer.from('0123456789abcdef')
  return {
    name,
    mechanism: m.type,
    iterations,
    salt,
    saltedPassword: saltedPassword(m, password, salt, iterations),
  }
}

function suite(
  label: string,
  make: () => Promise<{ store: UserConfigStore; raw: () => Promise<string | null> }>,
) {
  describe(`SCRAM credential APIs (${label})`, () => {
    it('stores salted credentials, describes them and authenticates with them', async () => {
      const { store, raw } = await make()
      const alter = alterUserScramCredentialsHandler(store)
      const res = await alter.handle(
        ctx,
        { deletions: [], upsertions: [upsert('alice'), upsert('alice', SHA256, 'pw', 8192)] },
        null,
      )
      assert.deepEqual(res!.results, [{ user: 'alice', errorCode: 0, errorMessage: null }])
      const text = (await raw())!
      assert.match(
        text,
        /SCRAM-SHA-512.*salt=MDEyMzQ1Njc4OWFiY2RlZg==,stored_key=[^,]+,server_key=[^,]+,iterations=4096/,
      )
      assert.doesNotMatch(text, /saltedPassword|"pw"/)
      const describeH = describeUserScramCredentialsHandler(store)
      const d = await describeH.handle(ctx, { users: null }, null)
      assert.deepEqual(d!.results, [
        {
          user: 'alice',
          errorCode: 0,
          errorMessage: null,
          credentialInfos: [
            { mechanism: 1, iterations: 8192 },
            { mechanism: 2, iterations: 4096 },
          ],
        },
      ])
      const stored = parseScramCredential((await store.get('alice')).get('SCRAM-SHA-512')!)
      const server = new ScramServer(SHA512, () => stored)
      const client = new ScramClient(SHA512, 'alice', 'pw')
      client.verifyServerFinal(
        await server.evaluate(client.finalMessage(await server.evaluate(client.firstMessage()))),
      )
      assert.equal(server.authorizationId, 'alice')
    })

    it("answers Kafka's per-user errors and leaves failing users unchanged", async () => {
      const { store } = await make()
      const alter = alterUserScramCredentialsHandler(store)
      const res = await alter.handle(
        ctx,
        {
          deletions: [
            { name: 'bob', mechanism: 2 },
            { name: 'dup', mechanism: 1 },
          ],
          upsertions: [
            upsert(''),
            { ...upsert('weird'), mechanism: 7 },
            upsert('few', SHA256, 'x', 100),
            upsert('many', SHA256, 'x', 20000),
            upsert('dup', SHA256),
          ],
        },
        null,
      )
      const byUser = Object.fromEntries(res!.results.map((r) => [r.user, [r.errorCode, r.errorMessage]]))
      assert.deepEqual(byUser, {
        bob: [ErrorCode.RESOURCE_NOT_FOUND, 'Attempt to delete a user credential that does not exist'],
        dup: [ErrorCode.DUPLICATE_RESOURCE, 'A user credential cannot be altered twice in the same request'],
        '': [ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Username must not be empty'],
        weird: [ErrorCode.UNSUPPORTED_SASL_MECHANISM, 'Unknown SCRAM mechanism'],
        few: [ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Too few iterations'],
        many: [ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Too many iterations'],
      })
      assert.deepEqual(await store.users(), [])
      const d = await describeUserScramCredentialsHandler(store).handle(
        ctx,
        { users: [{ name: 'nobody' }, { name: 'x' }, { name: 'x' }] },
        null,
      )
      assert.deepEqual(
        d!.results.map((r) => [r.user, r.errorCode]),
        [
          ['nobody', ErrorCode.RESOURCE_NOT_FOUND],
          ['x', ErrorCode.DUPLICATE_RESOURCE],
        ],
      )
    })

    it('deletes one mechanism and keeps the other', async () => {
      const { store } = await make()
      const alter = alterUserScramCredentialsHandler(store)
      await alter.handle(ctx, { deletions: [], upsertions: [upsert('carol'), upsert('carol', SHA256)] }, null)
      const res = await alter.handle(
        ctx,
        { deletions: [{ name: 'carol', mechanism: 2 }], upsertions: [] },
        null,
      )
      assert.equal(res!.results[0]!.errorCode, 0)
      assert.deepEqual([...(await store.get('carol')).keys()], ['SCRAM-SHA-256'])
    })
  })
}

suite('single-node file', async () => {
  const fs = new MemoryFs()
  await fs.mkdir('/logs')
  const store = new FileUserConfigStore(fs, '/logs')
  return {
    store,
    raw: async () => {
      try {
        return (await fs.readFile('/logs/samsa-users.json')).toString()
      } catch {
        return null
      }
    },
  }
})

suite('ZooKeeper', async () => {
  const mz = new MemoryZk()
  const zk = mz.connect()
  await zk.mkdirp('/config/changes')
  const store = new ZkUserConfigStore(zk)
  return {
    store,
    raw: async () => {
      const dump = mz.dump('/config')
      const changes = Object.entries(dump).filter(([k]) => k.startsWith('/config/changes/config_change_'))
      assert.ok(
        changes.some(([, v]) => v === '{"version":2,"entity_path":"users/alice"}'),
        JSON.stringify(dump),
      )
      return dump['/config/users/alice'] ?? null
    },
  }
})
