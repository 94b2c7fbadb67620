// SASL_PLAINTEXT and SASL_SSL with real clients against one broker process (listeners PLAINTEXT
// for the admin tool, SASL with PLAIN / SCRAM-SHA-256 / SCRAM-SHA-512 / OAUTHBEARER, SASL_SSL with
// the same mechanisms over TLS (certificates made with openssl; its tests are skipped when the CLI
// is missing), and REAUTH, a SASL listener with connections.max.reauth.ms=1000): SCRAM users made
// with kafka-configs.sh (stored salted); kcat, confluent-kafka, kafka-python (legacy SaslHandshake
// v0 + raw tokens) and kafkajs produce and consume with each mechanism on both SASL listeners;
// wrong passwords fail with Kafka's messages after the failed-authentication delay; hostile input
// on the SASL path closes only that connection; KIP-368 session lifetimes are sent and enforced,
// and kafkajs re-authenticates across them.

import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { connect as tlsConnect } from 'node:tls'
import kafkajs from 'kafkajs'
import type { MessageCodec } from '../../src/protocol/codec.ts'
import { decodeResponseFrame, encodeRequestFrame } from '../../src/protocol/frame.ts'
import { ErrorCode } from '../../src/protocol/generated/error-codes.ts'
import {
  metadataRequestCodec,
  metadataResponseCodec,
} from '../../src/protocol/generated/messages/metadata.ts'
import {
  saslAuthenticateRequestCodec,
  saslAuthenticateResponseCodec,
} from '../../src/protocol/generated/messages/sasl-authenticate.ts'
import {
  saslHandshakeRequestCodec,
  saslHandshakeResponseCodec,
} from '../../src/protocol/generated/messages/sasl-handshake.ts'
import { plainClientToken } from '../../src/security/sasl-plain.ts'
import { type BrokerProcess, REPO, startBrokerProcess } from '../support/broker-process.ts'
import { kcat, PY_DIR, PYTHON, run, runOk } from '../support/e2e-clients.ts'
import { makeTestCerts, opensslAvailable, type TestCerts } from './tls-certs.ts'

const { Kafka, logLevel, Partitioners } = kafkajs

const JAAS =
  'org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" user_admin="admin-secret" user_alice="alice-secret";'
const MECHS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const

const tlsSkip = opensslAvailable() ? false : 'the openssl CLI is missing (no certificates for SASL_SSL)'
if (tlsSkip) console.log(`# sasl-clients: SASL_SSL tests skipped: ${tlsSkip}`)

/** The client SASL listeners every per-client test runs over; the listener name is the protocol's. */
const LISTENERS = [
  { name: 'SASL', protocol: 'SASL_PLAINTEXT', skip: false },
  { name: 'SASL_SSL', protocol: 'SASL_SSL', skip: tlsSkip },
] as const
type Listener = (typeof LISTENERS)[number]

function portOf(b: BrokerProcess, name: string): number {
  const m = new RegExp(`listeners=\\S*${name}://[^:,\\s]+:(\\d+)`).exec(b.output())
  if (m === null) throw new Error(`no ${name} listener in:\n${b.output()}`)
  return Number(m[1])
}

/** A raw connection: request/response frames, and whether the broker closed it. */
class Raw {
  private readonly socket: Socket
  private data = Buffer.alloc(0)
  private wake: (() => void) | null = null
  closed = false
  private cid = 0
  /** With `ca` (a PEM file), over TLS trusting that CA: writes queue until the handshake is done. */
  constructor(port: number, ca?: string) {
    this.socket =
      ca === undefined
        ? connect({ host: '127.0.0.1', port })
        : tlsConnect({ host: '127.0.0.1', port, ca: readFileSync(ca) })
    this.socket.on('error', () => {})
    this.socket.on('data', (d: Buffer) => {
      this.data = Buffer.concat([this.data, d])
      this.wake?.()
    })
    this.socket.on('close', () => {
      this.closed = true
      this.wake?.()
    })
  }
  write(b: Buffer): void {
    this.socket.write(b)
  }
  send<T>(codec: MessageCodec<T>, body: T, version: number): void {
    this.write(encodeRequestFrame(codec, body, version, ++this.cid, 'raw'))
  }
  /** The next frame, or null when the broker closed the connection first. */
  async frame(timeoutMs = 5000): Promise<Buffer | null> {
    const end = Date.now() + timeoutMs
    for (;;) {
      if (this.data.length >= 4 && this.data.length >= 4 + this.data.readInt32BE(0)) {
        const f = this.data.subarray(4, 4 + this.data.readInt32BE(0))
        this.data = this.data.subarray(4 + f.length)
        return f
      }
      if (this.closed) return null
      if (Date.now() > end) throw new Error('no frame and no close')
      await new Promise<void>((r) => {
        this.wake = r
        setTimeout(r, 50)
      })
    }
  }
  async answer<T>(codec: MessageCodec<T>, version: number): Promise<T> {
    const f = await this.frame()
    assert.notEqual(f, null, 'the broker closed the connection')
    return decodeResponseFrame(codec, f!, version).body
  }
  async closedByBroker(timeoutMs = 5000): Promise<boolean> {
    return (await this.frame(timeoutMs)) === null
  }
  destroy(): void {
    this.socket.destroy()
  }
}

describe('SASL_PLAINTEXT and SASL_SSL with real clients', () => {
  let broker: BrokerProcess
  let certs: TestCerts | undefined
  let admin: string
  let sasl: string
  let reauth: number
  const bootstrapOf = (l: Listener) => `127.0.0.1:${portOf(broker, l.name)}`
  /** The trust store a client of `l` needs, if any. */
  const caOf = (l: Listener) => (l.protocol === 'SASL_SSL' ? certs!.ca : undefined)
  const kcatSasl = (mech: string, password = 'alice-secret', l: Listener = LISTENERS[0]) => [
    '-X',
    `security.protocol=${l.protocol.toLowerCase()}`,
    ...(caOf(l) === undefined ? [] : ['-X', `ssl.ca.location=${caOf(l)}`]),
    '-X',
    `sasl.mechanisms=${mech}`,
    '-X',
    'sasl.username=alice',
    '-X',
    `sasl.password=${password}`,
  ]
  const configs = (...args: string[]) =>
    run(join(REPO, 'bin/kafka-configs.sh'), ['--bootstrap-server', admin, '--entity-type', 'users', ...args])

  before(async () => {
    certs = tlsSkip ? undefined : makeTestCerts()
    const tls: Record<string, string> =
      certs === undefined
        ? {}
        : {
            listeners:
              'PLAINTEXT://127.0.0.1:0,SASL://127.0.0.1:0,REAUTH://127.0.0.1:0,SASL_SSL://127.0.0.1:0',
            'listener.security.protocol.map':
              'PLAINTEXT:PLAINTEXT,SASL:SASL_PLAINTEXT,REAUTH:SASL_PLAINTEXT,SASL_SSL:SASL_SSL',
            'listener.name.sasl_ssl.plain.sasl.jaas.config': JAAS,
            'ssl.keystore.type': 'PEM',
            'ssl.keystore.location': certs.brokerPem,
            'ssl.truststore.type': 'PEM',
            'ssl.truststore.location': certs.ca,
          }
    broker = await startBrokerProcess({
      config: {
        listeners: 'PLAINTEXT://127.0.0.1:0,SASL://127.0.0.1:0,REAUTH://127.0.0.1:0',
        'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,SASL:SASL_PLAINTEXT,REAUTH:SASL_PLAINTEXT',
        'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512,OAUTHBEARER',
        'listener.name.sasl.plain.sasl.jaas.config': JAAS,
        'listener.name.reauth.plain.sasl.jaas.config': JAAS,
        'listener.name.reauth.connections.max.reauth.ms': 1000,
        ...tls,
      },
    })
    admin = broker.bootstrap
    sasl = bootstrapOf(LISTENERS[0])
    reauth = portOf(broker, 'REAUTH')
    const r = await configs(
      '--entity-name',
      'alice',
      '--alter',
      '--add-config',
      'SCRAM-SHA-512=[password=alice-secret],SCRAM-SHA-256=[iterations=8192,password=alice-secret]',
    )
    assert.equal(r.stdout, 'Completed updating config for user alice.\n', r.stderr)
  })

  after(async () => {
    await broker?.stop()
    broker?.cleanup()
    certs?.remove()
  })

  it('kafka-configs.sh stores salted SCRAM credentials, describes and deletes them', async () => {
    const d = await configs('--describe', '--entity-name', 'alice')
    assert.equal(
      d.stdout,
      "SCRAM credential configs for user-principal 'alice' are SCRAM-SHA-256=iterations=8192, SCRAM-SHA-512=iterations=4096\n",
    )
    const stored = readFileSync(join(broker.logDir, 'data', 'samsa-users.json'), 'utf8')
    assert.match(stored, /"SCRAM-SHA-512": "salt=[^,]+,stored_key=[^,]+,server_key=[^,]+,iterations=4096"/)
    assert.doesNotMatch(stored, /alice-secret/)
    await runOk(join(REPO, 'bin/kafka-configs.sh'), [
      '--bootstrap-server',
      admin,
      '--entity-type',
      'users',
      '--entity-name',
      'carol',
      '--alter',
      '--add-config',
      'SCRAM-SHA-256=[password=c]',
    ])
    const del = await configs('--entity-name', 'carol', '--alter', '--delete-config', 'SCRAM-SHA-256')
    assert.equal(del.stdout, 'Completed updating config for user carol.\n')
    assert.doesNotMatch((await configs('--describe')).stdout, /carol/)
    // The tool itself over the SASL listener (@platformatic/kafka's SCRAM client).
    const props = join(broker.logDir, 'sasl-client.properties')
    writeFileSync(
      props,
      'security.protocol=SASL_PLAINTEXT\nsasl.mechanism=SCRAM-SHA-512\nsasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="alice" password="alice-secret";\n',
    )
    const viaSasl = await runOk(join(REPO, 'bin/kafka-configs.sh'), [
      '--bootstrap-server',
      sasl,
      '--command-config',
      props,
      '--entity-type',
      'users',
      '--describe',
      '--entity-name',
      'alice',
    ])
    assert.match(viaSasl.stdout, /SCRAM-SHA-512=iterations=4096/)
    const few = await configs(
      '--entity-name',
      'dave',
      '--alter',
      '--add-config',
      'SCRAM-SHA-256=[iterations=100,password=d]',
    )
    assert.equal(few.code, 1)
    assert.match(few.stderr, /Too few iterations/)
  })

  for (const l of LISTENERS) {
    it(`kcat produces and consumes with PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512 over ${l.protocol}`, {
      skip: l.skip,
    }, async () => {
      const topic = `kcat-${l.name.toLowerCase()}`
      for (const m of MECHS)
        await kcat(bootstrapOf(l), [...kcatSasl(m, undefined, l), '-P', '-t', topic], { input: `via-${m}\n` })
      const got = await kcat(bootstrapOf(l), [
        ...kcatSasl('SCRAM-SHA-512', undefined, l),
        '-C',
        '-t',
        topic,
        '-e',
        '-o',
        'beginning',
        '-q',
      ])
      assert.deepEqual(
        got.stdout.trim().split('\n'),
        MECHS.map((m) => `via-${m}`),
      )
    })

    it(`a wrong password fails with Kafka's message over ${l.protocol} (kcat)`, {
      skip: l.skip,
    }, async () => {
      const r = await run('kcat', [
        '-b',
        bootstrapOf(l),
        '-m',
        '1',
        ...kcatSasl('SCRAM-SHA-256', 'wrong', l),
        '-L',
      ])
      assert.notEqual(r.code, 0)
      assert.match(
        r.stderr,
        /SASL authentication error: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256/,
      )
    })
  }

  it('kcat authenticates with an unsecured OAUTHBEARER token', async () => {
    const oauth = ['-X', 'security.protocol=sasl_plaintext', '-X', 'sasl.mechanisms=OAUTHBEARER']
    oauth.push(
      '-X',
      'enable.sasl.oauthbearer.unsecure.jwt=true',
      '-X',
      'sasl.oauthbearer.config=principal=alice',
    )
    await kcat(sasl, [...oauth, '-P', '-t', 'sasl-oauth'], { input: 'token\n' })
    const got = await kcat(sasl, [...oauth, '-C', '-t', 'sasl-oauth', '-e', '-o', 'beginning', '-q'])
    assert.equal(got.stdout, 'token\n')
  })

  for (const l of LISTENERS) {
    it(`confluent-kafka and kafka-python produce and consume with every mechanism over ${l.protocol}`, {
      skip: l.skip,
    }, async () => {
      const args = [
        join(PY_DIR, 'sasl_clients.py'),
        bootstrapOf(l),
        MECHS.join(','),
        `py-${l.name}`,
        l.protocol,
      ]
      const ca = caOf(l)
      if (ca !== undefined) args.push(ca)
      const r = await runOk(PYTHON, args, { timeoutMs: 60000 })
      const out = JSON.parse(r.stdout.trim().split('\n').pop()!)
      const want = MECHS.flatMap((m) => [`ck-${m}`, `kp-${m}`]).sort()
      assert.deepEqual(out.confluent, want)
      assert.deepEqual(out.kafka_python, want)
      assert.notEqual(out.wrong, 'accepted')
    })

    it(`kafkajs produces and consumes with every mechanism over ${l.protocol} and rejects a wrong password`, {
      skip: l.skip,
    }, async () => {
      const ca = caOf(l)
      const client = (mechanism: string, password = 'alice-secret') =>
        new Kafka({
          clientId: 'sasl-kafkajs',
          brokers: [bootstrapOf(l)],
          logLevel: logLevel.NOTHING,
          retry: { retries: 0 },
          ...(ca === undefined ? {} : { ssl: { ca: [readFileSync(ca, 'utf8')] } }),
          sasl: { mechanism: mechanism.toLowerCase(), username: 'alice', password } as never,
        })
      const topic = `js-${l.name}`
      for (const m of MECHS) {
        const p = client(m).producer({ createPartitioner: Partitioners.DefaultPartitioner })
        await p.connect()
        await p.send({ topic, messages: [{ value: `js-${m}` }] })
        await p.disconnect()
      }
      const c = client('SCRAM-SHA-512').consumer({ groupId: `g-${topic}` })
      await c.connect()
      await c.subscribe({ topic, fromBeginning: true })
      const seen: string[] = []
      await new Promise<void>((resolve) => {
        void c.run({
          eachMessage: async ({ message }) => {
            seen.push(message.value!.toString())
            if (seen.length === MECHS.length) resolve()
          },
        })
      })
      await c.disconnect()
      assert.deepEqual(
        seen,
        MECHS.map((m) => `js-${m}`),
      )
      const bad = client('SCRAM-SHA-256', 'wrong').producer()
      await assert.rejects(bad.connect(), /SASL SCRAM SHA256 authentication failed|Authentication failed/)
    })

    it(`raw over ${l.protocol}: a wrong password is answered after connection.failed.authentication.delay.ms, then closed`, {
      skip: l.skip,
    }, async () => {
      const raw = new Raw(portOf(broker, l.name), caOf(l))
      try {
        raw.send(saslHandshakeRequestCodec, { mechanism: 'PLAIN' }, 1)
        assert.equal((await raw.answer(saslHandshakeResponseCodec, 1)).errorCode, 0)
        const t0 = Date.now()
        raw.send(saslAuthenticateRequestCodec, { authBytes: plainClientToken('alice', 'nope') }, 1)
        const res = await raw.answer(saslAuthenticateResponseCodec, 1)
        assert.ok(Date.now() - t0 >= 95, `answered after ${Date.now() - t0} ms`)
        assert.equal(res.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED)
        assert.equal(res.errorMessage, 'Authentication failed: Invalid username or password')
        assert.equal(await raw.closedByBroker(), true)
      } finally {
        raw.destroy()
      }
    })
  }

  it('raw: hostile input on the SASL path closes that connection; the broker stays up', async () => {
    const port = portOf(broker, 'SASL')
    const attempts: [string, (r: Raw) => void][] = [
      ['garbage before the handshake', (r) => r.write(Buffer.from([0, 0, 0, 6, 1, 2, 3, 4, 5, 6]))],
      [
        'authenticate before the handshake',
        (r) =>
          r.send(saslAuthenticateRequestCodec, { authBytes: plainClientToken('alice', 'alice-secret') }, 1),
      ],
      [
        'Metadata before authentication',
        (r) => r.send(metadataRequestCodec, { ...metadataRequestCodec.defaults(1), topics: [] }, 1),
      ],
      [
        'an oversized token',
        (r) => {
          r.send(saslHandshakeRequestCodec, { mechanism: 'PLAIN' }, 1)
          r.send(saslAuthenticateRequestCodec, { authBytes: Buffer.alloc(600 * 1024, 0x41) }, 1)
        },
      ],
      ['an unknown mechanism', (r) => r.send(saslHandshakeRequestCodec, { mechanism: 'GSSAPI' }, 1)],
    ]
    for (const [what, attack] of attempts) {
      const raw = new Raw(port)
      try {
        attack(raw)
        let f = await raw.frame()
        if (what === 'an oversized token' || what === 'an unknown mechanism') {
          assert.notEqual(f, null, `${what}: the handshake is answered`)
          f = await raw.frame()
        }
        assert.equal(f, null, `${what}: the connection was not closed`)
      } finally {
        raw.destroy()
      }
    }
    const md = await kcat(sasl, [...kcatSasl('PLAIN'), '-L'])
    assert.match(md.stdout, /1 brokers:/)
  })

  it('KIP-368: the session lifetime is sent and enforced; kafkajs re-authenticates across it', async () => {
    const raw = new Raw(reauth)
    try {
      raw.send(saslHandshakeRequestCodec, { mechanism: 'PLAIN' }, 1)
      await raw.answer(saslHandshakeResponseCodec, 1)
      raw.send(saslAuthenticateRequestCodec, { authBytes: plainClientToken('alice', 'alice-secret') }, 2)
      const auth = await raw.answer(saslAuthenticateResponseCodec, 2)
      assert.equal(auth.sessionLifetimeMs, 1000n)
      const md = { ...metadataRequestCodec.defaults(1), topics: [] }
      raw.send(metadataRequestCodec, md, 1)
      await raw.answer(metadataResponseCodec, 1)
      await new Promise((r) => setTimeout(r, 1100))
      raw.send(metadataRequestCodec, md, 1)
      assert.equal(await raw.closedByBroker(), true)
    } finally {
      raw.destroy()
    }
    // kafkajs' own debug log tells connections from authentications: more authentications than
    // connections, and no connection closed by the broker, means it re-authenticated in place.
    const events: string[] = []
    const kafka = new Kafka({
      clientId: 'sasl-reauth',
      brokers: [`127.0.0.1:${reauth}`],
      logLevel: logLevel.DEBUG,
      logCreator: () => (entry: { log: { message: string } }) => {
        events.push(entry.log.message)
      },
      sasl: { mechanism: 'plain', username: 'alice', password: 'alice-secret' },
      reauthenticationThreshold: 700,
    } as never)
    const p = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner })
    await p.connect()
    // Nine sends 250 ms apart span 2 s (monotonic clock: a wall-clock step can cut a Date.now() loop).
    const start = performance.now()
    for (let sent = 0; sent < 9; sent++) {
      await p.send({ topic: 'sasl-reauth', messages: [{ value: String(sent) }] })
      await new Promise((r) => setTimeout(r, 250))
    }
    await p.disconnect()
    const count = (m: string) => events.filter((e) => e === m).length
    assert.ok(performance.now() - start > 2000)
    assert.equal(count('Kafka server has closed connection'), 0, 'the broker closed a kafkajs connection')
    assert.ok(
      count('SASL PLAIN authentication successful') > count('Connecting'),
      `authentications ${count('SASL PLAIN authentication successful')}, connections ${count('Connecting')}`,
    )
  })
})
