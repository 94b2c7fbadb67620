// acks=all on the leader, for one produce request: each partition written answers once its high
// watermark covers the batch (partition.ts waitForAcks), with one timer for the whole request.

import type { Clock, Timer } from '../common/clock.ts'
import { ErrorCode } from '../protocol/generated/error-codes.ts'
import type { AppendOutcome, Partition } from './partition.ts'

/**
 * acks=all: each written partition answers once its high watermark covers the batch (every ISR
 * member has it), NOT_ENOUGH_REPLICAS_AFTER_APPEND when the ISR shrank below
 * min.insync.replicas meanwhile, REQUEST_TIMED_OUT after `timeoutMs`. One timer per request.
 */
export async function awaitIsr(
  clock: Clock,
  outcomes: AppendOutcome[],
  parts: readonly (Partition | null)[],
  timeoutMs: number,
): Promise<AppendOutcome[]> {
  const waits: { i: number; w: { result: Promise<number>; cancel: () => void } }[] = []
  for (let i = 0; i < outcomes.length; i++) {
    const o = outcomes[i]!
    const part = parts[i]
    if (part === null || part === undefined || o.errorCode !== ErrorCode.NONE || o.nextOffset === undefined)
      continue
    const w = part.waitForAcks(o.nextOffset, part.log.config.minInsyncReplicas)
    waits.push({ i, w })
  }
  if (waits.length === 0) return outcomes
  let timer: Timer | null = null
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = clock.setTimeout(() => resolve('timeout'), Math.max(0, timeoutMs))
  })
  await Promise.race([Promise.all(waits.map((x) => x.w.result)), timedOut])
  ;(timer as Timer | null)?.cancel()
  for (const { i, w } of waits) {
    w.cancel()
    const code = await Promise.race([w.result, Promise.resolve(ErrorCode.REQUEST_TIMED_OUT)])
    if (code !== ErrorCode.NONE) outcomes[i] = { ...outcomes[i]!, errorCode: code, errorMessage: null }
  }
  return outcomes
}
