// Authorization end to end, one broker process with the ACL authorizer on (Kafka's class name),
// super.users=User:admin and a SASL_PLAINTEXT listener with PLAIN users: with no ACLs only the super
// user sees or does anything (the anonymous PLAINTEXT listener neither); kafka-acls.sh (talking
// SASL as admin through --command-config) grants alice Write on one topic, after which kcat as alice
// produces to it and nothing else (TOPIC_AUTHORIZATION_FAILED) and Metadata shows her only that
// topic; a confluent-kafka consumer with Read on the topic but not its group fails with
// GROUP_AUTHORIZATION_FAILED and consumes once `--consumer` granted the group; a transactional
// producer fails with TRANSACTIONAL_ID_AUTHORIZATION_FAILED until `--producer --transactional-id`;
// --remove takes a grant back. In ZooKeeper mode (two brokers whose inter-broker listener authenticates them as the
// super user User:broker, so replication passes CLUSTER_ACTION), an ACL added through one broker
// lands in Kafka's znode and authorizes a producer on the other.

import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { createLogger, LogLevel } from '../../src/common/logger.ts'
import { connectZk } from '../../src/metadata/zk/zk-real.ts'
import { type BrokerProcess, REPO, startBrokerProcess } from '../support/broker-process.ts'
import { eventually, metadataOf, startCluster, type TestCluster } from '../support/cluster.ts'
import { PYTHON, run, runOk } from '../support/e2e-clients.ts'
import { zookeeperAvailable } from '../support/zookeeper.ts'

const skipZk = zookeeperAvailable() ? false : 'ZooKeeper is not installed'
if (skipZk) console.log(`# acls (ZooKeeper mode): skipped (${skipZk})`)

const JAAS =
  'org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" user_admin="admin-secret" user_alice="alice-secret" user_bob="bob-secret" user_carol="carol-secret";'

const as = (user: string) => [
  '-X',
  'security.protocol=sasl_plaintext',
  '-X',
  'sasl.mechanisms=PLAIN',
  '-X',
  `sasl.username=${user}`,
  '-X',
  `sasl.password=${user}-secret`,
]

const CONSUME = `
import json, sys, time
from confluent_kafka import Consumer, KafkaError
bs, user, group = sys.argv[1], sys.argv[2], sys.argv[3]
c = Consumer({'bootstrap.servers': bs, 'group.id': group, 'security.protocol': 'SASL_PLAINTEXT',
              'sasl.mechanisms': 'PLAIN', 'sasl.username': user, 'sasl.password': user + '-secret',
              'auto.offset.reset': 'earliest', 'enable.auto.commit': False})
c.subscribe(['t'])
out = {'values': [], 'errors': [], 'committed': None}
end = time.time() + 10
while time.time() < end and not out['values'] and not out['errors']:
    m = c.poll(0.2)
    if m is None: continue
    if m.error(): out['errors'].append(m.error().name())
    else: out['values'].append(m.value().decode())
if out['values']:
    c.commit(asynchronous=False)
    out['committed'] = [p.offset for p in c.committed(c.assignment(), timeout=5)]
c.close()
print(json.dumps(out))
`

describe('ACL authorization with real clients', () => {
  let broker: BrokerProcess
  let sasl: string
  let adminConfig: string
  const acls = (...args: string[]) =>
    run(join(REPO, 'bin/kafka-acls.sh'), [
      '--bootstrap-server',
      sasl,
      '--command-config',
      adminConfig,
      ...args,
    ])
  const kcatAs = (user: string, args: string[], input?: string) =>
    run('kcat', ['-b', sasl, '-m', '5', ...as(user), ...args], input === undefined ? {} : { input })
  const topicsSeenBy = async (user: string, bootstrap = sasl) => {
    const r = await run('kcat', ['-b', bootstrap, '-m', '5', ...(user === '' ? [] : as(user)), '-L', '-J'])
    assert.equal(r.code, 0, r.stderr)
    return (JSON.parse(r.stdout) as { topics: { topic: string }[] }).topics.map((t) => t.topic).sort()
  }

  before(async () => {
    broker = await startBrokerProcess({
      config: {
        listeners: 'PLAINTEXT://127.0.0.1:0,SASL://127.0.0.1:0',
        'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,SASL:SASL_PLAINTEXT',
        'sasl.enabled.mechanisms': 'PLAIN',
        'listener.name.sasl.plain.sasl.jaas.config': JAAS,
        'authorizer.class.name': 'kafka.security.authorizer.AclAuthorizer',
        'super.users': 'User:admin',
      },
    })
    const m = /listeners=\S*SASL:\/\/[^:,\s]+:(\d+)/.exec(broker.output())
    sasl = `127.0.0.1:${m![1]}`
    adminConfig = join(broker.logDir, 'admin.properties')
    writeFileSync(
      adminConfig,
      `security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\nsasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret";\n`,
    )
    // The super user creates both topics by producing (auto-creation needs CREATE: admin has all).
    for (const t of ['t', 'other']) {
      const r = await kcatAs('admin', ['-P', '-t', t], `from-admin-${t}\n`)
      assert.equal(r.code, 0, r.stderr)
    }
  })

  after(async () => {
    if (process.env.SAMSA_ACLS_DEBUG) console.log(broker?.output())
    await broker?.stop()
    broker?.cleanup()
  })

  it('without ACLs, only the super user sees or writes anything', async () => {
    assert.deepEqual(await topicsSeenBy('admin'), ['other', 't'])
    assert.deepEqual(await topicsSeenBy('alice'), [])
    assert.deepEqual(await topicsSeenBy('', broker.bootstrap), [])
    const r = await kcatAs('alice', ['-P', '-t', 't'], 'denied\n')
    assert.notEqual(r.code, 0)
    assert.match(r.stderr, /Topic authorization failed/i)
    // On the PLAINTEXT listener the caller is User:ANONYMOUS, who may not describe ACLs.
    const list = await run(join(REPO, 'bin/kafka-acls.sh'), [
      '--bootstrap-server',
      broker.bootstrap,
      '--list',
    ])
    assert.equal(list.code, 1)
    assert.match(list.stderr, /Cluster authorization failed/i)
  })

  it('kafka-acls.sh --add Write on t: alice produces to t and nothing else', async () => {
    const add = await acls('--add', '--allow-principal', 'User:alice', '--operation', 'Write', '--topic', 't')
    assert.equal(add.code, 0, add.stderr)
    const entry = '(principal=User:alice, host=*, operation=WRITE, permissionType=ALLOW)'
    const pattern = 'ResourcePattern(resourceType=TOPIC, name=t, patternType=LITERAL)'
    assert.equal(
      add.stdout,
      `Adding ACLs for resource \`${pattern}\`: \n \t${entry} \n\nCurrent ACLs for resource \`${pattern}\`: \n \t${entry} \n\n`,
    )
    const ok = await kcatAs('alice', ['-P', '-t', 't'], 'from-alice\n')
    assert.equal(ok.code, 0, ok.stderr)
    // An idempotent producer's InitProducerId passes with Write on some topic (KIP-679).
    const idem = await kcatAs('alice', ['-X', 'enable.idempotence=true', '-P', '-t', 't'], 'idempotent\n')
    assert.equal(idem.code, 0, idem.stderr)
    const other = await kcatAs('alice', ['-P', '-t', 'other'], 'nope\n')
    assert.notEqual(other.code, 0)
    assert.match(other.stderr, /Topic authorization failed/i)
    // WRITE implies DESCRIBE: Metadata shows alice t, and only t.
    assert.deepEqual(await topicsSeenBy('alice'), ['t'])
    // Write does not allow reading.
    const read = await kcatAs('alice', ['-C', '-t', 't', '-p', '0', '-o', 'beginning', '-e'])
    assert.match(read.stderr, /Topic authorization failed/i)
  })

  it('a consumer needs Read on the topic and on its group', async () => {
    const r1 = await acls('--add', '--allow-principal', 'User:bob', '--operation', 'Read', '--topic', 't')
    assert.equal(r1.code, 0, r1.stderr)
    const denied = JSON.parse(
      (await runOk(PYTHON, ['-c', CONSUME, sasl, 'bob', 'g1'], { timeoutMs: 30000 })).stdout,
    )
    assert.deepEqual(denied.values, [])
    assert.ok(denied.errors.includes('GROUP_AUTHORIZATION_FAILED'), JSON.stringify(denied))
    const r2 = await acls(
      '--add',
      '--allow-principal',
      'User:bob',
      '--consumer',
      '--topic',
      't',
      '--group',
      'g1',
    )
    assert.equal(r2.code, 0, r2.stderr)
    const got = JSON.parse(
      (await runOk(PYTHON, ['-c', CONSUME, sasl, 'bob', 'g1'], { timeoutMs: 30000 })).stdout,
    )
    assert.deepEqual(got.errors, [])
    assert.equal(got.values[0], 'from-admin-t')
    assert.ok(got.committed[0] >= 1, JSON.stringify(got))
  })

  it('a transactional producer needs Write on its transactional id (--producer --transactional-id)', async () => {
    const script = `
import json, sys
from confluent_kafka import Producer, KafkaException
p = Producer({'bootstrap.servers': sys.argv[1], 'security.protocol': 'SASL_PLAINTEXT', 'sasl.mechanisms': 'PLAIN',
              'sasl.username': 'carol', 'sasl.password': 'carol-secret', 'transactional.id': 'tx-carol'})
try:
    p.init_transactions(10)
    p.begin_transaction(); p.produce('t', b'in-txn'); p.commit_transaction(10)
    print(json.dumps({'ok': True}))
except KafkaException as e:
    print(json.dumps({'ok': False, 'error': e.args[0].name()}))
`
    const before = JSON.parse((await runOk(PYTHON, ['-c', script, sasl], { timeoutMs: 30000 })).stdout)
    assert.deepEqual(before, { ok: false, error: 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED' })
    const add = await acls(
      '--add',
      '--allow-principal',
      'User:carol',
      '--producer',
      '--topic',
      't',
      '--transactional-id',
      'tx-carol',
    )
    assert.equal(add.code, 0, add.stderr)
    const after = JSON.parse((await runOk(PYTHON, ['-c', script, sasl], { timeoutMs: 30000 })).stdout)
    assert.deepEqual(after, { ok: true })
  })

  it('kafka-acls.sh --list shows the grants and --remove takes one back', async () => {
    const list = await acls('--list', '--topic', 't')
    assert.equal(list.code, 0, list.stderr)
    assert.match(list.stdout, /principal=User:alice, host=\*, operation=WRITE, permissionType=ALLOW/)
    assert.match(list.stdout, /principal=User:bob, host=\*, operation=READ, permissionType=ALLOW/)
    const rm = await acls(
      '--remove',
      '--force',
      '--allow-principal',
      'User:alice',
      '--operation',
      'Write',
      '--topic',
      't',
    )
    assert.equal(rm.code, 0, rm.stderr)
    assert.doesNotMatch(rm.stdout, /User:alice/)
    const after = await kcatAs('alice', ['-P', '-t', 't'], 'again\n')
    assert.notEqual(after.code, 0)
  })
})

describe('ACLs in ZooKeeper mode (2 brokers, inter-broker SASL as a super user)', { skip: skipZk }, () => {
  let c: TestCluster | undefined
  const internal = (id: number) => {
    const m = /listeners=\S*INTERNAL:\/\/[^:,\s]+:(\d+)/.exec(c!.brokers.get(id)!.output())
    return `127.0.0.1:${m![1]}`
  }
  before(async () => {
    c = await startCluster({
      brokers: 2,
      chroot: '/samsa-acls',
      config: {
        listeners: 'PLAINTEXT://127.0.0.1:0,INTERNAL://127.0.0.1:0',
        'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,INTERNAL:SASL_PLAINTEXT',
        'inter.broker.listener.name': 'INTERNAL',
        'sasl.enabled.mechanisms': 'PLAIN',
        'sasl.mechanism.inter.broker.protocol': 'PLAIN',
        'listener.name.internal.plain.sasl.jaas.config':
          'org.apache.kafka.common.security.plain.PlainLoginModule required username="broker" password="broker-secret" user_broker="broker-secret" user_admin="admin-secret" user_alice="alice-secret";',
        'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
        'super.users': 'User:broker;User:admin',
        'default.replication.factor': 2,
      },
    })
    // The first test auto-creates a topic of replication factor 2: both brokers must be known first.
    await eventually('both brokers see two brokers and a controller', 10000, async () => {
      const all = await Promise.all([1, 2].map((id) => metadataOf(c!.brokers.get(id)!.bootstrap)))
      return all.every((m) => m.brokers.length === 2 && m.controllerid > 0) ? true : undefined
    })
  })
  after(async () => {
    await c?.stop()
  })

  it("stores ACLs in Kafka's znodes and every broker follows them", async () => {
    const one = internal(1)
    const two = internal(2)
    const made = await run('kcat', ['-b', one, '-m', '10', ...as('admin'), '-P', '-t', 'zt'], {
      input: 'x\n',
    })
    assert.equal(made.code, 0, made.stderr)
    const config = join(c!.brokers.get(1)!.logDir, 'admin.properties')
    writeFileSync(
      config,
      'security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\nsasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret";\n',
    )
    const add = await run(join(REPO, 'bin/kafka-acls.sh'), [
      '--bootstrap-server',
      one,
      '--command-config',
      config,
      '--add',
      '--allow-principal',
      'User:alice',
      '--producer',
      '--topic',
      'zt',
    ])
    assert.equal(add.code, 0, add.stderr)
    const zk = await connectZk(
      { connect: c!.connect, sessionTimeoutMs: 6000, connectionTimeoutMs: 5000 },
      createLogger('test', LogLevel.error),
    )
    try {
      const node = await zk.getData('/kafka-acl/Topic/zt')
      const acls = JSON.parse(node!.data!.toString()).acls as { operation: string }[]
      assert.deepEqual(acls.map((a) => a.operation).sort(), ['Create', 'Describe', 'Write'])
      assert.ok(((await zk.getChildren('/kafka-acl-changes')) ?? []).length > 0)
    } finally {
      await zk.close()
    }
    // alice produces through broker 2 with acks=all: it follows the ACL, and replication (the
    // followers' fetches, CLUSTER_ACTION) works under the authorizer.
    let last = ''
    for (let i = 0; i < 50; i++) {
      const r = await run(
        'kcat',
        ['-b', two, '-m', '5', ...as('alice'), '-X', 'acks=all', '-P', '-t', 'zt'],
        {
          input: 'from-alice\n',
        },
      )
      if (r.code === 0) return
      last = r.stderr
      await new Promise((res) => setTimeout(res, 100))
    }
    assert.fail(`alice could not produce through broker 2: ${last}`)
  })
})
