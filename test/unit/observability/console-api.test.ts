// The web console's JSON API against brokers embedded in this process (port 0, temp log dirs):
// topic admin with the Kafka handlers' validation and error codes, produce and browse through the
// replica manager, configs and partitions, then the read-only mode and basic auth against a SCRAM
// user of the user store (/metrics stays open).

import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { type RunningBroker, startBroker } from '../../../src/broker/broker.ts'
import { silentLogger } from '../../../src/common/logger.ts'
import { nodeFs } from '../../../src/common/node-fs.ts'
import { FileUserConfigStore } from '../../../src/metadata/user-config-store.ts'
import { murmur2Partition } from '../../../src/observability/console/murmur2.ts'
import {
  credentialFromPassword,
  formatScramCredential,
  SCRAM_MECHANISMS,
} from '../../../src/security/scram-credential.ts'

type Json = Record<string, unknown> & { error?: string; errorName?: string }

function client(base: () => string, auth?: string) {
  return async (method: string, path: string, body?: unknown, contentType = 'application/json') => {
    const headers: Record<string, string> = {}
    if (body !== undefined) headers['Content-Type'] = contentType
    if (auth !== undefined) headers.Authorization = auth
    const r = await fetch(`${base()}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    })
    const text = await r.text()
    let json: Json = {}
    try {
      json = JSON.parse(text) as Json
    } catch {}
    return { status: r.status, json, text, headers: r.headers }
  }
}

const httpOf = (b: RunningBroker) => `http://127.0.0.1:${b.httpAddress!.port}`

describe('console API', () => {
  let dir: string
  let b: RunningBroker
  const call = client(() => httpOf(b))

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'samsa-console-api-'))
    b = await startBroker({
      port: 0,
      logDirs: [join(dir, 'data')],
      logger: silentLogger,
      config: { 'samsa.http.listeners': 'http://127.0.0.1:0', 'offsets.topic.num.partitions': 1 },
    })
  })
  after(async () => {
    await b?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  it('creates topics with the CreateTopics checks and errors', async () => {
    const ok = await call('POST', '/api/topics', {
      name: 'orders',
      partitions: 2,
      configs: { 'retention.ms': '60000' },
    })
    assert.equal(ok.status, 200, ok.text)
    assert.equal(ok.json.partitions, 2)
    const again = await call('POST', '/api/topics', { name: 'orders' })
    assert.equal(again.status, 400)
    assert.equal(again.json.errorName, 'TOPIC_ALREADY_EXISTS')
    assert.equal(
      (await call('POST', '/api/topics', { name: 'bad name!' })).json.errorName,
      'INVALID_TOPIC_EXCEPTION',
    )
    assert.equal(
      (await call('POST', '/api/topics', { name: '__cluster_metadata' })).json.errorName,
      'INVALID_REQUEST',
    )
    const badConfig = await call('POST', '/api/topics', { name: 'x', configs: { 'retention.ms': 'soon' } })
    assert.equal(badConfig.json.errorName, 'INVALID_CONFIG')
    assert.equal((await call('POST', '/api/topics', 'not json')).status, 400)
    assert.equal((await call('POST', '/api/topics', '{"name":"y"}', 'text/plain')).status, 415)
    const overview = await call('GET', '/api/overview')
    assert.equal(overview.json.topics, 1)
    assert.equal(overview.json.partitions, 2)
    assert.equal(overview.json.underReplicatedPartitions, 0)
  })

  it('produces with acks=all and browses by offset, timestamp and latest', async () => {
    const offsets: string[] = []
    for (const v of ['a', 'b', 'c']) {
      const r = await call('POST', '/api/topics/orders/records', {
        partition: 1,
        value: v,
        headers: [{ key: 'h', value: v }],
      })
      assert.equal(r.status, 200, r.text)
      offsets.push(r.json.offset as string)
    }
    assert.deepEqual(offsets, ['0', '1', '2'])
    const keyed = await call('POST', '/api/topics/orders/records', { key: 'user-7', value: 'k' })
    assert.equal(keyed.json.partition, murmur2Partition(Buffer.from('user-7'), 2))
    // Counted like produce requests' records.
    const metrics = (await call('GET', '/metrics')).text
    assert.match(metrics, /kafka_server_brokertopicmetrics_messagesin_total\{topic="orders"\} 4\n/)

    type Rec = { offset: string; value: string; timestamp: string; headers: { key: string; value: string }[] }
    const text = (r: Rec) => Buffer.from(r.value, 'base64').toString()
    const byOffset = await call('GET', '/api/topics/orders/partitions/1/records?offset=1&limit=1')
    const recs = byOffset.json.records as Rec[]
    assert.deepEqual(
      recs.map((r) => [r.offset, text(r)]),
      [['1', 'b']],
    )
    assert.equal(Buffer.from(recs[0]!.headers[0]!.value, 'base64').toString(), 'b')
    const all = (await call('GET', '/api/topics/orders/partitions/1/records?offset=0')).json.records as Rec[]
    const fromTime = await call(
      'GET',
      `/api/topics/orders/partitions/1/records?timestamp=${all[2]!.timestamp}`,
    )
    // The first record at or after the third record's time (same-millisecond records come first).
    const first = all.findIndex((r) => BigInt(r.timestamp) >= BigInt(all[2]!.timestamp))
    assert.equal((fromTime.json.records as Rec[])[0]!.offset, String(first))
    const latest = (await call('GET', '/api/topics/orders/partitions/1/records?limit=2')).json
      .records as Rec[]
    assert.deepEqual(
      latest.map((r) => r.offset),
      ['1', '2'],
    )
    assert.equal((await call('GET', '/api/topics/orders/partitions/9/records')).status, 404)
    assert.equal((await call('POST', '/api/topics/nope/records', { value: 'x' })).status, 404)
  })

  it('alters configs and adds partitions through the admin paths', async () => {
    const set = await call('PATCH', '/api/topics/orders/configs', { set: { 'cleanup.policy': 'compact' } })
    assert.equal(set.status, 200, set.text)
    type Cfg = { name: string; value: string; source: string; override: boolean }
    const cfg = async (name: string) =>
      ((await call('GET', '/api/topics/orders')).json.configs as Cfg[]).find((c) => c.name === name)!
    assert.deepEqual(
      [(await cfg('cleanup.policy')).value, (await cfg('cleanup.policy')).source],
      ['compact', 'DYNAMIC_TOPIC_CONFIG'],
    )
    const bad = await call('PATCH', '/api/topics/orders/configs', { set: { 'cleanup.policy': 'sometimes' } })
    assert.equal(bad.json.errorName, 'INVALID_CONFIG')
    await call('PATCH', '/api/topics/orders/configs', { delete: ['cleanup.policy'] })
    assert.equal((await cfg('cleanup.policy')).override, false)

    const grow = await call('POST', '/api/topics/orders/partitions', { count: 3 })
    assert.equal(grow.status, 200, grow.text)
    const detail = (await call('GET', '/api/topics/orders')).json
    const parts = detail.partitionDetails as { local: { highWatermark: string } | null; leader: number }[]
    assert.equal(parts.length, 3)
    assert.ok(parts.every((p) => p.local !== null && p.leader === b.nodeId))
    assert.equal(
      (await call('POST', '/api/topics/orders/partitions', { count: 2 })).json.errorName,
      'INVALID_PARTITIONS',
    )
  })

  it('lists groups, and answers unknown paths, methods and groups', async () => {
    assert.deepEqual((await call('GET', '/api/groups')).json, [])
    assert.equal((await call('GET', '/api/groups/none')).status, 404)
    assert.equal((await call('GET', '/api/nothing')).status, 404)
    assert.equal((await call('PUT', '/api/topics', {})).status, 405)
    const ts = await call('GET', '/api/timeseries')
    assert.equal(ts.json.intervalMs, 2000)
    const page = await call('GET', '/')
    assert.match(page.text, /<title>Samsa console<\/title>/)
    assert.equal((await call('GET', '/console/vendor/uPlot.esm.js')).status, 200)
    assert.equal((await call('GET', '/console/../package.json')).status, 404)
  })

  it('deletes a topic', async () => {
    assert.equal((await call('DELETE', '/api/topics/orders', {})).status, 200)
    assert.equal((await call('GET', '/api/topics/orders')).status, 404)
    assert.equal(
      (await call('DELETE', '/api/topics/orders', {})).json.errorName,
      'UNKNOWN_TOPIC_OR_PARTITION',
    )
  })
})

describe('console API: read-only with basic auth', () => {
  let dir: string
  let b: RunningBroker
  const good = `Basic ${Buffer.from('admin:admin-secret').toString('base64')}`
  const bad = `Basic ${Buffer.from('admin:nope').toString('base64')}`
  const anonymous = client(() => httpOf(b))
  const signedIn = client(() => httpOf(b), good)

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'samsa-console-auth-'))
    const logDir = join(dir, 'data')
    const m = SCRAM_MECHANISMS[0]!
    const cred = formatScramCredential(credentialFromPassword(m, 'admin-secret'))
    mkdirSync(logDir, { recursive: true })
    await new FileUserConfigStore(nodeFs, logDir).update('admin', { set: new Map([[m.name, cred]]) })
    b = await startBroker({
      port: 0,
      logDirs: [logDir],
      logger: silentLogger,
      config: {
        'samsa.http.listeners': 'http://127.0.0.1:0',
        'samsa.http.console.read.only': 'true',
        'samsa.http.console.auth': 'basic',
      },
    })
  })
  after(async () => {
    await b?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  it('asks for credentials, accepts the SCRAM user, keeps /metrics open', async () => {
    const r = await anonymous('GET', '/')
    assert.equal(r.status, 401)
    assert.match(r.headers.get('www-authenticate') ?? '', /^Basic realm=/)
    assert.equal((await client(() => httpOf(b), bad)('GET', '/api/overview')).status, 401)
    const session = await signedIn('GET', '/api/session')
    assert.deepEqual(session.json, { readOnly: true, auth: true, user: 'admin' })
    assert.equal((await signedIn('GET', '/')).status, 200)
    assert.equal((await anonymous('GET', '/metrics')).status, 200)
    assert.equal((await anonymous('GET', '/healthz')).status, 200)
  })

  it('answers 403 to every change', async () => {
    const refused = [
      await signedIn('POST', '/api/topics', { name: 't' }),
      await signedIn('DELETE', '/api/topics/t', {}),
      await signedIn('POST', '/api/topics/t/partitions', { count: 2 }),
      await signedIn('PATCH', '/api/topics/t/configs', { set: { 'retention.ms': '1' } }),
      await signedIn('POST', '/api/topics/t/records', { value: 'x' }),
    ]
    assert.deepEqual(
      refused.map((r) => r.status),
      [403, 403, 403, 403, 403],
    )
    assert.equal((await signedIn('GET', '/api/topics')).status, 200)
  })
})
