// Broker start to first successful produce: spawn the broker process on an empty log dir, wait for
// its "started" line (the port), connect, create a topic, produce one record with acks=1. Then
// the idle RSS a second later. With a fresh compile cache ("cold": a first start after install)
// and with the cache the first start left ("warm": every later start).

import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { decodeResponseFrame } from '../../src/protocol/frame.ts'
import { produceResponseCodec } from '../../src/protocol/generated/messages/produce.ts'
import { fillerBatch, PRODUCE_VERSION, produceFrame } from './load.ts'
import { startBroker } from './processes.ts'
import { createTopic, WireConnection } from './wire.ts'

export interface StartupResult {
  /** spawn → "started" line. */
  listeningMs: number
  /** spawn → first produce acknowledged without error (topic creation included). */
  firstProduceMs: number
  idleRssMb: number
}

export async function measureStartup(dir: string, compileCache: string): Promise<StartupResult> {
  mkdirSync(dir, { recursive: true })
  const t0 = performance.now()
  const broker = await startBroker({ dir, compileCache })
  try {
    const c = await WireConnection.open(broker.host, broker.port)
    await createTopic(c, 'startup', 1)
    const { batch } = fillerBatch(100, 200)
    const body = await new Promise<Buffer>((resolve) =>
      c.sendRaw(produceFrame('startup', [0], batch, 1), resolve),
    )
    const res = decodeResponseFrame(produceResponseCodec, body, PRODUCE_VERSION).body
    const code = res.responses[0]?.partitionResponses[0]?.errorCode
    if (code !== 0) throw new Error(`first produce failed with error ${code}`)
    const firstProduceMs = performance.now() - t0
    c.close()
    await new Promise((r) => setTimeout(r, 1000))
    return { listeningMs: broker.readyMs, firstProduceMs, idleRssMb: broker.rssMb() }
  } finally {
    await broker.stop()
  }
}

export function compileCacheDir(root: string): string {
  const d = join(root, 'compile-cache')
  mkdirSync(d, { recursive: true })
  return d
}
