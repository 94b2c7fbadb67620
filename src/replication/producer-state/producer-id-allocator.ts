// Producer ids for InitProducerId, never handed out twice, even across restarts. Ids are reserved
// in blocks of 1000 (Kafka's block size); a block is made durable before its first id is used,
// in one small file in the first log dir, in the JSON Kafka keeps in ZooKeeper's
// /latest_producer_id_block:
//
//   <log dir>/producer-id-block.json
//   {"version":1,"broker":<node id>,"block_start":"<first id>","block_end":"<last id>"}
//
// After a restart allocation continues after block_end; the unused rest of the last block is
// skipped, never reused.

import { join } from 'node:path'
import type { Fs } from '../../common/fs.ts'
import { isNotFound, writeFileAtomic } from '../../common/fs.ts'

export const PRODUCER_ID_BLOCK_FILE = 'producer-id-block.json'
export const PRODUCER_ID_BLOCK_SIZE = 1000n
const MAX_PRODUCER_ID = 2n ** 63n - 1n

export class ProducerIdAllocator {
  private readonly fs: Fs
  private readonly path: string
  private readonly brokerId: number
  private readonly blockSize: bigint
  private next = 0n
  /** Last id of the reserved block; next > blockEnd means a new block is needed. */
  private blockEnd = -1n
  private loaded = false
  private reserving: Promise<void> | null = null

  constructor(opts: { fs: Fs; logDir: string; brokerId: number; blockSize?: bigint }) {
    this.fs = opts.fs
    this.path = join(opts.logDir, PRODUCER_ID_BLOCK_FILE)
    this.brokerId = opts.brokerId
    this.blockSize = opts.blockSize ?? PRODUCER_ID_BLOCK_SIZE
  }

  /** A fresh producer id. Rejects when the block file cannot be read or written. */
  async generate(): Promise<bigint> {
    while (this.next > this.blockEnd) {
      this.reserving ??= this.reserveBlock().finally(() => {
        this.reserving = null
      })
      await this.reserving
    }
    return this.next++
  }

  private async reserveBlock(): Promise<void> {
    if (!this.loaded) {
      const last = await this.readLastBlockEnd()
      this.next = last + 1n
      this.blockEnd = last
      this.loaded = true
    }
    const start = this.blockEnd + 1n > this.next ? this.blockEnd + 1n : this.next
    const end = start + this.blockSize - 1n
    if (end > MAX_PRODUCER_ID) throw new Error('producer ids exhausted')
    const body = JSON.stringify({
      version: 1,
      broker: this.brokerId,
      block_start: start.toString(),
      block_end: end.toString(),
    })
    await this.fs.mkdir(join(this.path, '..'))
    await writeFileAtomic(this.fs, this.path, Buffer.from(body))
    this.next = start
    this.blockEnd = end
  }

  /** block_end of the persisted block, -1n when there is none yet. */
  private async readLastBlockEnd(): Promise<bigint> {
    let raw: Buffer
    try {
      raw = await this.fs.readFile(this.path)
    } catch (err) {
      if (isNotFound(err)) return -1n
      throw err
    }
    const parsed = JSON.parse(raw.toString('utf8')) as { block_end?: unknown }
    if (typeof parsed.block_end !== 'string' || !/^\d+$/.test(parsed.block_end)) {
      throw new Error(`${this.path}: block_end is missing or not a number`)
    }
    return BigInt(parsed.block_end)
  }
}
