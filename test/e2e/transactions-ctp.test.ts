// Exactly-once consume-transform-produce under kill -9, short version (the long one, with more
// kills and a broker kill in a cluster, is `npm run test:txn-long`): a transactional
// confluent-kafka processor using send_offsets_to_transaction is SIGKILLed mid-stream three
// times and restarted with the same transactional.id; the output then holds every input record
// once (read_committed) and the group's offsets are at the input's end. See txn-ctp.ts.

import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { type BrokerProcess, startBrokerProcess } from '../support/broker-process.ts'
import { fillInput, killAndCheck } from './txn-ctp.ts'

describe('consume-transform-produce with kill -9', () => {
  let broker: BrokerProcess
  before(async () => {
    broker = await startBrokerProcess({ config: { 'transaction.state.log.num.partitions': 2 } })
  })
  after(async () => {
    await broker?.stop()
    broker?.cleanup()
  })

  it('holds every input record exactly once after 3 kills of the processor', async () => {
    const o = {
      bootstrap: () => broker.bootstrap,
      input: 'ctp-in',
      output: 'ctp-out',
      group: 'ctp-group',
      txnId: 'ctp-processor',
      partitions: 2,
      perPartition: 150,
      kills: 3,
      maxBatch: 10,
      delayMs: 5,
    }
    await fillInput(o)
    const r = await killAndCheck(o)
    assert.equal(r.kills, 3, 'every kill landed before the processor finished')
  })
})
