// Inter-broker TLS: three brokers on ZooKeeper whose inter-broker listener INTERNAL is SSL with
// client certificates required. The controller's requests, the replica fetchers and AlterPartition
// can only reach the other brokers by connecting with TLS and the broker's own key store (as
// Kafka does), so a replication factor 3 topic reaching a full ISR with the same data on every
// replica shows that they do. Clients use the PLAINTEXT listener.

import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { startCluster, type TestCluster } from '../support/cluster.ts'
import { kcat, kcatConsumeJson } from '../support/e2e-clients.ts'
import { zookeeperAvailable } from '../support/zookeeper.ts'
import { createTopic, fullIsr, highWatermarks, replicasAgree } from './replication-helpers.ts'
import { makeTestCerts, opensslAvailable, type TestCerts } from './tls-certs.ts'

const skip = !zookeeperAvailable()
  ? 'ZooKeeper is not installed'
  : !opensslAvailable()
    ? 'openssl CLI not installed'
    : false

describe('inter-broker traffic over SSL (ZooKeeper, 3 brokers, RF 3)', { skip }, () => {
  let certs: TestCerts
  let c: TestCluster | undefined
  before(async () => {
    certs = makeTestCerts()
    c = await startCluster({
      brokers: 3,
      chroot: '/samsa-tls',
      config: {
        listeners: 'PLAINTEXT://127.0.0.1:0,INTERNAL://127.0.0.1:0',
        'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,INTERNAL:SSL',
        'inter.broker.listener.name': 'INTERNAL',
        'ssl.keystore.type': 'PEM',
        'ssl.keystore.location': certs.brokerPem,
        'ssl.truststore.type': 'PEM',
        'ssl.truststore.location': certs.ca,
        'listener.name.internal.ssl.client.auth': 'required',
      },
    })
  })
  after(async () => {
    await c?.stop()
    certs?.remove()
  })

  it('replicates a replication factor 3 topic over the SSL inter-broker listener', async () => {
    const cluster = c!
    await createTopic(cluster, 'tls-rf3', 1)
    const values = Array.from({ length: 50 }, (_, i) => `v${i}`)
    await kcat(cluster.bootstrap(), ['-P', '-t', 'tls-rf3', '-p', '0', '-X', 'acks=all'], {
      input: `${values.join('\n')}\n`,
    })
    await fullIsr(cluster, 'tls-rf3', 0)
    const hws = await highWatermarks(cluster.bootstrap(), 'tls-rf3')
    assert.equal(hws.get(0), 50)
    await replicasAgree(cluster, 'tls-rf3', [1, 2, 3])
    const read = await kcatConsumeJson(cluster.bootstrap(), ['-t', 'tls-rf3', '-o', 'beginning'])
    assert.deepEqual(
      read.map((m) => m.payload),
      values,
    )
    for (const b of cluster.brokers.values())
      assert.doesNotMatch(b.output(), /TLS handshake .* failed/, 'no failed inter-broker handshake')
  })
})
