// Real clients over TLS against one broker process with three listeners: PLAINTEXT, SSL (server
// certificate only) and MTLS (an SSL listener whose per-listener override requires client
// certificates). kcat, confluent-kafka, kafka-python and kafkajs produce and consume over SSL;
// on MTLS a client without a certificate is refused and one with a certificate works. The
// certificates are made with openssl in a temp dir. Also: a listener whose security protocol is
// not implemented, and an SSL listener without a key store, stop the broker at startup with one line.

import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import kafkajs from 'kafkajs'
import { type BrokerProcess, REPO, startBrokerProcess } from '../support/broker-process.ts'
import { kcat, PY_DIR, PYTHON, run, runOk } from '../support/e2e-clients.ts'
import { listenerPort, makeTestCerts, opensslAvailable, type TestCerts } from './tls-certs.ts'

const { Kafka, logLevel, Partitioners } = kafkajs

async function startFails(config: Record<string, string>): Promise<string> {
  try {
    const b = await startBrokerProcess({ config })
    await b.stop()
    b.cleanup()
  } catch (e) {
    const text = (e as Error).message
    assert.match(text, /broker exited with 1 before starting/)
    return text
  }
  assert.fail('the broker started')
}

describe('refused listeners at startup', () => {
  it('exits 1 naming the key when an SSL listener has no key store', async () => {
    const out = await startFails({ listeners: 'PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0' })
    assert.match(out, /Listener SSL needs a TLS key store: set ssl\.keystore\.location/)
  })
})

describe('hostile clients: rate-limited logging', () => {
  it('logs the first malformed request per source, then one count line (here at shutdown)', async () => {
    const b = await startBrokerProcess()
    try {
      const garbage = async () => {
        await new Promise<void>((resolve) => {
          const s = connect({ host: b.host, port: b.port }, () => {
            const body = randomBytes(64)
            body.writeInt16BE(-7, 0) // no such api key
            const size = Buffer.alloc(4)
            size.writeInt32BE(body.length)
            s.write(Buffer.concat([size, body]))
          })
          s.on('error', () => {})
          // Anything the broker writes before closing is read, or the socket never sees its end.
          s.resume()
          s.on('close', () => resolve())
        })
      }
      // Two clients, 100 bad requests each, every one closing its connection.
      await Promise.all(
        [0, 1].map(async () => {
          for (let i = 0; i < 100; i++) await garbage()
        }),
      )
    } finally {
      await b.stop()
      b.cleanup()
    }
    const lines = b.output().split('\n')
    const full = lines.filter((l) => /WARN closing connection 127\.0\.0\.1:\d+/.test(l))
    assert.equal(full.length, 1, full.join('\n'))
    const summary = lines.find((l) =>
      /more malformed, refused or failed connections from 127\.0\.0\.1/.test(l),
    )
    assert.match(summary ?? '', /199 more/)
  })
})

describe('clients over TLS', { skip: opensslAvailable() ? false : 'openssl CLI not installed' }, () => {
  let c: TestCerts
  let b: BrokerProcess | undefined
  let ssl: string
  let mtls: string
  before(async () => {
    c = makeTestCerts()
    b = await startBrokerProcess({
      config: {
        listeners: 'PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0,MTLS://127.0.0.1:0',
        'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,SSL:SSL,MTLS:SSL',
        'ssl.keystore.type': 'PEM',
        'ssl.keystore.location': c.brokerPem,
        'ssl.truststore.type': 'PEM',
        'ssl.truststore.location': c.ca,
        'listener.name.mtls.ssl.client.auth': 'required',
      },
    })
    ssl = `127.0.0.1:${listenerPort(b, 'SSL')}`
    mtls = `127.0.0.1:${listenerPort(b, 'MTLS')}`
  })
  after(async () => {
    await b?.stop()
    b?.cleanup()
    c?.remove()
  })

  const kcatSsl = (bootstrap: string, withCert: boolean, args: string[], input?: string) =>
    kcat(
      bootstrap,
      [
        '-X',
        'security.protocol=ssl',
        '-X',
        `ssl.ca.location=${c.ca}`,
        ...(withCert
          ? ['-X', `ssl.certificate.location=${c.clientCert}`, '-X', `ssl.key.location=${c.clientKey}`]
          : []),
        ...args,
      ],
      input === undefined ? {} : { input },
    )

  it("Samsa's tools take Kafka's ssl.* client properties from --command-config (mutual TLS)", async () => {
    const props = join(c.dir, 'client-ssl.properties')
    writeFileSync(
      props,
      `security.protocol=SSL\nssl.truststore.type=PEM\nssl.truststore.location=${c.ca}\nssl.keystore.type=PEM\nssl.keystore.location=${c.clientPem}\n`,
    )
    const tool = (args: string[]) => run(join(REPO, 'bin', 'kafka-topics.sh'), args)
    const created = await tool([
      '--create',
      '--topic',
      'tls-tool',
      '--bootstrap-server',
      mtls,
      '--command-config',
      props,
    ])
    assert.equal(created.stdout, 'Created topic tls-tool.\n', created.stderr)
    const listed = await tool(['--list', '--bootstrap-server', mtls, '--command-config', props])
    assert.ok(listed.stdout.split('\n').includes('tls-tool'), listed.stdout + listed.stderr)
    writeFileSync(props, `security.protocol=SSL\nssl.truststore.location=${c.dir}/missing.pem\n`)
    const bad = await tool(['--list', '--bootstrap-server', mtls, '--command-config', props])
    assert.equal(bad.code, 1)
    assert.match(bad.stderr, /cannot read ssl\.truststore\.location=/)
  })

  it('kcat produces and consumes over SSL', async () => {
    await kcatSsl(ssl, false, ['-P', '-t', 'tls-kcat'], 'one\ntwo\nthree\n')
    const r = await kcatSsl(ssl, false, ['-C', '-t', 'tls-kcat', '-o', 'beginning', '-e', '-q'])
    assert.deepEqual(r.stdout.trim().split('\n'), ['one', 'two', 'three'])
  })

  for (const lib of ['confluent', 'kafka-python'] as const) {
    it(`${lib} produces and consumes over SSL, and with a client certificate over mutual TLS`, async () => {
      const run = async (bootstrap: string, topic: string, cert: boolean) => {
        const args = [join(PY_DIR, 'tls_clients.py'), lib, bootstrap, topic, c.ca]
        if (cert) args.push(c.clientCert, c.clientKey)
        const r = await runOk(PYTHON, args, { timeoutMs: 60000 })
        return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as string[]
      }
      const want = [0, 1, 2, 3, 4].map((i) => `${lib}-${i}`)
      assert.deepEqual(await run(ssl, `tls-${lib}`, false), want)
      assert.deepEqual(await run(mtls, `mtls-${lib}`, true), want)
    })
  }

  const kafkajsClient = (bootstrap: string, withCert: boolean) =>
    new Kafka({
      clientId: 'e2e-tls',
      brokers: [bootstrap],
      logLevel: logLevel.NOTHING,
      connectionTimeout: 3000,
      retry: { retries: withCert ? 3 : 0, initialRetryTime: 50 },
      ssl: {
        ca: [readFileSync(c.ca, 'utf8')],
        ...(withCert
          ? { cert: readFileSync(c.clientCert, 'utf8'), key: readFileSync(c.clientKey, 'utf8') }
          : {}),
      },
    })

  it('kafkajs produces and consumes over SSL and over mutual TLS; kcat reads it back too', async () => {
    for (const [bootstrap, cert, topic] of [
      [ssl, false, 'tls-kafkajs'],
      [mtls, true, 'mtls-kafkajs'],
    ] as const) {
      const producer = kafkajsClient(bootstrap, cert).producer({
        createPartitioner: Partitioners.DefaultPartitioner,
        allowAutoTopicCreation: true,
      })
      await producer.connect()
      try {
        await producer.send({ topic, messages: [{ value: 'a' }, { value: 'b' }] })
      } finally {
        await producer.disconnect()
      }
      const r = await kcatSsl(bootstrap, cert, ['-C', '-t', topic, '-o', 'beginning', '-e', '-q'])
      assert.deepEqual(r.stdout.trim().split('\n'), ['a', 'b'])
      // And consumes it back in a consumer group, over the same listener.
      const consumer = kafkajsClient(bootstrap, cert).consumer({
        groupId: `g-${topic}`,
        maxWaitTimeInMs: 100,
      })
      const got: string[] = []
      await consumer.connect()
      try {
        await consumer.subscribe({ topics: [topic], fromBeginning: true })
        let done!: () => void
        const both = new Promise<void>((r) => {
          done = r
        })
        await consumer.run({
          eachMessage: async ({ message }) => {
            got.push(message.value!.toString())
            if (got.length === 2) done()
          },
        })
        let timer: NodeJS.Timeout | undefined
        await Promise.race([
          both,
          new Promise((_, rej) => {
            timer = setTimeout(() => rej(new Error(`read only ${got.join(',')}`)), 15000)
          }),
        ]).finally(() => clearTimeout(timer))
      } finally {
        await consumer.disconnect()
      }
      assert.deepEqual(got, ['a', 'b'])
    }
  })

  it('mutual TLS: a client without a certificate is refused, one with a certificate is served', async () => {
    const admin = kafkajsClient(mtls, false).admin()
    await assert.rejects(async () => {
      await admin.connect()
      await admin.listTopics()
    })
    await admin.disconnect().catch(() => {})
    const ok = kafkajsClient(mtls, true).admin()
    await ok.connect()
    try {
      assert.ok((await ok.listTopics()).includes('mtls-kafkajs'))
    } finally {
      await ok.disconnect()
    }
    // The broker logged the refused handshake (rate-limited).
    assert.match(b!.output(), /TLS handshake with 127\.0\.0\.1:\d+ on MTLS failed/)
  })
})
