// The internal wire client's SASL (what brokers use towards each other on a SASL inter-broker
// listener) against an in-process broker with a SASL_PLAINTEXT listener: PLAIN and SCRAM-SHA-512
// authenticate before the first request goes out (requests sent meanwhile wait), a wrong password
// fails the send with CONNECT and Kafka's message, and with a session lifetime the client replaces
// its connection before the broker would close it.

import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { type RunningBroker, startBroker } from '../../../src/broker/broker.ts'
import { BrokerClient, type RequestSpec } from '../../../src/client/broker-client.ts'
import { createLogger, LogLevel } from '../../../src/common/logger.ts'
import { nodeFs } from '../../../src/common/node-fs.ts'
import { FileUserConfigStore } from '../../../src/metadata/user-config-store.ts'
import {
  type ApiVersionsRequest,
  type ApiVersionsResponse,
  apiVersionsRequestCodec,
  apiVersionsResponseCodec,
} from '../../../src/protocol/generated/messages/api-versions.ts'
import {
  type MetadataRequest,
  type MetadataResponse,
  metadataRequestCodec,
  metadataResponseCodec,
} from '../../../src/protocol/generated/messages/metadata.ts'
import { saslClient } from '../../../src/security/sasl-client.ts'
import {
  credentialFromPassword,
  formatScramCredential,
  scramMechanismByName,
} from '../../../src/security/scram-credential.ts'

const METADATA: RequestSpec<MetadataRequest, MetadataResponse> = {
  apiKey: 3,
  version: 1,
  request: metadataRequestCodec,
  response: metadataResponseCodec,
}
const API_VERSIONS: RequestSpec<ApiVersionsRequest, ApiVersionsResponse> = {
  apiKey: 18,
  version: 3,
  request: apiVersionsRequestCodec,
  response: apiVersionsResponseCodec,
}

describe('BrokerClient over SASL', () => {
  let dir: string
  let broker: RunningBroker
  let port: number
  let reauthPort: number
  const clients: BrokerClient[] = []
  const client = (mechanism: string, username: string, password: string, p = port) => {
    const c = new BrokerClient({
      host: '127.0.0.1',
      port: p,
      clientId: 't',
      sasl: saslClient({ mechanism, username, password }),
      connectTimeoutMs: 3000,
    })
    clients.push(c)
    return c
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'samsa-sasl-client-'))
    const sha512 = scramMechanismByName('SCRAM-SHA-512')!
    await new FileUserConfigStore(nodeFs, dir).update('alice', {
      set: new Map([
        ['SCRAM-SHA-512', formatScramCredential(credentialFromPassword(sha512, 'alice-secret'))],
      ]),
    })
    broker = await startBroker({
      logger: createLogger('t', LogLevel.error),
      config: {
        listeners: 'PLAINTEXT://127.0.0.1:0,SASL://127.0.0.1:0,REAUTH://127.0.0.1:0',
        'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,SASL:SASL_PLAINTEXT,REAUTH:SASL_PLAINTEXT',
        'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-512',
        'listener.name.sasl.plain.sasl.jaas.config': 'P required user_broker="broker-secret";',
        'listener.name.reauth.plain.sasl.jaas.config': 'P required user_broker="broker-secret";',
        'listener.name.reauth.connections.max.reauth.ms': 1000,
        'log.dirs': dir,
      },
    })
    port = broker.listeners.find((l) => l.name === 'SASL')!.port
    reauthPort = broker.listeners.find((l) => l.name === 'REAUTH')!.port
  })

  after(async () => {
    for (const c of clients) c.close()
    await broker?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  for (const [mechanism, user, password] of [
    ['PLAIN', 'broker', 'broker-secret'],
    ['SCRAM-SHA-512', 'alice', 'alice-secret'],
  ] as const) {
    it(`${mechanism}: requests sent before authentication completes are answered after it`, async () => {
      const c = client(mechanism, user, password)
      const [v, md] = await Promise.all([
        c.send(API_VERSIONS, {
          ...apiVersionsRequestCodec.defaults(3),
          clientSoftwareName: 't',
          clientSoftwareVersion: '1',
        }),
        c.send(METADATA, { ...metadataRequestCodec.defaults(1), topics: [] }),
      ])
      assert.equal(v.errorCode, 0)
      assert.equal(md.brokers.length, 1)
    })
  }

  it('a wrong password fails the send with CONNECT and the broker message', async () => {
    const c = client('PLAIN', 'broker', 'nope')
    await assert.rejects(
      c.send(METADATA, { ...metadataRequestCodec.defaults(1), topics: [] }),
      (e: Error & { code?: string }) =>
        e.code === 'CONNECT' && /Authentication failed: Invalid username or password/.test(e.message),
    )
  })

  it('a broker with an unusable SASL setup refuses to start, one line per problem', async () => {
    await assert.rejects(
      startBroker({
        logger: createLogger('t', LogLevel.error),
        config: {
          listeners: 'SASL_PLAINTEXT://127.0.0.1:0,OTHER://127.0.0.1:0',
          'listener.security.protocol.map': 'SASL_PLAINTEXT:SASL_PLAINTEXT,OTHER:SASL_PLAINTEXT',
          'listener.name.other.sasl.enabled.mechanisms': 'PLAIN',
          'log.dirs': join(dir, 'refused'),
        },
      }),
      (e: Error & { problems?: string[] }) =>
        e.problems?.length === 2 &&
        /Listener SASL_PLAINTEXT: SASL mechanism GSSAPI is not supported by Samsa/.test(e.problems[0]!) &&
        /Listener OTHER: PLAIN is enabled but listener\.name\.other\.plain\.sasl\.jaas\.config is not set/.test(
          e.problems[1]!,
        ),
    )
  })

  it('replaces the connection before the session lifetime ends', async () => {
    const c = client('PLAIN', 'broker', 'broker-secret', reauthPort)
    const md = { ...metadataRequestCodec.defaults(1), topics: [] }
    // Sixteen sends 100 ms apart span more than the 1,000 ms lifetime; every one must be answered
    // (the broker closes a connection whose session has ended). Timed by the monotonic clock: a
    // step of the wall clock once ended a Date.now() loop after 0.57 s, before the lifetime.
    const start = performance.now()
    for (let i = 0; i < 16; i++) {
      const res = await c.send(METADATA, md)
      assert.equal(res.brokers.length, 1)
      await new Promise((r) => setTimeout(r, 100))
    }
    assert.ok(performance.now() - start > 1500)
  })
})
