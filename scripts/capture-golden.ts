// Captures golden request bytes from real Kafka clients (kafkajs, kcat/librdkafka, kafka-python,
// confluent-kafka; what each is told to do is in capture-golden-clients.ts) by running them against
// test/support/capture-broker.ts, and writes:
//
//   test/fixtures/golden/<client>/<NN>-<api>-v<version>[-<label>].bin   one request frame (no size prefix)
//   test/fixtures/golden/<client>/<same name>.json                      what it must decode to
//   test/fixtures/batches/<client>-<codec>.bin                          the records of its Produce requests
//   test/fixtures/batches/<client>-<codec>.json                         the records as sent
//
// The expectations in the JSON come from what this script told the client to do (client id, topic,
// acks, group, records), plus header fields read by hand from the raw bytes; never from the codec.
// Not part of the test command: run by hand, `node_modules/.bin/node scripts/capture-golden.ts`,
// and commit the result (`node_modules/.bin/node scripts/capture-golden.ts kcat` redoes one
// client). Frame choice and numbering can vary a little between runs with librdkafka's timing.
// Needs kcat and /usr/bin/python3 with python3-kafka and
// python3-confluent-kafka (Debian packages).

import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { decodeRequestBody, decodeRequestFrame, requestHeaderVersion } from '../src/protocol/frame.ts'
import { API_TABLE, ApiKey } from '../src/protocol/generated/api-keys.ts'
import { CaptureBroker, type CapturedRequest } from '../test/support/capture-broker.ts'
import { type ClientPlan, clientPlans, type Scenario } from './capture-golden-clients.ts'

const GOLDEN = 'test/fixtures/golden'
const BATCHES = 'test/fixtures/batches'

/** A value in the JSON: bigints are written as {"$bigint": "..."}. */
type Json = null | boolean | number | string | Json[] | { [k: string]: Json }
/** `path` uses dots and [*] (every element); each value found must satisfy the check. */
export type Check =
  | { path: string; equals: Json }
  | { path: string; in: Json[] }
  | { path: string; notNull: true }

const big = (n: bigint): Json => ({ $bigint: String(n) })

// --- expectations --------------------------------------------------------------------------------

/** The header read by hand (not with the codec): key, version, correlation id, client id. */
function rawHeader(raw: Buffer): {
  apiKey: number
  apiVersion: number
  correlationId: number
  clientId: string | null
} {
  const apiKey = raw.readInt16BE(0)
  const apiVersion = raw.readInt16BE(2)
  const correlationId = raw.readInt32BE(4)
  if (apiKey === ApiKey.ControlledShutdown && apiVersion === 0)
    return { apiKey, apiVersion, correlationId, clientId: null }
  const n = raw.readInt16BE(8)
  const clientId = n < 0 ? null : raw.toString('utf8', 10, 10 + n)
  return { apiKey, apiVersion, correlationId, clientId }
}

/** Semantic checks from what the scenario asked the client to do. */
function checksFor(
  plan: ClientPlan,
  sc: Scenario,
  known: string[],
  apiKey: number,
  version: number,
): Check[] {
  const c: Check[] = []
  const topics = [...new Set([...known, ...sc.topics])]
  switch (apiKey) {
    case ApiKey.Produce:
      c.push({ path: 'acks', equals: sc.acks ?? null })
      c.push({ path: 'topicData[*].name', in: sc.topics })
      c.push({ path: 'topicData[*].partitionData[*].index', equals: 0 })
      c.push({ path: 'topicData[*].partitionData[*].records', notNull: true })
      if (version >= 3) c.push({ path: 'transactionalId', equals: null })
      break
    case ApiKey.Fetch:
      c.push({ path: 'topics[*].topic', in: topics })
      c.push({ path: 'topics[*].partitions[*].partition', equals: 0 })
      c.push({ path: 'replicaId', equals: -1 })
      break
    case ApiKey.ListOffsets:
      c.push({ path: 'replicaId', equals: -1 })
      c.push({ path: 'topics[*].name', in: topics })
      c.push({ path: 'topics[*].partitions[*].partitionIndex', equals: 0 })
      c.push({ path: 'topics[*].partitions[*].timestamp', in: [big(-2n), big(-1n)] })
      break
    case ApiKey.Metadata:
      c.push({ path: 'topics[*].name', in: topics })
      break
    case ApiKey.FindCoordinator:
      c.push({ path: 'key', equals: sc.group ?? null })
      if (version >= 1) c.push({ path: 'keyType', equals: 0 })
      break
    case ApiKey.JoinGroup:
      c.push({ path: 'groupId', equals: sc.group ?? null })
      c.push({ path: 'protocolType', equals: 'consumer' })
      break
    case ApiKey.SyncGroup:
    case ApiKey.Heartbeat:
    case ApiKey.LeaveGroup:
    case ApiKey.OffsetFetch:
      c.push({ path: 'groupId', equals: sc.group ?? null })
      break
    case ApiKey.OffsetCommit:
      c.push({ path: 'groupId', equals: sc.group ?? null })
      c.push({ path: 'topics[*].name', in: sc.topics })
      c.push({ path: 'topics[*].partitions[*].partitionIndex', equals: 0 })
      c.push({ path: 'topics[*].partitions[*].committedOffset', equals: big(6n) })
      break
    case ApiKey.CreateTopics:
      c.push({ path: 'topics[*].name', in: sc.topics })
      c.push({ path: 'topics[*].numPartitions', equals: sc.createPartitions ?? null })
      break
    case ApiKey.DeleteTopics:
      c.push({ path: 'topicNames[*]', in: sc.topics })
      break
    case ApiKey.DescribeConfigs:
      c.push({ path: 'resources[*].resourceType', equals: 2 })
      c.push({ path: 'resources[*].resourceName', in: sc.topics })
      break
    case ApiKey.InitProducerId:
      c.push({ path: 'transactionalId', equals: null })
      break
    case ApiKey.ApiVersions:
      if (version >= 3 && plan.software !== undefined) {
        c.push({ path: 'clientSoftwareName', equals: plan.software.name })
        c.push({ path: 'clientSoftwareVersion', equals: plan.software.version })
      }
      break
  }
  return c
}

function kebab(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase()
}

/** Which captured frames are worth a fixture: the first of each (api, version, variant) per client. */
function variant(req: CapturedRequest, sc: Scenario): string {
  if (req.apiKey === ApiKey.Produce) return sc.codec ?? ''
  if (req.apiKey === ApiKey.Metadata) {
    const body = decodeRequestBody<{ topics: unknown[] | null }>(decodeRequestFrame(req.raw))
    return body.topics === null || body.topics.length === 0 ? 'all' : 'topics'
  }
  return ''
}

async function capture(broker: CaptureBroker, plan: ClientPlan): Promise<void> {
  const dir = join(GOLDEN, plan.client)
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  const kept = new Set<string>()
  const known: string[] = []
  let n = 0
  for (const sc of plan.scenarios) {
    broker.clearRequests()
    process.stdout.write(`${plan.client} ${sc.label} ... `)
    try {
      await sc.run(broker.bootstrap)
    } catch (e) {
      console.log(`\n  broker problems: ${broker.problems.join('\n  ')}`)
      throw e
    }
    // Let trailing requests (commits, leave-group) land.
    await new Promise((r) => setTimeout(r, 300))
    if (broker.problems.length > 0) console.log(`\n  broker problems: ${broker.problems.join('\n  ')}`)
    const mine = broker.requests.filter(
      (r) => r.clientId === plan.clientId || r.clientId?.startsWith(plan.clientId),
    )
    console.log(`${broker.requests.length} requests`)
    for (const req of mine) {
      const h = rawHeader(req.raw)
      if (h.clientId !== plan.clientId)
        throw new Error(`${plan.client}: client id ${h.clientId}, configured ${plan.clientId}`)
      const api = API_TABLE[h.apiKey]
      const v = variant(req, sc)
      const id = `${h.apiKey}/${h.apiVersion}/${v}`
      if (kept.has(id)) continue
      kept.add(id)
      const name = `${String(n++).padStart(2, '0')}-${kebab(api.name)}-v${h.apiVersion}${v === '' ? '' : `-${v}`}`
      writeFileSync(join(dir, `${name}.bin`), req.raw)
      const expected = {
        client: plan.client,
        scenario: sc.label,
        apiKey: h.apiKey,
        apiName: api.name,
        apiVersion: h.apiVersion,
        headerVersion: requestHeaderVersion(h.apiKey, h.apiVersion),
        correlationId: h.correlationId,
        clientId: plan.clientId,
        checks: checksFor(plan, sc, known, h.apiKey, h.apiVersion),
      }
      writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(expected, null, 2)}\n`)
    }
    if (sc.records !== undefined) writeBatches(plan, sc, mine)
    known.push(...sc.topics)
  }
}

/** The records blobs of a scenario's Produce requests to partition 0 of its topic, in order. */
function writeBatches(plan: ClientPlan, sc: Scenario, reqs: CapturedRequest[]): void {
  const blobs: Buffer[] = []
  for (const req of reqs) {
    if (req.apiKey !== ApiKey.Produce) continue
    const body = decodeRequestBody<{
      topicData: { name: string; partitionData: { index: number; records: Buffer | null }[] }[]
    }>(decodeRequestFrame(req.raw))
    for (const t of body.topicData) {
      if (t.name !== sc.topics[0]) continue
      for (const p of t.partitionData)
        if (p.index === 0 && p.records !== null) blobs.push(Buffer.from(p.records))
    }
  }
  if (blobs.length === 0) throw new Error(`${plan.client} ${sc.label}: no Produce records captured`)
  mkdirSync(BATCHES, { recursive: true })
  const name = `${plan.client}-${sc.codec}`
  writeFileSync(join(BATCHES, `${name}.bin`), Buffer.concat(blobs))
  const expected = {
    client: plan.client,
    codec: sc.codec,
    topic: sc.topics[0],
    partition: 0,
    idempotent: plan.client === 'confluent-kafka',
    records: sc.records,
  }
  writeFileSync(join(BATCHES, `${name}.json`), `${JSON.stringify(expected, null, 2)}\n`)
}

async function main(): Promise<void> {
  const only = process.argv.slice(2)
  const plans = clientPlans().filter((p) => only.length === 0 || only.includes(p.client))
  const broker = await CaptureBroker.start({ partitions: 1 })
  try {
    for (const plan of plans) await capture(broker, plan)
  } finally {
    await broker.close()
  }
}

await main()
