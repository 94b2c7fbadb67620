// Producer ids in ZooKeeper mode: blocks of 1000 reserved cluster-wide in /latest_producer_id_block
// (Kafka's ZkProducerIdManager), so no two brokers ever hand out the same id. A block is claimed by
// a conditional write on the znode's version; a lost race just reads the new block end and retries.

import type { ZkClient } from './zk-client.ts'
import { decodeProducerIdBlock, encodeProducerIdBlock, ZkPaths } from './znodes.ts'

export const ZK_PRODUCER_ID_BLOCK_SIZE = 1000n
const MAX_PRODUCER_ID = 2n ** 63n - 1n

export class ZkProducerIdAllocator {
  private readonly zk: ZkClient
  private readonly brokerId: number
  private next = 0n
  private blockEnd = -1n
  private reserving: Promise<void> | null = null

  constructor(zk: ZkClient, brokerId: number) {
    this.zk = zk
    this.brokerId = brokerId
  }

  async generate(): Promise<bigint> {
    while (this.next > this.blockEnd) {
      this.reserving ??= this.claimBlock().finally(() => {
        this.reserving = null
      })
      await this.reserving
    }
    return this.next++
  }

  private async claimBlock(): Promise<void> {
    for (;;) {
      const got = await this.zk.getData(ZkPaths.producerIdBlock)
      const last = got === null ? null : decodeProducerIdBlock(got.data)
      const start = last === null ? 0n : last.blockEnd + 1n
      const end = start + ZK_PRODUCER_ID_BLOCK_SIZE - 1n
      if (end > MAX_PRODUCER_ID) throw new Error('producer ids exhausted')
      const data = encodeProducerIdBlock({ brokerId: this.brokerId, blockStart: start, blockEnd: end })
      try {
        if (got === null) await this.zk.create(ZkPaths.producerIdBlock, data, 'persistent')
        else await this.zk.setData(ZkPaths.producerIdBlock, data, got.stat.version)
      } catch (e) {
        const code = (e as { code?: string }).code
        if (code === 'BAD_VERSION' || code === 'NODE_EXISTS') continue
        throw e
      }
      this.next = start
      this.blockEnd = end
      return
    }
  }
}
