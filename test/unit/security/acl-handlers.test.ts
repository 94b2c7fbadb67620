// The ACL APIs with an authorizer (CreateAcls / DescribeAcls / DeleteAcls over their wire codecs:
// ALTER/DESCRIBE on the cluster, INVALID_REQUEST reasons, ANY/MATCH filters, the v0 LITERAL-only
// shape), the request-level guards the broker wraps around handlers when the authorizer is on,
// and kafka-acls.sh's option expansion (--producer, --consumer, --remove filters).

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { guardHandlers } from '../../../src/broker/authorizer-wiring.ts'
import { parseAclOptions } from '../../../src/cli/acls/options.ts'
import { MemoryFs } from '../../../src/common/memory-fs.ts'
import { FileAclStore } from '../../../src/metadata/acl-store.ts'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'
import {
  createAclsRequestCodec,
  createAclsResponseCodec,
} from '../../../src/protocol/generated/messages/create-acls.ts'
import {
  deleteAclsRequestCodec,
  deleteAclsResponseCodec,
} from '../../../src/protocol/generated/messages/delete-acls.ts'
import {
  describeAclsRequestCodec,
  describeAclsResponseCodec,
} from '../../../src/protocol/generated/messages/describe-acls.ts'
import {
  AclOperation as Op,
  PatternType,
  PermissionType,
  ResourceType as RT,
} from '../../../src/security/acl-types.ts'
import { Authorizer } from '../../../src/security/authorizer.ts'
import type { AnyHandler, RequestContext } from '../../../src/server/handler.ts'
import { createAclsHandler } from '../../../src/server/handlers/create-acls.ts'
import { deleteAclsHandler } from '../../../src/server/handlers/delete-acls.ts'
import { describeAclsHandler } from '../../../src/server/handlers/describe-acls.ts'
import { heartbeatHandler } from '../../../src/server/handlers/heartbeat.ts'
import { ctx, request, wire } from '../server/admin-fixtures.ts'

async function services() {
  const fs = new MemoryFs()
  await fs.mkdir('/data')
  const authorizer = new Authorizer(
    { superUsers: new Set(['User:admin']), allowEveryoneIfNoAclFound: false },
    new FileAclStore(fs, '/data'),
  )
  await authorizer.start()
  return { authorizer }
}

const as = (c: RequestContext, principal: string): RequestContext => ({
  ...c,
  connection: { ...c.connection, principal },
})

const creation = {
  resourceType: RT.TOPIC,
  resourceName: 'orders',
  resourcePatternType: PatternType.LITERAL,
  principal: 'User:alice',
  host: '*',
  operation: Op.WRITE,
  permissionType: PermissionType.ALLOW,
}
const anyFilter = {
  resourceTypeFilter: RT.ANY,
  resourceNameFilter: null,
  patternTypeFilter: PatternType.ANY,
  principalFilter: null,
  hostFilter: null,
  operation: Op.ANY,
  permissionType: PermissionType.ANY,
}

describe('ACL APIs with an authorizer', () => {
  it('CreateAcls: ALTER on the cluster, INVALID_REQUEST with the reason for bad creations', async () => {
    const s = await services()
    const req = request(
      createAclsRequestCodec,
      { creations: [creation, { ...creation, resourceType: RT.CLUSTER, resourceName: 'c' }] },
      3,
    )
    const denied = wire(
      createAclsResponseCodec,
      (await createAclsHandler.handle(as(ctx(30, 3), 'User:alice'), req, s))!,
      3,
    )
    assert.deepEqual(
      denied.results.map((r) => r.errorCode),
      [ErrorCode.CLUSTER_AUTHORIZATION_FAILED, ErrorCode.CLUSTER_AUTHORIZATION_FAILED],
    )
    const ok = wire(
      createAclsResponseCodec,
      (await createAclsHandler.handle(as(ctx(30, 3), 'User:admin'), req, s))!,
      3,
    )
    assert.equal(ok.results[0]!.errorCode, ErrorCode.NONE)
    assert.equal(ok.results[1]!.errorCode, ErrorCode.INVALID_REQUEST)
    assert.match(ok.results[1]!.errorMessage!, /kafka-cluster/)
    assert.equal(s.authorizer.authorize('User:alice', '1.2.3.4', Op.WRITE, RT.TOPIC, 'orders'), true)
  })

  it('DescribeAcls: DESCRIBE on the cluster; ANY and MATCH filters; v0 sees literal patterns', async () => {
    const s = await services()
    await s.authorizer.create([
      {
        pattern: { resourceType: RT.TOPIC, name: 'orders', patternType: PatternType.LITERAL },
        entry: { principal: 'User:a', host: '*', operation: Op.READ, permissionType: PermissionType.ALLOW },
      },
      {
        pattern: { resourceType: RT.TOPIC, name: 'ord', patternType: PatternType.PREFIXED },
        entry: { principal: 'User:b', host: '*', operation: Op.READ, permissionType: PermissionType.ALLOW },
      },
    ])
    const admin = as(ctx(29, 3), 'User:admin')
    const all = wire(
      describeAclsResponseCodec,
      (await describeAclsHandler.handle(admin, request(describeAclsRequestCodec, anyFilter, 3), s))!,
      3,
    )
    assert.equal(all.errorCode, ErrorCode.NONE)
    assert.equal(all.resources.length, 2)
    const match = wire(
      describeAclsResponseCodec,
      (await describeAclsHandler.handle(
        admin,
        request(
          describeAclsRequestCodec,
          { ...anyFilter, resourceNameFilter: 'orders-eu', patternTypeFilter: PatternType.MATCH },
          3,
        ),
        s,
      ))!,
      3,
    )
    assert.deepEqual(
      match.resources.map((r) => r.resourceName),
      ['ord'],
    )
    const v0 = wire(
      describeAclsResponseCodec,
      (await describeAclsHandler.handle(
        as(ctx(29, 0), 'User:admin'),
        request(describeAclsRequestCodec, { ...anyFilter, patternTypeFilter: PatternType.LITERAL }, 0),
        s,
      ))!,
      0,
    )
    assert.deepEqual(
      v0.resources.map((r) => r.resourceName),
      ['orders'],
    )
    const denied = await describeAclsHandler.handle(
      as(ctx(29, 3), 'User:a'),
      request(describeAclsRequestCodec, anyFilter, 3),
      s,
    )
    assert.equal(denied!.errorCode, ErrorCode.CLUSTER_AUTHORIZATION_FAILED)
    const bad = await describeAclsHandler.handle(
      admin,
      request(describeAclsRequestCodec, { ...anyFilter, operation: Op.UNKNOWN }, 3),
      s,
    )
    assert.equal(bad!.errorCode, ErrorCode.INVALID_REQUEST)
  })

  it('DeleteAcls: removes and lists what each filter matches', async () => {
    const s = await services()
    await createAclsHandler.handle(
      as(ctx(30, 3), 'User:admin'),
      request(createAclsRequestCodec, { creations: [creation] }, 3),
      s,
    )
    const res = wire(
      deleteAclsResponseCodec,
      (await deleteAclsHandler.handle(
        as(ctx(31, 3), 'User:admin'),
        request(
          deleteAclsRequestCodec,
          {
            filters: [
              { ...anyFilter, principalFilter: 'User:alice' },
              { ...anyFilter, principalFilter: 'User:nobody' },
            ],
          },
          3,
        ),
        s,
      ))!,
      3,
    )
    assert.equal(res.filterResults[0]!.matchingAcls.length, 1)
    assert.equal(res.filterResults[0]!.matchingAcls[0]!.resourceName, 'orders')
    assert.deepEqual(res.filterResults[1]!.matchingAcls, [])
    assert.equal(s.authorizer.authorize('User:alice', '1.2.3.4', Op.WRITE, RT.TOPIC, 'orders'), false)
  })
})

describe('request-level guards', () => {
  it('answer the handler error response with Kafka code, or run the handler when allowed', async () => {
    const s = await services()
    const [guarded] = guardHandlers([heartbeatHandler as AnyHandler<unknown>])
    let ran = 0
    const inner = { ...guarded!, handle: guarded!.handle }
    const svc = {
      ...s,
      groupCoordinator: {
        heartbeat: async () => {
          ran++
          return ErrorCode.NONE
        },
      },
    }
    const req = { groupId: 'g', generationId: 1, memberId: 'm', groupInstanceId: null }
    const denied = (await inner.handle(as(ctx(12, 4), 'User:bob'), req, svc)) as { errorCode: number }
    assert.equal(denied.errorCode, ErrorCode.GROUP_AUTHORIZATION_FAILED)
    assert.equal(ran, 0)
    await s.authorizer.create([
      {
        pattern: { resourceType: RT.GROUP, name: 'g', patternType: PatternType.LITERAL },
        entry: { principal: 'User:bob', host: '*', operation: Op.READ, permissionType: PermissionType.ALLOW },
      },
    ])
    await inner.handle(as(ctx(12, 4), 'User:bob'), req, svc)
    assert.equal(ran, 1)
  })
})

describe('kafka-acls.sh options', () => {
  const base = ['--bootstrap-server', 'localhost:9092']
  it('--producer expands to Write, Describe, Create on the topic (+ IdempotentWrite with --idempotent)', () => {
    const c = parseAclOptions([
      ...base,
      '--add',
      '--allow-principal',
      'User:alice',
      '--producer',
      '--topic',
      't',
      '--idempotent',
    ])
    assert.deepEqual(
      c.bindings.map((b) => [b.pattern.resourceType, b.entry.operation]),
      [
        [RT.TOPIC, Op.WRITE],
        [RT.TOPIC, Op.DESCRIBE],
        [RT.TOPIC, Op.CREATE],
        [RT.CLUSTER, Op.IDEMPOTENT_WRITE],
      ],
    )
  })
  it('--consumer: Read, Describe on the topic and Read on the group; hosts default to *', () => {
    const c = parseAclOptions([
      ...base,
      '--add',
      '--allow-principal',
      'User:bob',
      '--consumer',
      '--topic',
      't',
      '--group',
      'g',
    ])
    assert.deepEqual(
      c.bindings.map((b) => [b.pattern.resourceType, b.entry.operation, b.entry.host]),
      [
        [RT.TOPIC, Op.READ, '*'],
        [RT.TOPIC, Op.DESCRIBE, '*'],
        [RT.GROUP, Op.READ, '*'],
      ],
    )
  })
  it('--remove without principals removes every ACL of the resource; --list without one lists all', () => {
    const r = parseAclOptions([...base, '--remove', '--topic', 'p-', '--resource-pattern-type', 'prefixed'])
    assert.deepEqual(r.filters, [
      {
        resourceType: RT.TOPIC,
        name: 'p-',
        patternType: PatternType.PREFIXED,
        principal: null,
        host: null,
        operation: Op.ANY,
        permissionType: PermissionType.ANY,
      },
    ])
    const l = parseAclOptions([...base, '--list'])
    assert.equal(l.filters[0]!.resourceType, RT.ANY)
  })
  it('refuses a MATCH pattern type when adding, and two actions', () => {
    assert.throws(
      () =>
        parseAclOptions([
          ...base,
          '--add',
          '--allow-principal',
          'User:a',
          '--topic',
          't',
          '--resource-pattern-type',
          'match',
        ]),
      /not valid when adding acls/,
    )
    assert.throws(() => parseAclOptions([...base, '--add', '--list', '--topic', 't']), /exactly one action/)
  })
})
