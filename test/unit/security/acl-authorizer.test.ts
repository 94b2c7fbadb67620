// The authorizer's matching rules (Kafka's AclAuthorizer semantics), the DescribeAcls/DeleteAcls
// filters, and both ACL stores: the embedded file and Kafka's znodes in an in-memory ZooKeeper,
// where a second broker's authorizer follows the first one's changes through the notifications.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { MemoryFs } from '../../../src/common/memory-fs.ts'
import { FileAclStore } from '../../../src/metadata/acl-store.ts'
import { ZkAclStore } from '../../../src/metadata/zk/zk-acl-store.ts'
import { MemoryZk } from '../../../src/metadata/zk/zk-memory.ts'
import {
  type AclBinding,
  type AclFilter,
  CLUSTER_NAME,
  filterMatches,
  invalidBinding,
  AclOperation as Op,
  PatternType,
  PermissionType,
  ResourceType as RT,
} from '../../../src/security/acl-types.ts'
import { Authorizer, readAuthorizerSettings } from '../../../src/security/authorizer.ts'

const ALLOW = PermissionType.ALLOW
const DENY = PermissionType.DENY
const bind = (
  resourceType: number,
  name: string,
  principal: string,
  operation: number,
  permissionType: number = ALLOW,
  patternType: number = PatternType.LITERAL,
  host = '*',
): AclBinding => ({
  pattern: { resourceType, name, patternType },
  entry: { principal, host, operation, permissionType },
})

async function authorizer(
  bindings: readonly AclBinding[],
  opts: { superUsers?: string[]; everyone?: boolean } = {},
): Promise<Authorizer> {
  const az = new Authorizer(
    { superUsers: new Set(opts.superUsers ?? []), allowEveryoneIfNoAclFound: opts.everyone ?? false },
    new FileAclStore(await dataFs(), '/data'),
  )
  await az.start()
  await az.create(bindings)
  return az
}

const H = '10.0.0.1'

async function dataFs(): Promise<MemoryFs> {
  const fs = new MemoryFs()
  await fs.mkdir('/data')
  return fs
}

describe('ACL authorizer: matching', () => {
  it('denies everything without ACLs, except super users; allow.everyone.if.no.acl.found opens it', async () => {
    const az = await authorizer([], { superUsers: ['User:admin'] })
    assert.equal(az.authorize('User:alice', H, Op.WRITE, RT.TOPIC, 't'), false)
    assert.equal(az.authorize('User:admin', H, Op.WRITE, RT.TOPIC, 't'), true)
    const open = await authorizer([], { everyone: true })
    assert.equal(open.authorize('User:alice', H, Op.WRITE, RT.TOPIC, 't'), true)
    // ...but not on a resource that has ACLs (for someone else).
    await open.create([bind(RT.TOPIC, 't', 'User:bob', Op.READ)])
    assert.equal(open.authorize('User:alice', H, Op.WRITE, RT.TOPIC, 't'), false)
    assert.equal(open.authorize('User:alice', H, Op.WRITE, RT.TOPIC, 'u'), true)
  })

  it('matches literal names, the * wildcard, prefixes, principals and hosts', async () => {
    const az = await authorizer([
      bind(RT.TOPIC, 't', 'User:alice', Op.WRITE),
      bind(RT.TOPIC, '*', 'User:carol', Op.READ),
      bind(RT.TOPIC, 'orders-', 'User:bob', Op.READ, ALLOW, PatternType.PREFIXED),
      bind(RT.GROUP, 'g', 'User:*', Op.READ),
      bind(RT.TOPIC, 'h', 'User:dave', Op.READ, ALLOW, PatternType.LITERAL, '10.0.0.9'),
    ])
    assert.equal(az.authorize('User:alice', H, Op.WRITE, RT.TOPIC, 't'), true)
    assert.equal(az.authorize('User:alice', H, Op.WRITE, RT.TOPIC, 'u'), false)
    assert.equal(az.authorize('User:alice', H, Op.READ, RT.TOPIC, 't'), false)
    assert.equal(az.authorize('User:carol', H, Op.READ, RT.TOPIC, 'anything'), true)
    assert.equal(az.authorize('User:bob', H, Op.READ, RT.TOPIC, 'orders-eu'), true)
    assert.equal(az.authorize('User:bob', H, Op.READ, RT.TOPIC, 'order'), false)
    assert.equal(az.authorize('User:anyone', H, Op.READ, RT.GROUP, 'g'), true)
    assert.equal(az.authorize('User:anyone', H, Op.READ, RT.TOPIC, 'g'), false)
    assert.equal(az.authorize('User:dave', '10.0.0.9', Op.READ, RT.TOPIC, 'h'), true)
    assert.equal(az.authorize('User:dave', H, Op.READ, RT.TOPIC, 'h'), false)
  })

  it('implies DESCRIBE from READ/WRITE/DELETE/ALTER and DESCRIBE_CONFIGS from ALTER_CONFIGS; ALL allows all', async () => {
    const az = await authorizer([
      bind(RT.TOPIC, 'r', 'User:a', Op.READ),
      bind(RT.TOPIC, 'w', 'User:a', Op.WRITE),
      bind(RT.TOPIC, 'd', 'User:a', Op.DELETE),
      bind(RT.TOPIC, 'al', 'User:a', Op.ALTER),
      bind(RT.TOPIC, 'c', 'User:a', Op.CREATE),
      bind(RT.TOPIC, 'ac', 'User:a', Op.ALTER_CONFIGS),
      bind(RT.TOPIC, 'all', 'User:a', Op.ALL),
    ])
    for (const t of ['r', 'w', 'd', 'al', 'all'])
      assert.equal(az.authorize('User:a', H, Op.DESCRIBE, RT.TOPIC, t), true, t)
    assert.equal(az.authorize('User:a', H, Op.DESCRIBE, RT.TOPIC, 'c'), false)
    assert.equal(az.authorize('User:a', H, Op.DESCRIBE_CONFIGS, RT.TOPIC, 'ac'), true)
    assert.equal(az.authorize('User:a', H, Op.DESCRIBE, RT.TOPIC, 'ac'), false)
    assert.equal(az.authorize('User:a', H, Op.DELETE, RT.TOPIC, 'all'), true)
    assert.equal(az.authorizedOperations('User:a', H, RT.TOPIC, 'r'), (1 << Op.READ) | (1 << Op.DESCRIBE))
  })

  it('lets a matching DENY win over any ALLOW (DENY of DESCRIBE does not deny READ)', async () => {
    const az = await authorizer([
      bind(RT.TOPIC, '*', 'User:*', Op.ALL),
      bind(RT.TOPIC, 'secret', 'User:eve', Op.READ, DENY),
      bind(RT.TOPIC, 'priv-', 'User:*', Op.ALL, DENY, PatternType.PREFIXED),
      bind(RT.TOPIC, 'x', 'User:eve', Op.DESCRIBE, DENY),
    ])
    assert.equal(az.authorize('User:eve', H, Op.READ, RT.TOPIC, 'secret'), false)
    assert.equal(az.authorize('User:eve', H, Op.WRITE, RT.TOPIC, 'secret'), true)
    assert.equal(az.authorize('User:bob', H, Op.READ, RT.TOPIC, 'priv-1'), false)
    assert.equal(az.authorize('User:eve', H, Op.DESCRIBE, RT.TOPIC, 'x'), false)
    assert.equal(az.authorize('User:eve', H, Op.READ, RT.TOPIC, 'x'), true)
  })

  it('authorizes by resource type (KIP-679) unless every allowed pattern is denied', async () => {
    const az = await authorizer([bind(RT.TOPIC, 't', 'User:a', Op.WRITE)])
    assert.equal(az.authorizeAny('User:a', H, Op.WRITE, RT.TOPIC), true)
    assert.equal(az.authorizeAny('User:b', H, Op.WRITE, RT.TOPIC), false)
    await az.create([bind(RT.TOPIC, 't', 'User:a', Op.WRITE, DENY, PatternType.PREFIXED)])
    assert.equal(az.authorizeAny('User:a', H, Op.WRITE, RT.TOPIC), false)
  })

  it('reads the settings: Kafka class names, super.users with semicolons, unknown class refused', () => {
    const ok = readAuthorizerSettings(
      new Map([
        ['authorizer.class.name', 'org.apache.kafka.metadata.authorizer.StandardAuthorizer'],
        ['super.users', 'User:admin; User:broker'],
      ]),
    )
    assert.deepEqual([...ok.settings!.superUsers], ['User:admin', 'User:broker'])
    assert.equal(ok.settings!.allowEveryoneIfNoAclFound, false)
    assert.equal(readAuthorizerSettings(new Map()).settings, null)
    const bad = readAuthorizerSettings(new Map([['authorizer.class.name', 'com.example.Mine']]))
    assert.match(bad.problem!, /^Invalid value com\.example\.Mine for configuration authorizer\.class\.name/)
  })
})

describe('ACL filters and validation', () => {
  const b = bind(RT.TOPIC, 'orders-', 'User:a', Op.READ, ALLOW, PatternType.PREFIXED)
  const f = (over: Partial<AclFilter>): AclFilter => ({
    resourceType: RT.ANY,
    name: null,
    patternType: PatternType.ANY,
    principal: null,
    host: null,
    operation: Op.ANY,
    permissionType: PermissionType.ANY,
    ...over,
  })
  it('ANY matches everything, MATCH the patterns that apply to a name, others exactly', () => {
    assert.equal(filterMatches(f({}), b), true)
    assert.equal(filterMatches(f({ patternType: PatternType.MATCH, name: 'orders-eu' }), b), true)
    assert.equal(filterMatches(f({ patternType: PatternType.MATCH, name: 'other' }), b), false)
    assert.equal(filterMatches(f({ patternType: PatternType.LITERAL, name: 'orders-' }), b), false)
    assert.equal(filterMatches(f({ patternType: PatternType.PREFIXED, name: 'orders-' }), b), true)
    assert.equal(filterMatches(f({ resourceType: RT.GROUP }), b), false)
    assert.equal(filterMatches(f({ operation: Op.WRITE }), b), false)
    assert.equal(filterMatches(f({ principal: 'User:a', permissionType: ALLOW }), b), true)
  })
  it('refuses bindings Kafka refuses', () => {
    assert.equal(invalidBinding(bind(RT.CLUSTER, CLUSTER_NAME, 'User:a', Op.ALTER)), null)
    assert.match(invalidBinding(bind(RT.CLUSTER, 'c', 'User:a', Op.ALTER))!, /kafka-cluster/)
    assert.match(invalidBinding(bind(RT.TOPIC, 't', 'alice', Op.READ))!, /principal/)
    assert.match(invalidBinding(bind(RT.TOPIC, 't', 'User:a', Op.ANY))!, /operation/)
    assert.match(invalidBinding(bind(RT.TOPIC, 't', 'User:a', Op.READ, ALLOW, PatternType.MATCH))!, /pattern/)
  })
  it('deletes what a filter matches and reports it', async () => {
    const az = await authorizer([
      bind(RT.TOPIC, 't', 'User:a', Op.READ),
      bind(RT.TOPIC, 't', 'User:b', Op.READ),
      bind(RT.GROUP, 'g', 'User:a', Op.READ),
    ])
    const [removed] = await az.delete([f({ principal: 'User:a' })])
    assert.equal(removed!.length, 2)
    assert.deepEqual(
      az.describe(f({})).map((x) => x.entry.principal),
      ['User:b'],
    )
  })
})

describe('ACL stores', () => {
  it('embedded: survives a restart from samsa-acls.json', async () => {
    const fs = await dataFs()
    const settings = { superUsers: new Set<string>(), allowEveryoneIfNoAclFound: false }
    const a = new Authorizer(settings, new FileAclStore(fs, '/data'))
    await a.start()
    await a.create([bind(RT.TOPIC, 'p-', 'User:a', Op.WRITE, ALLOW, PatternType.PREFIXED)])
    const b = new Authorizer(settings, new FileAclStore(fs, '/data'))
    await b.start()
    assert.equal(b.authorize('User:a', H, Op.WRITE, RT.TOPIC, 'p-1'), true)
    const doc = JSON.parse((await fs.readFile('/data/samsa-acls.json')).toString())
    assert.equal(doc.resources[0].patternType, 'PREFIXED')
    assert.deepEqual(doc.resources[0].acls, [
      { principal: 'User:a', permissionType: 'Allow', operation: 'Write', host: '*' },
    ])
  })

  it("ZooKeeper: Kafka's znodes and notifications; another broker follows the change", async () => {
    const mz = new MemoryZk()
    const settings = { superUsers: new Set<string>(), allowEveryoneIfNoAclFound: false }
    const one = new Authorizer(settings, new ZkAclStore(mz.connect()))
    const two = new Authorizer(settings, new ZkAclStore(mz.connect()))
    await one.start()
    await two.start()
    await one.create([
      bind(RT.TOPIC, 't', 'User:alice', Op.WRITE),
      bind(RT.GROUP, 'g-', 'User:alice', Op.READ, ALLOW, PatternType.PREFIXED),
    ])
    const tree = mz.dump('/')
    assert.deepEqual(JSON.parse(tree['/kafka-acl/Topic/t']!), {
      version: 1,
      acls: [{ principal: 'User:alice', permissionType: 'Allow', operation: 'Write', host: '*' }],
    })
    assert.ok(tree['/kafka-acl-extended/prefixed/Group/g-'])
    assert.ok(
      Object.entries(tree).some(
        ([k, v]) => k.startsWith('/kafka-acl-changes/acl_changes_') && v === 'Topic:t',
      ),
    )
    const ext = Object.entries(tree).find(([k]) => k.startsWith('/kafka-acl-extended-changes/acl_changes_'))
    assert.deepEqual(JSON.parse(ext![1]!), {
      version: 1,
      resourceType: 'Group',
      name: 'g-',
      patternType: 'PREFIXED',
    })
    for (let i = 0; i < 100 && !two.authorize('User:alice', H, Op.READ, RT.GROUP, 'g-1'); i++) {
      await new Promise((r) => setTimeout(r, 5))
      await two.settled()
    }
    assert.equal(two.authorize('User:alice', H, Op.WRITE, RT.TOPIC, 't'), true)
    assert.equal(two.authorize('User:alice', H, Op.READ, RT.GROUP, 'g-1'), true)
    await one.delete([
      {
        resourceType: RT.TOPIC,
        name: 't',
        patternType: PatternType.LITERAL,
        principal: null,
        host: null,
        operation: Op.ANY,
        permissionType: PermissionType.ANY,
      },
    ])
    assert.equal(mz.dump('/')['/kafka-acl/Topic/t'], undefined)
    for (let i = 0; i < 100 && two.authorize('User:alice', H, Op.WRITE, RT.TOPIC, 't'); i++) {
      await new Promise((r) => setTimeout(r, 5))
      await two.settled()
    }
    assert.equal(two.authorize('User:alice', H, Op.WRITE, RT.TOPIC, 't'), false)
    one.stop()
    two.stop()
  })
})
