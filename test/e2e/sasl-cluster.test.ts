// Inter-broker SASL: three brokers on ZooKeeper whose inter-broker listener INTERNAL is
// SASL_SSL (SASL_PLAINTEXT when the openssl CLI is missing to make certificates) with PLAIN (sasl.mechanism.inter.broker.protocol, the listener's JAAS
// username/password, as Kafka does). The controller, the replica fetchers and AlterPartition can
// reach the other brokers only by authenticating, so a replication factor 3 topic reaching a full
// ISR with the same data on every replica shows that they do. Also: a SCRAM credential added
// through one broker lands in ZooKeeper in Kafka's format (/config/users/<user> plus a
// /config/changes notification) and authenticates a client on another broker.

import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { createLogger, LogLevel } from '../../src/common/logger.ts'
import { connectZk } from '../../src/metadata/zk/zk-real.ts'
import { REPO } from '../support/broker-process.ts'
import { startCluster, type TestCluster } from '../support/cluster.ts'
import { kcat, kcatConsumeJson, runOk } from '../support/e2e-clients.ts'
import { zookeeperAvailable } from '../support/zookeeper.ts'
import { createTopic, fullIsr, highWatermarks, replicasAgree } from './replication-helpers.ts'
import { makeTestCerts, opensslAvailable, type TestCerts } from './tls-certs.ts'

const skip = zookeeperAvailable() ? false : 'ZooKeeper is not installed'
if (skip) console.log(`# sasl-cluster: skipped (${skip})`)

const JAAS =
  'org.apache.kafka.common.security.plain.PlainLoginModule required username="broker" password="broker-secret" user_broker="broker-secret";'

const overTls = opensslAvailable()
if (!overTls) console.log('# sasl-cluster: openssl CLI missing, inter-broker SASL without TLS')

describe(`inter-broker traffic over ${overTls ? 'SASL_SSL' : 'SASL_PLAINTEXT'} (ZooKeeper, 3 brokers, RF 3)`, {
  skip,
}, () => {
  let c: TestCluster | undefined
  let certs: TestCerts | undefined
  before(async () => {
    certs = overTls ? makeTestCerts() : undefined
    const tls: Record<string, string> =
      certs === undefined
        ? {}
        : {
            'ssl.keystore.type': 'PEM',
            'ssl.keystore.location': certs.brokerPem,
            'ssl.truststore.type': 'PEM',
            'ssl.truststore.location': certs.ca,
          }
    c = await startCluster({
      brokers: 3,
      chroot: '/samsa-sasl',
      config: {
        listeners: 'PLAINTEXT://127.0.0.1:0,INTERNAL://127.0.0.1:0',
        'listener.security.protocol.map': `PLAINTEXT:PLAINTEXT,INTERNAL:${overTls ? 'SASL_SSL' : 'SASL_PLAINTEXT'}`,
        'inter.broker.listener.name': 'INTERNAL',
        'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-512',
        'sasl.mechanism.inter.broker.protocol': 'PLAIN',
        'listener.name.internal.plain.sasl.jaas.config': JAAS,
        ...tls,
      },
    })
  })
  after(async () => {
    await c?.stop()
    certs?.remove()
  })

  it('replicates a replication factor 3 topic over the SASL inter-broker listener', async () => {
    const cluster = c!
    await createTopic(cluster, 'sasl-rf3', 1)
    const values = Array.from({ length: 50 }, (_, i) => `v${i}`)
    await kcat(cluster.bootstrap(), ['-P', '-t', 'sasl-rf3', '-p', '0', '-X', 'acks=all'], {
      input: `${values.join('\n')}\n`,
    })
    await fullIsr(cluster, 'sasl-rf3', 0)
    assert.equal((await highWatermarks(cluster.bootstrap(), 'sasl-rf3')).get(0), 50)
    await replicasAgree(cluster, 'sasl-rf3', [1, 2, 3])
    const read = await kcatConsumeJson(cluster.bootstrap(), ['-t', 'sasl-rf3', '-o', 'beginning'])
    assert.deepEqual(
      read.map((m) => m.payload),
      values,
    )
    for (const b of cluster.brokers.values())
      assert.doesNotMatch(b.output(), /Failed authentication|SASL PLAIN authentication with broker/)
  })

  it("stores SCRAM credentials in ZooKeeper in Kafka's format, usable on every broker", async () => {
    const cluster = c!
    const [b1, b2] = [cluster.brokers.get(1)!, cluster.brokers.get(2)!]
    await runOk(join(REPO, 'bin/kafka-configs.sh'), [
      '--bootstrap-server',
      b1.bootstrap,
      '--entity-type',
      'users',
      '--entity-name',
      'alice',
      '--alter',
      '--add-config',
      'SCRAM-SHA-512=[password=alice-secret]',
    ])
    const zk = await connectZk(
      { connect: cluster.connect, sessionTimeoutMs: 6000, connectionTimeoutMs: 5000 },
      createLogger('test', LogLevel.error),
    )
    try {
      const node = await zk.getData('/config/users/alice')
      const doc = JSON.parse(node!.data!.toString())
      assert.equal(doc.version, 1)
      assert.match(
        doc.config['SCRAM-SHA-512'],
        /^salt=[^,]+,stored_key=[^,]+,server_key=[^,]+,iterations=4096$/,
      )
      const changes = (await zk.getChildren('/config/changes')) ?? []
      const notes = await Promise.all(
        changes.map(async (n) => (await zk.getData(`/config/changes/${n}`))!.data!.toString()),
      )
      assert.ok(
        notes.some((n) => JSON.parse(n).entity_path === 'users/alice'),
        notes.join('\n'),
      )
    } finally {
      await zk.close()
    }
    const port = /listeners=\S*INTERNAL:\/\/[^:,\s]+:(\d+)/.exec(b2.output())![1]
    const sasl = [
      '-X',
      `security.protocol=${overTls ? 'sasl_ssl' : 'sasl_plaintext'}`,
      '-X',
      'sasl.mechanisms=SCRAM-SHA-512',
    ]
    if (certs !== undefined) sasl.push('-X', `ssl.ca.location=${certs.ca}`)
    sasl.push('-X', 'sasl.username=alice', '-X', 'sasl.password=alice-secret')
    const md = await kcat(`127.0.0.1:${port}`, [...sasl, '-L'])
    assert.match(md.stdout, /3 brokers:/)
  })
})
