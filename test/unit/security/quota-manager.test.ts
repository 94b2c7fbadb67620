// Client quotas without a broker: Kafka's windowed rate and throttle formula, the precedence of
// quota entities and which clients share a measured rate, the manager's choice of what to charge
// (produce request bytes, consumer fetch response bytes, never follower fetches), and the quota
// stores (file, and ZooKeeper sharing /config/users/<user> with SCRAM credentials).

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createLogger, LogLevel } from '../../../src/common/logger.ts'
import { MemoryFs } from '../../../src/common/memory-fs.ts'
import { FileClientQuotaStore } from '../../../src/metadata/client-quota-store.ts'
import { ZkClientQuotaStore } from '../../../src/metadata/zk/zk-client-quotas.ts'
import { MemoryZk } from '../../../src/metadata/zk/zk-memory.ts'
import { ZkUserConfigStore } from '../../../src/metadata/zk/zk-user-configs.ts'
import { ApiKey } from '../../../src/protocol/generated/api-keys.ts'
import { entityKey, resolveQuota } from '../../../src/security/quota-entity.ts'
import { ClientQuotaManager, type ServedRequest } from '../../../src/security/quota-manager.ts'
import { WindowedRate } from '../../../src/security/quota-rate.ts'

describe('WindowedRate', () => {
  it('measures over at least samples-1 windows and throttles by (rate-bound)/bound x window', () => {
    const r = new WindowedRate({ samples: 11, windowMs: 1000 })
    r.record(5_000_000, 0)
    // 5 MB over the minimum 10 s window: 500 kB/s.
    assert.equal(r.rate(0), 500_000)
    assert.equal(r.throttleMs(1_000_000, 0), 0)
    r.record(15_000_000, 100)
    // 20 MB over 10.1 s (0.1 s elapsed + 10 whole windows) against 1 MB/s: (1.98-1)/1 x 10.1 s.
    assert.equal(r.throttleMs(1_000_000, 100), 9900)
  })

  it('drops samples older than samples x window and can take a value back', () => {
    const r = new WindowedRate({ samples: 2, windowMs: 1000 })
    r.record(1000, 0)
    r.record(1000, 1500)
    assert.equal(r.rate(1500), 2000 / 1.5)
    // The first sample expired; the second began 0.6 s ago, measured over 0.6 + 1 s.
    assert.equal(r.rate(2100), 1000 / 1.6)
    r.unrecord(1000, 2100)
    assert.equal(r.rate(2100), 0)
  })
})

describe('quota precedence', () => {
  const q = (entries: [Parameters<typeof entityKey>[0], number][]) =>
    new Map(entries.map(([e, v]) => [entityKey(e), new Map([['producer_byte_rate', v]])]))
  const all = q([
    [{ user: 'alice', clientId: 'app' }, 1],
    [{ user: 'alice', clientId: null }, 2],
    [{ user: 'alice' }, 3],
    [{ user: null, clientId: 'app' }, 4],
    [{ user: null, clientId: null }, 5],
    [{ user: null }, 6],
    [{ clientId: 'app' }, 7],
    [{ clientId: null }, 8],
  ])

  it("takes the first entity in Kafka's order that sets the key", () => {
    const order: [string, string, number][] = [
      ['alice', 'app', 1],
      ['alice', 'other', 2],
      ['bob', 'app', 4],
      ['bob', 'other', 5],
    ]
    for (const [u, c, want] of order) assert.equal(resolveQuota(all, 'producer_byte_rate', u, c)?.bound, want)
    const noUsers = q([
      [{ clientId: 'app' }, 7],
      [{ clientId: null }, 8],
    ])
    assert.equal(resolveQuota(noUsers, 'producer_byte_rate', 'x', 'app')?.bound, 7)
    assert.equal(resolveQuota(noUsers, 'producer_byte_rate', 'x', 'zzz')?.bound, 8)
    assert.equal(resolveQuota(noUsers, 'consumer_byte_rate', 'x', 'app'), null)
    const userOnly = q([[{ user: 'alice' }, 3]])
    assert.equal(resolveQuota(userOnly, 'producer_byte_rate', 'alice', 'any')?.bound, 3)
  })

  it('a quota on a client-id is shared by its users; a default applies to each client-id apart', () => {
    const m = q([
      [{ clientId: 'app' }, 7],
      [{ clientId: null }, 8],
    ])
    const a = resolveQuota(m, 'producer_byte_rate', 'alice', 'app')!
    const b = resolveQuota(m, 'producer_byte_rate', 'bob', 'app')!
    assert.equal(a.sensor, b.sensor)
    const c = resolveQuota(m, 'producer_byte_rate', 'alice', 'one')!
    const d = resolveQuota(m, 'producer_byte_rate', 'alice', 'two')!
    assert.notEqual(c.sensor, d.sensor)
  })
})

describe('ClientQuotaManager', () => {
  const served = (over: Partial<ServedRequest>): ServedRequest => ({
    apiKey: ApiKey.Produce,
    apiVersion: 9,
    request: {},
    principal: 'User:ANONYMOUS',
    clientId: 'slow',
    requestBytes: 0,
    responseBytes: 0,
    handlerMs: 0,
    ...over,
  })

  it('charges produce request bytes and consumer fetch response bytes, not follower fetches', () => {
    let now = 0
    const m = new ClientQuotaManager(() => now, { samples: 2, windowMs: 1000 })
    assert.equal(m.active, false)
    m.setQuotas([
      {
        entity: { clientId: 'slow' },
        quotas: new Map([
          ['producer_byte_rate', 1000],
          ['consumer_byte_rate', 1000],
        ]),
      },
    ])
    assert.equal(m.active, true)
    assert.equal(m.record(served({ requestBytes: 500 })), 0)
    // 2500 B over the minimum 1 s window against 1000 B/s: (2.5-1)/1 x 1 s.
    assert.equal(m.record(served({ requestBytes: 2000 })), 1500)
    assert.equal(m.record(served({ clientId: 'fast', requestBytes: 1e9 })), 0)
    const follower = served({
      apiKey: ApiKey.Fetch,
      apiVersion: 12,
      request: { replicaId: 2 },
      responseBytes: 1e9,
    })
    assert.equal(m.record(follower), 0)
    const consumer = served({
      apiKey: ApiKey.Fetch,
      apiVersion: 12,
      request: { replicaId: -1 },
      responseBytes: 3000,
    })
    assert.equal(m.record(consumer), 2000)
    m.unrecordFetch(consumer)
    now = 500
    assert.equal(
      m.record(
        served({ apiKey: ApiKey.Fetch, apiVersion: 12, request: { replicaId: -1 }, responseBytes: 100 }),
      ),
      0,
    )
  })

  it('request_percentage charges handler time as percent of a thread, capped at one window', () => {
    const m = new ClientQuotaManager(() => 0, { samples: 2, windowMs: 1000 })
    m.setQuotas([{ entity: { user: null }, quotas: new Map([['request_percentage', 10]]) }])
    assert.equal(m.record(served({ apiKey: ApiKey.Metadata, handlerMs: 50 })), 0)
    assert.equal(m.record(served({ apiKey: ApiKey.Metadata, handlerMs: 500 })), 1000)
    assert.equal(m.record(served({ apiKey: ApiKey.ApiVersions, handlerMs: 5000 })), 0)
  })
})

describe('client quota stores', () => {
  it('file store: Kafka entity paths, defaults, removal', async () => {
    const fs = new MemoryFs()
    await fs.mkdir('/d')
    const s = new FileClientQuotaStore(fs, '/d')
    let changes = 0
    s.watch(() => changes++)
    await s.alter({ clientId: 'app' }, new Map([['producer_byte_rate', 1048576]]), [])
    await s.alter({ user: null, clientId: null }, new Map([['request_percentage', 50]]), [])
    await s.alter({ user: 'a b' }, new Map([['consumer_byte_rate', 10]]), [])
    await s.alter({ user: 'a b' }, new Map(), ['consumer_byte_rate'])
    const doc = JSON.parse((await fs.readFile('/d/samsa-client-quotas.json')).toString())
    assert.deepEqual(doc.entities, {
      'clients/app': { producer_byte_rate: '1048576' },
      'users/<default>/clients/<default>': { request_percentage: '50.0' },
    })
    assert.equal(changes, 4)
    const list = await s.list()
    assert.deepEqual(
      list.map((e) => [e.entity, [...e.quotas]]),
      [
        [{ clientId: 'app' }, [['producer_byte_rate', 1048576]]],
        [{ user: null, clientId: null }, [['request_percentage', 50]]],
      ],
    )
  })

  it('ZooKeeper store shares /config/users/<user> with SCRAM credentials and notifies', async () => {
    const mz = new MemoryZk()
    const zk = mz.connect()
    await zk.mkdirp('/config/changes')
    const users = new ZkUserConfigStore(zk)
    const log = createLogger('test', LogLevel.off)
    const quotas = new ZkClientQuotaStore(zk, log)
    let changes = 0
    const stop = quotas.watch(() => changes++)
    await users.update('alice', {
      set: new Map([['SCRAM-SHA-512', 'salt=x,stored_key=y,server_key=z,iterations=4096']]),
    })
    await quotas.alter({ user: 'alice' }, new Map([['producer_byte_rate', 2048]]), [])
    await quotas.alter({ user: 'alice', clientId: 'app' }, new Map([['consumer_byte_rate', 100]]), [])
    await quotas.alter({ clientId: null }, new Map([['producer_byte_rate', 5]]), [])
    const dump = mz.dump('/config')
    assert.deepEqual(JSON.parse(String(dump['/config/users/alice'])), {
      version: 1,
      config: {
        'SCRAM-SHA-512': 'salt=x,stored_key=y,server_key=z,iterations=4096',
        producer_byte_rate: '2048',
      },
    })
    assert.equal(
      dump['/config/users/alice/clients/app'],
      '{"version":1,"config":{"consumer_byte_rate":"100"}}',
    )
    assert.equal(dump['/config/clients/<default>'], '{"version":1,"config":{"producer_byte_rate":"5"}}')
    const paths = Object.entries(dump)
      .filter(([k]) => k.startsWith('/config/changes/'))
      .map(([, v]) => JSON.parse(String(v)).entity_path)
    assert.deepEqual(paths.sort(), [
      'clients/<default>',
      'users/alice',
      'users/alice',
      'users/alice/clients/app',
    ])
    assert.equal((await users.get('alice')).get('SCRAM-SHA-512')?.startsWith('salt=x'), true)
    const list = await quotas.list()
    assert.equal(list.length, 3)
    await new Promise((r) => setTimeout(r, 20))
    assert.ok(changes >= 1, 'the watch saw the changes')
    stop()
  })
})
