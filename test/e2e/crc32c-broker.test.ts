// The broker's CRC-32C check with each implementation it can run (SAMSA_CRC32C): kcat's batches
// (1 KiB records, batches of tens of KiB: the addon's folding path, or its three streams where the
// CPU lacks VPCLMULQDQ) are taken and read back;
// a batch with one byte flipped after the CRC field is refused with CORRUPT_MESSAGE and leaves the
// log as it was; the broker says at startup when it runs without the addon.

import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { BrokerClient } from '../../src/client/broker-client.ts'
import { asTopicName } from '../../src/common/ids.ts'
import { ApiKey } from '../../src/protocol/generated/api-keys.ts'
import { ErrorCode } from '../../src/protocol/generated/error-codes.ts'
import { produceRequestCodec, produceResponseCodec } from '../../src/protocol/generated/messages/produce.ts'
import { crc32cAddon } from '../../src/protocol/primitives/crc32c.ts'
import { buildBatch } from '../../src/records/builder.ts'
import { type BrokerProcess, startBrokerProcess } from '../support/broker-process.ts'
import { kcat, kcatConsumeJson } from '../support/e2e-clients.ts'

const PRODUCE = {
  apiKey: ApiKey.Produce,
  version: 9,
  request: produceRequestCodec,
  response: produceResponseCodec,
} as const

const SLOWER = /CRC-32C checks run on (.+), slower than the addon/

// The addon only where it is built here (the install script builds it; crc32c-addon.test.ts
// checks that it builds wherever a C compiler and Node's headers are).
const choices = crc32cAddon === null ? ['node-rs', 'js'] : ['addon', 'node-rs', 'js']

for (const choice of choices) {
  describe(`CRC-32C check in the broker process (SAMSA_CRC32C=${choice})`, () => {
    let b: BrokerProcess | undefined
    let client: BrokerClient | undefined
    after(async () => {
      client?.close()
      await b?.stop()
      b?.cleanup()
    })

    it('takes real clients’ batches, refuses a corrupted one, and says which code checks', async () => {
      b = await startBrokerProcess({ env: { SAMSA_CRC32C: choice }, config: { 'num.partitions': 1 } })
      const said = SLOWER.exec(b.output())
      if (choice === 'addon') assert.equal(said, null, b.output())
      else assert.equal(said?.[1], choice === 'js' ? 'the pure-JS code' : '@node-rs/crc32')

      const values = Array.from({ length: 300 }, (_, i) =>
        `${i}:`.padEnd(1024, String.fromCharCode(97 + (i % 26))),
      )
      await kcat(b.bootstrap, ['-P', '-t', 'crc', '-p', '0', '-X', 'linger.ms=50'], {
        input: `${values.join('\n')}\n`,
      })
      const got = await kcatConsumeJson(b.bootstrap, ['-t', 'crc', '-p', '0', '-o', 'beginning'])
      assert.deepEqual(
        got.map((m) => m.payload),
        values,
      )

      client = new BrokerClient({ host: b.host, port: b.port, clientId: 'crc-test' })
      const produce = async (records: Buffer) =>
        (
          await client!.send(PRODUCE, {
            transactionalId: null,
            acks: 1,
            timeoutMs: 5000,
            topicData: [{ name: asTopicName('crc'), partitionData: [{ index: 0, records }] }],
          })
        ).responses[0].partitionResponses[0]
      const batch = () =>
        buildBatch(
          Array.from({ length: 40 }, (_, i) => ({ key: `k${i}`, value: Buffer.alloc(1000, i) })),
          { timestamp: Date.now() },
        )
      const corrupted = batch()
      corrupted[corrupted.length - 5] ^= 0x01
      const refused = await produce(corrupted)
      assert.equal(refused.errorCode, ErrorCode.CORRUPT_MESSAGE)
      const taken = await produce(batch())
      assert.equal(taken.errorCode, ErrorCode.NONE)
      assert.equal(taken.baseOffset, BigInt(values.length), 'the refused batch took no offsets')
    })
  })
}
