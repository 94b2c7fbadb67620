// SASL_PLAINTEXT with real clients against one broker process (listeners PLAINTEXT for the admin
// tool, SASL with PLAIN / SCRAM-SHA-256 / SCRAM-SHA-512 / OAUTHBEARER, and REAUTH, a SASL listener
// with connections.max.reauth.ms=1000): SCRAM users made with kafka-configs.sh (stored salted);
// kcat, confluent-kafka, kafka-python (legacy SaslHandshake v0 + raw tokens) and kafkajs produce
// and consume with each mechanism; wrong passwords fail with Kafka's messages after the
// failed-authentication delay; hostile input on the SASL path closes only that connection; KIP-368
// session lifetimes are sent and enforced, and kafkajs re-authenticates across them.

import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
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
import { kcat, PYTHON, run, runOk } from '../support/e2e-clients.ts'

const { Kafka, logLevel, Partitioners } = kafkajs

const JAAS =
  'org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" user_admin="admin-secret" user_alice="alice-secret";'
const MECHS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const

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
  constructor(port: number) {
    this.socket = connect({ host: '127.0.0.1', port })
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

const kcatSasl = (mech: string, password = 'alice-secret') => [
  '-X',
  'security.protocol=sasl_plaintext',
  '-X',
  `sasl.mechanisms=${mech}`,
  '-X',
  'sasl.username=alice',
  '-X',
  `sasl.password=${password}`,
]

describe('SASL_PLAINTEXT with real clients', () => {
  let broker: BrokerProcess
  let admin: string
  let sasl: string
  let reauth: number
  const configs = (...args: string[]) =>
    run(join(REPO, 'bin/kafka-configs.sh'), ['--bootstrap-server', admin, '--entity-type', 'users', ...args])

  before(async () => {
    broker = await startBrokerProcess({
      config: {
        listeners: 'PLAINTEXT://127.0.0.1:0,SASL://127.0.0.1:0,REAUTH://127.0.0.1:0',
        'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,SASL:SASL_PLAINTEXT,REAUTH:SASL_PLAINTEXT',
        'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512,OAUTHBEARER',
        'listener.name.sasl.plain.sasl.jaas.config': JAAS,
        'listener.name.reauth.plain.sasl.jaas.config': JAAS,
        'listener.name.reauth.connections.max.reauth.ms': 1000,
      },
    })
    admin = broker.bootstrap
    sasl = `127.0.0.1:${portOf(broker, 'SASL')}`
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

  it('kcat produces and consumes with PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512', async () => {
    for (const m of MECHS)
      await kcat(sasl, [...kcatSasl(m), '-P', '-t', 'sasl-kcat'], { input: `via-${m}\n` })
    const got = await kcat(sasl, [
      ...kcatSasl('SCRAM-SHA-512'),
      '-C',
      '-t',
      'sasl-kcat',
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

  it("a wrong password fails with Kafka's message (kcat)", async () => {
    const r = await run('kcat', ['-b', sasl, '-m', '1', ...kcatSasl('SCRAM-SHA-256', 'wrong'), '-L'])
    assert.notEqual(r.code, 0)
    assert.match(
      r.stderr,
      /SASL authentication error: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256/,
    )
  })

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

  it('confluent-kafka and kafka-python produce and consume with every mechanism', async () => {
    const script = `
import json, sys
from confluent_kafka import Producer, Consumer, TopicPartition, OFFSET_BEGINNING
from kafka import KafkaProducer, KafkaConsumer
bs, mechs = sys.argv[1], sys.argv[2].split(',')
out = {}
for m in mechs:
    p = Producer({'bootstrap.servers': bs, 'security.protocol': 'SASL_PLAINTEXT', 'sasl.mechanisms': m, 'sasl.username': 'alice', 'sasl.password': 'alice-secret'})
    p.produce('sasl-py', ('ck-' + m).encode()); assert p.flush(20) == 0
    kp = KafkaProducer(bootstrap_servers=bs, security_protocol='SASL_PLAINTEXT', sasl_mechanism=m, sasl_plain_username='alice', sasl_plain_password='alice-secret')
    kp.send('sasl-py', ('kp-' + m).encode()).get(timeout=20); kp.close()
c = Consumer({'bootstrap.servers': bs, 'group.id': 'g-sasl', 'security.protocol': 'SASL_PLAINTEXT', 'sasl.mechanisms': 'SCRAM-SHA-256', 'sasl.username': 'alice', 'sasl.password': 'alice-secret'})
c.assign([TopicPartition('sasl-py', 0, OFFSET_BEGINNING)])
seen = []
import time
end = time.time() + 20
while len(seen) < 2 * len(mechs) and time.time() < end:
    msg = c.poll(0.5)
    if msg is not None and msg.error() is None: seen.append(msg.value().decode())
c.close()
kc = KafkaConsumer('sasl-py', bootstrap_servers=bs, security_protocol='SASL_PLAINTEXT', sasl_mechanism='SCRAM-SHA-512', sasl_plain_username='alice', sasl_plain_password='alice-secret', auto_offset_reset='earliest', consumer_timeout_ms=1000)
out['confluent'] = sorted(seen)
out['kafka_python'] = sorted(m.value.decode() for m in kc)
kc.close()
try:
    KafkaProducer(bootstrap_servers=bs, security_protocol='SASL_PLAINTEXT', sasl_mechanism='SCRAM-SHA-512', sasl_plain_username='alice', sasl_plain_password='nope', api_version_auto_timeout_ms=3000)
    out['wrong'] = 'accepted'
except Exception as e:
    out['wrong'] = type(e).__name__
print(json.dumps(out))
`
    const r = await runOk(PYTHON, ['-c', script, sasl, MECHS.join(',')], { timeoutMs: 60000 })
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!)
    const want = MECHS.flatMap((m) => [`ck-${m}`, `kp-${m}`]).sort()
    assert.deepEqual(out.confluent, want)
    assert.deepEqual(out.kafka_python, want)
    assert.notEqual(out.wrong, 'accepted')
  })

  it('kafkajs produces and consumes with every mechanism and rejects a wrong password', async () => {
    const client = (mechanism: string, password = 'alice-secret') =>
      new Kafka({
        clientId: 'sasl-kafkajs',
        brokers: [sasl],
        logLevel: logLevel.NOTHING,
        retry: { retries: 0 },
        sasl: { mechanism: mechanism.toLowerCase(), username: 'alice', password } as never,
      })
    for (const m of MECHS) {
      const p = client(m).producer({ createPartitioner: Partitioners.DefaultPartitioner })
      await p.connect()
      await p.send({ topic: 'sasl-js', messages: [{ value: `js-${m}` }] })
      await p.disconnect()
    }
    const c = client('SCRAM-SHA-512').consumer({ groupId: 'g-js' })
    await c.connect()
    await c.subscribe({ topic: 'sasl-js', fromBeginning: true })
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

  it('raw: a wrong password is answered after connection.failed.authentication.delay.ms, then closed', async () => {
    const raw = new Raw(portOf(broker, 'SASL'))
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
    const end = Date.now() + 2200
    let sent = 0
    while (Date.now() < end) {
      await p.send({ topic: 'sasl-reauth', messages: [{ value: String(sent++) }] })
      await new Promise((r) => setTimeout(r, 250))
    }
    await p.disconnect()
    const count = (m: string) => events.filter((e) => e === m).length
    assert.ok(sent >= 6)
    assert.equal(count('Kafka server has closed connection'), 0, 'the broker closed a kafkajs connection')
    assert.ok(
      count('SASL PLAIN authentication successful') > count('Connecting'),
      `authentications ${count('SASL PLAIN authentication successful')}, connections ${count('Connecting')}`,
    )
  })
})
