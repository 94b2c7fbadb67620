// Features (KIP-584) as a ZooKeeper-mode Kafka 3.x broker serves them: ApiVersions v3+ fields,
// UpdateFeatures' checks and /feature writes, and kafka-features.sh's describe lines.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { describeLines } from '../../../src/cli/features/run.ts'
import { MemoryFs } from '../../../src/common/memory-fs.ts'
import { bootstrapZk } from '../../../src/metadata/zk/zk-bootstrap.ts'
import { MemoryZk } from '../../../src/metadata/zk/zk-memory.ts'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'
import {
  apiVersionsRequestCodec,
  apiVersionsResponseCodec,
} from '../../../src/protocol/generated/messages/api-versions.ts'
import {
  type UpdateFeaturesRequestFeatureUpdateKey,
  updateFeaturesRequestCodec,
  updateFeaturesResponseCodec,
} from '../../../src/protocol/generated/messages/update-features.ts'
import type { Authorizer } from '../../../src/security/authorizer.ts'
import { apiVersionsHandler } from '../../../src/server/handlers/api-versions.ts'
import {
  decodeFeatureZNode,
  encodeFeatureZNode,
  FEATURE_PATH,
  type FeatureStore,
  MemoryFeatureStore,
  ZkFeatureStore,
} from '../../../src/server/handlers/feature-state.ts'
import {
  type UpdateFeaturesServices,
  updateFeaturesHandler,
} from '../../../src/server/handlers/update-features.ts'
import { ctx, request, wire } from './admin-fixtures.ts'

async function apiVersions(version: number, features?: FeatureStore) {
  const req = request(apiVersionsRequestCodec, {}, version)
  const res = await apiVersionsHandler.handle(ctx(18, version), req, { apiRanges: () => [], features })
  assert.ok(res)
  return wire(apiVersionsResponseCodec, res, version)
}

function update(
  feature: string,
  maxVersionLevel: number,
  upgradeType = 1,
): UpdateFeaturesRequestFeatureUpdateKey {
  return { feature, maxVersionLevel, allowDowngrade: false, upgradeType }
}

async function updateFeatures(
  services: UpdateFeaturesServices,
  updates: UpdateFeaturesRequestFeatureUpdateKey[],
  validateOnly = false,
  version = 1,
) {
  const req = request(updateFeaturesRequestCodec, { featureUpdates: updates, validateOnly }, version)
  const res = await updateFeaturesHandler.handle(ctx(57, version), req, services)
  assert.ok(res)
  return wire(updateFeaturesResponseCodec, res, version)
}

async function zkStore(): Promise<{ zk: ReturnType<MemoryZk['connect']>; store: ZkFeatureStore }> {
  const zk = new MemoryZk().connect()
  await bootstrapZk(zk, {
    fs: new MemoryFs(),
    logDirs: ['/d'],
    brokerId: 1,
    reservedBrokerMaxId: 1000,
    now: () => 0,
  })
  const store = new ZkFeatureStore(zk)
  await store.start()
  return { zk, store }
}

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setImmediate(r))
  assert.ok(cond())
}

describe('ApiVersions features (ZooKeeper-mode Kafka 3.x)', () => {
  it('advertises no supported feature, nothing finalized, epoch 0 on a standalone broker (v3, v4)', async () => {
    for (const v of [3, 4]) {
      const res = await apiVersions(v)
      assert.deepEqual(res.supportedFeatures, [])
      assert.deepEqual(res.finalizedFeatures, [])
      assert.equal(res.finalizedFeaturesEpoch, 0n)
    }
    const v2 = await apiVersions(2)
    assert.equal(v2.finalizedFeaturesEpoch, -1n)
  })

  it('answers /feature and its data version in cluster mode, following changes through the watch', async () => {
    const { zk, store } = await zkStore()
    try {
      let res = await apiVersions(3, store)
      assert.equal(res.finalizedFeaturesEpoch, 0n)
      assert.deepEqual(res.finalizedFeatures, [])
      await zk.setData(FEATURE_PATH, encodeFeatureZNode(new Map([['feature_x', 2]])))
      await until(() => store.current().epoch === 1n)
      res = await apiVersions(3, store)
      assert.deepEqual(res.finalizedFeatures, [{ name: 'feature_x', maxVersionLevel: 2, minVersionLevel: 1 }])
      assert.equal(res.finalizedFeaturesEpoch, 1n)
      await zk.setData(FEATURE_PATH, Buffer.from('{"features":{},"version":2,"status":0}'))
      await until(() => store.current().epoch === -1n)
    } finally {
      store.close()
    }
  })

  it('reads and writes /feature in the format Samsa bootstraps and Kafka reads', () => {
    const buf = encodeFeatureZNode(new Map([['b', 3]]))
    assert.deepEqual(JSON.parse(buf.toString()), {
      features: { b: { max_version_level: 3, min_version_level: 1 } },
      version: 2,
      status: 1,
    })
    assert.deepEqual(decodeFeatureZNode(Buffer.from('{"features":{},"version":2,"status":1}')), new Map())
    assert.equal(decodeFeatureZNode(Buffer.from('not json')), null)
  })
})

describe('UpdateFeatures (ZooKeeper-mode controller)', () => {
  it("refuses every update a ZooKeeper-mode broker cannot apply, with Kafka's messages", async () => {
    const store = new MemoryFeatureStore()
    const res = await updateFeatures({ features: store }, [
      update('metadata.version', 7),
      update('gone', 0, 2),
      update('zero', 0, 1),
      update('odd', 1, 9),
    ])
    assert.equal(res.errorCode, ErrorCode.NONE)
    assert.deepEqual(
      res.results.map((r) => [r.feature, r.errorCode, r.errorMessage]),
      [
        [
          'metadata.version',
          ErrorCode.INVALID_REQUEST,
          'Could not apply finalized feature update because the provided feature is not supported.',
        ],
        ['gone', ErrorCode.INVALID_REQUEST, 'Can not delete non-existing finalized feature.'],
        [
          'zero',
          ErrorCode.INVALID_REQUEST,
          'Can not provide versionLevel: 0 less than 1 without setting the SAFE downgradeType in the request.',
        ],
        ['odd', ErrorCode.INVALID_REQUEST, 'Received unknown upgrade type.'],
      ],
    )
    assert.equal(store.current().epoch, 0n)
  })

  it('deletes a feature finalized by hand in /feature (and only validates with validateOnly)', async () => {
    const { zk, store } = await zkStore()
    try {
      await zk.setData(
        FEATURE_PATH,
        encodeFeatureZNode(
          new Map([
            ['feature_x', 2],
            ['feature_y', 1],
          ]),
        ),
      )
      await until(() => store.current().epoch === 1n)
      let res = await updateFeatures({ features: store }, [update('feature_x', 0, 2)], true)
      assert.deepEqual(res.results, [{ feature: 'feature_x', errorCode: ErrorCode.NONE, errorMessage: null }])
      assert.equal((await zk.getData(FEATURE_PATH))?.stat.version, 1)
      res = await updateFeatures({ features: store }, [update('feature_x', 0, 2), update('feature_y', 1, 1)])
      assert.deepEqual(
        res.results.map((r) => [r.feature, r.errorCode]),
        [
          ['feature_x', ErrorCode.NONE],
          ['feature_y', ErrorCode.INVALID_REQUEST],
        ],
      )
      assert.match(res.results[1]!.errorMessage ?? '', /from existing versionLevel:1 to the same value/)
      const got = await zk.getData(FEATURE_PATH)
      assert.equal(got?.stat.version, 2)
      assert.deepEqual(decodeFeatureZNode(got!.data), new Map([['feature_y', 1]]))
      await until(() => store.current().epoch === 2n)
      // v0's allowDowngrade is a safe downgrade.
      res = await updateFeatures(
        { features: store },
        [{ feature: 'feature_y', maxVersionLevel: 0, allowDowngrade: true, upgradeType: 1 }],
        false,
        0,
      )
      assert.equal(res.results[0]?.errorCode, ErrorCode.NONE)
      assert.equal(decodeFeatureZNode((await zk.getData(FEATURE_PATH))!.data)?.size, 0)
    } finally {
      store.close()
    }
  })

  it('answers NOT_CONTROLLER off the controller and CLUSTER_AUTHORIZATION_FAILED without ALTER', async () => {
    let res = await updateFeatures({ isActiveController: () => false }, [update('f', 1)])
    assert.equal(res.errorCode, ErrorCode.NOT_CONTROLLER)
    assert.deepEqual(res.results, [])
    const deny = { authorize: () => false } as unknown as Authorizer
    res = await updateFeatures({ authorizer: deny }, [update('f', 1)])
    assert.equal(res.errorCode, ErrorCode.CLUSTER_AUTHORIZATION_FAILED)
  })
})

describe('kafka-features.sh describe lines', () => {
  it("prints Kafka's line per supported feature, sorted, finalized level 0 when absent, epoch '-' when unknown", () => {
    const base = apiVersionsResponseCodec.defaults(3)
    const lines = describeLines({
      ...base,
      supportedFeatures: [
        { name: 'z.feature', minVersion: 1, maxVersion: 4 },
        { name: 'a.feature', minVersion: 0, maxVersion: 2 },
      ],
      finalizedFeatures: [{ name: 'z.feature', maxVersionLevel: 3, minVersionLevel: 1 }],
      finalizedFeaturesEpoch: 5n,
    })
    assert.deepEqual(lines, [
      'Feature: a.feature\tSupportedMinVersion: 0\tSupportedMaxVersion: 2\tFinalizedVersionLevel: 0\tEpoch: 5',
      'Feature: z.feature\tSupportedMinVersion: 1\tSupportedMaxVersion: 4\tFinalizedVersionLevel: 3\tEpoch: 5',
    ])
    const unknown = describeLines({
      ...base,
      supportedFeatures: [{ name: 'f', minVersion: 1, maxVersion: 1 }],
    })
    assert.match(unknown[0]!, /\tEpoch: -$/)
    assert.deepEqual(describeLines(base), [])
  })
})
