// Change notifications do not pile up: a broker that processes the ACL notifications
// (/kafka-acl-changes, /kafka-acl-extended-changes) or the config ones (/config/changes) deletes
// those created more than the expiry ago (Kafka: 15 minutes), keeps the younger ones, and a
// notification another broker purged first is no error. Against the in-memory ZooKeeper, with the
// brokers' clock set just past the expiry of the first notifications, 20 ms before the next ones.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { silentLogger } from '../../../src/common/logger.ts'
import { MemoryFs } from '../../../src/common/memory-fs.ts'
import {
  CHANGE_EXPIRATION_MS,
  purgeExpiredNotifications,
} from '../../../src/metadata/zk/change-notifications.ts'
import { AclZkPaths, ZkAclStore } from '../../../src/metadata/zk/zk-acl-store.ts'
import { bootstrapZk } from '../../../src/metadata/zk/zk-bootstrap.ts'
import { MemoryZk } from '../../../src/metadata/zk/zk-memory.ts'
import { ZkMetadataStore } from '../../../src/metadata/zk/zk-store.ts'
import { ZkPaths } from '../../../src/metadata/zk/znodes.ts'
import { AclOperation, PatternType, PermissionType, ResourceType } from '../../../src/security/acl-types.ts'

const allow = (principal: string) => ({
  principal,
  host: '*',
  operation: AclOperation.READ,
  permissionType: PermissionType.ALLOW,
})

/** A clock just past the expiry of every notification now under `dirs` (and then 20 ms go by). */
async function pastExpiryOf(mz: MemoryZk, dirs: readonly string[], expirationMs: number): Promise<number> {
  let newest = 0
  for (const dir of dirs)
    for (const name of (await mz.connect().getChildren(dir)) ?? [])
      newest = Math.max(newest, (await mz.connect().exists(`${dir}/${name}`))!.ctime)
  await new Promise((r) => setTimeout(r, 20))
  return newest + expirationMs + 5
}

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return
    await new Promise((r) => setTimeout(r, 5))
  }
  assert.fail(`timed out waiting until ${what}`)
}

describe('change notification purge', () => {
  it("Kafka's expiry is 15 minutes", () => {
    assert.equal(CHANGE_EXPIRATION_MS, 900_000)
  })

  it('ACL notifications older than the expiry are deleted when a broker sees the notifications', async () => {
    const mz = new MemoryZk()
    let now = Date.now()
    const expiry = { now: () => now, expirationMs: 60_000 }
    const writer = new ZkAclStore(mz.connect(), { expiry })
    const follower = new ZkAclStore(mz.connect(), { expiry })
    const topic = (name: string) => ({
      resourceType: ResourceType.TOPIC,
      name,
      patternType: PatternType.LITERAL,
    })
    const prefixed = { resourceType: ResourceType.GROUP, name: 'g-', patternType: PatternType.PREFIXED }
    await writer.update(topic('a'), () => [allow('User:a')])
    await writer.update(prefixed, () => [allow('User:a')])
    let changes = 0
    follower.watch(() => changes++)
    const children = async (path: string) => (await mz.connect().getChildren(path)) ?? []
    await until(
      'the follower watches',
      async () => changes >= 0 && (await children(AclZkPaths.literalChanges)).length === 1,
    )
    await follower.purged()
    // Young: kept.
    assert.equal((await children(AclZkPaths.literalChanges)).length, 1)
    assert.equal((await children(AclZkPaths.extendedChanges)).length, 1)
    // Once they are old, the next changes make every watching broker purge them.
    now = await pastExpiryOf(mz, [AclZkPaths.literalChanges, AclZkPaths.extendedChanges], 60_000)
    const seen = changes
    await writer.update(topic('b'), () => [allow('User:b')])
    await writer.update({ ...prefixed, name: 'h-' }, () => [allow('User:b')])
    await until('the old notifications are gone', async () => {
      await follower.purged()
      return (
        changes > seen &&
        (await children(AclZkPaths.literalChanges)).length === 1 &&
        (await children(AclZkPaths.extendedChanges)).length === 1
      )
    })
    const left = (await mz
      .connect()
      .getData(`${AclZkPaths.literalChanges}/${(await children(AclZkPaths.literalChanges))[0]}`))!
    assert.equal(left.data!.toString(), 'Topic:b')
  })

  it('config notifications older than the expiry are deleted by every broker processing them', async () => {
    const mz = new MemoryZk()
    let now = Date.now()
    const stores = []
    for (const id of [1, 2]) {
      const zk = mz.connect()
      const identity = await bootstrapZk(zk, {
        fs: new MemoryFs(),
        logDirs: ['/data'],
        brokerId: id,
        reservedBrokerMaxId: 1000,
        now: () => 0,
      })
      const store = new ZkMetadataStore({
        zk,
        clusterId: identity.clusterId,
        nodeId: id,
        defaultNumPartitions: 1,
        defaultReplicationFactor: 1,
        staticBrokerConfig: new Map(),
        logger: silentLogger,
        now: () => now,
        changeExpirationMs: 60_000,
      })
      await store.start()
      stores.push(store)
    }
    const [one, two] = stores as [ZkMetadataStore, ZkMetadataStore]
    const changes = async () => (await mz.connect().getChildren(ZkPaths.configChanges)) ?? []
    const alter = (value: string) =>
      one.alterBrokerConfigs([{ brokerId: null, ops: [{ name: 'log.retention.ms', op: 0, value }] }])
    await alter('5000')
    await alter('6000')
    await until(
      'broker 2 follows',
      async () => two.image().brokerConfigs.clusterDefault.get('log.retention.ms') === '6000',
    )
    assert.equal((await changes()).length, 2)
    now = await pastExpiryOf(mz, [ZkPaths.configChanges], 60_000)
    await alter('7000')
    await until('the old notifications are gone', async () => (await changes()).length === 1)
    await until(
      'broker 2 follows',
      async () => two.image().brokerConfigs.clusterDefault.get('log.retention.ms') === '7000',
    )
    for (const s of stores) await s.close()
  })

  it('a notification already purged by another broker is skipped', async () => {
    const mz = new MemoryZk()
    const zk = mz.connect()
    await zk.mkdirp('/n')
    const a = await zk.create('/n/c_', null, 'persistent_sequential')
    const b = await zk.create('/n/c_', null, 'persistent_sequential')
    const names = [a, b].map((p) => p.slice('/n/'.length))
    await zk.delete(a)
    const expiry = { now: () => Date.now() + 10_000, expirationMs: 1000 }
    assert.equal(await purgeExpiredNotifications(zk, '/n', names, expiry, silentLogger), 1)
    assert.deepEqual(await zk.getChildren('/n'), [])
  })
})
