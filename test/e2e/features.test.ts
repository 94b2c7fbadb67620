// kafka-features.sh describe and the feature APIs against a real broker process: ApiVersions v3+
// answers as a ZooKeeper-mode Kafka 3.x broker (no supported feature, nothing finalized, epoch 0),
// so the tool prints nothing and exits 0, as Kafka's does against such a cluster; UpdateFeatures
// (API 57) is served and refuses what that mode cannot do with Kafka's error.

import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { Admin } from '@platformatic/kafka'
import { BrokerClient } from '../../src/client/broker-client.ts'
import { ErrorCode } from '../../src/protocol/generated/error-codes.ts'
import {
  apiVersionsRequestCodec,
  apiVersionsResponseCodec,
} from '../../src/protocol/generated/messages/api-versions.ts'
import {
  updateFeaturesRequestCodec,
  updateFeaturesResponseCodec,
} from '../../src/protocol/generated/messages/update-features.ts'
import { type BrokerProcess, REPO, startBrokerProcess } from '../support/broker-process.ts'

function sh(
  script: string,
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(join(REPO, 'bin', script), args, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => {
      stdout += d
    })
    child.stderr.on('data', (d) => {
      stderr += d
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), 20000)
    child.once('error', reject)
    child.once('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

describe('features against a standalone broker', () => {
  let b: BrokerProcess | undefined
  let c: BrokerClient | undefined
  before(async () => {
    b = await startBrokerProcess()
    c = new BrokerClient({
      host: b.host,
      port: b.port,
      clientId: 'features-e2e',
      requestTimeoutMs: 5000,
      tls: null,
      sasl: null,
    })
  })
  after(async () => {
    c?.close()
    await b?.stop()
    b?.cleanup()
  })

  it('kafka-features.sh describe prints no feature and exits 0, as against a ZooKeeper-mode Kafka 3.x', async () => {
    const r = await sh('kafka-features.sh', ['--bootstrap-server', b!.bootstrap, 'describe'])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stdout, '')
    const bad = await sh('kafka-features.sh', ['--bootstrap-server', b!.bootstrap])
    assert.equal(bad.code, 1)
    assert.match(bad.stderr, /describe/)
  })

  it('answers the features of ApiVersions v3 and serves UpdateFeatures v0-1', async () => {
    const av = await c!.send(
      { apiKey: 18, version: 3, request: apiVersionsRequestCodec, response: apiVersionsResponseCodec },
      { ...apiVersionsRequestCodec.defaults(3), clientSoftwareName: 'e2e', clientSoftwareVersion: '1' },
    )
    assert.deepEqual(av.supportedFeatures, [])
    assert.deepEqual(av.finalizedFeatures, [])
    assert.equal(av.finalizedFeaturesEpoch, 0n)
    const uf = av.apiKeys.find((k) => k.apiKey === 57)
    assert.deepEqual(uf && [uf.minVersion, uf.maxVersion], [0, 1])
    const res = await c!.send(
      { apiKey: 57, version: 1, request: updateFeaturesRequestCodec, response: updateFeaturesResponseCodec },
      {
        timeoutMs: 5000,
        validateOnly: false,
        featureUpdates: [
          { feature: 'metadata.version', maxVersionLevel: 7, allowDowngrade: false, upgradeType: 1 },
        ],
      },
    )
    assert.equal(res.errorCode, ErrorCode.NONE)
    // A client that decodes ApiVersions v3's tagged feature fields still talks to the broker.
    const admin = new Admin({ clientId: 'features-e2e', bootstrapBrokers: [b!.bootstrap], retries: 0 })
    try {
      assert.ok(Array.isArray(await admin.listTopics()))
    } finally {
      await admin.close()
    }
    assert.deepEqual(res.results, [
      {
        feature: 'metadata.version',
        errorCode: ErrorCode.INVALID_REQUEST,
        errorMessage:
          'Could not apply finalized feature update because the provided feature is not supported.',
      },
    ])
  })
})
