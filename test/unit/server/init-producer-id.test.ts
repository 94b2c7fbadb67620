import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { ProducerId, TransactionalId } from '../../../src/common/ids.ts'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'
import {
  type InitProducerIdRequest,
  initProducerIdResponseCodec,
} from '../../../src/protocol/generated/messages/init-producer-id.ts'
import { initProducerIdHandler } from '../../../src/server/handlers/init-producer-id.ts'
import { ctx, type Env, roundTrip, startEnv } from '../replication/helpers.ts'

const req = (transactionalId: string | null = null): InitProducerIdRequest => ({
  transactionalId: transactionalId as TransactionalId | null,
  transactionTimeoutMs: 60000,
  producerId: -1n as ProducerId,
  producerEpoch: -1,
})

const asked: string[] = []
// Transactional ids go to the transaction coordinator (its own tests are test/unit/coordinator/txn-*).
const txnCoordinator = {
  async initProducerId(id: string) {
    asked.push(id)
    return { errorCode: ErrorCode.PRODUCER_FENCED, producerId: -1n, producerEpoch: -1 }
  },
}

async function init(env: Env, r: InitProducerIdRequest, version: number) {
  return roundTrip(
    initProducerIdResponseCodec,
    (await initProducerIdHandler.handle(ctx(22, version), r, { ...env.services, txnCoordinator }))!,
    version,
  )
}

describe('InitProducerId handler', () => {
  let env: Env
  before(async () => {
    env = await startEnv()
  })
  after(() => env.stop())

  it('gives each idempotent producer a new id with epoch 0, every version', async () => {
    const ids = new Set<bigint>()
    for (let v = 0; v <= 5; v++) {
      const r = await init(env, req(), v)
      assert.equal(r.errorCode, ErrorCode.NONE)
      assert.equal(r.producerEpoch, 0)
      ids.add(r.producerId)
    }
    assert.equal(ids.size, 6)
  })

  it('hands transactional ids to the transaction coordinator, refuses an empty one', async () => {
    const txn = await init(env, req('my-txn'), 4)
    assert.equal(txn.errorCode, ErrorCode.PRODUCER_FENCED)
    assert.equal(txn.producerId, -1n)
    // Before v4 clients know the fencing error as INVALID_PRODUCER_EPOCH.
    assert.equal((await init(env, req('my-txn'), 3)).errorCode, ErrorCode.INVALID_PRODUCER_EPOCH)
    assert.deepEqual(asked, ['my-txn', 'my-txn'])
    assert.equal((await init(env, req(''), 4)).errorCode, ErrorCode.INVALID_REQUEST)
  })
})
