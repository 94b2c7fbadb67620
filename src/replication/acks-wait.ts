// acks=all on the leader, for one produce request: each partition written answers once its high
// watermark covers the batch (partition.ts waitForAcks), with one timer for the whole request.
// Allocation (issue 11: the leader's garbage drives V8's collections): one IsrWait per request and
// one entry per partition waiting, answered through methods (no promise or closure per
// partition); the request's promise is the only one.

import type { Clock, Timer } from '../common/clock.ts'
import { ErrorCode } from '../protocol/generated/error-codes.ts'
import type { AckWaiter } from './leader-isr.ts'
import type { AppendOutcome, Partition } from './partition.ts'

/** Not answered yet (error codes are >= -1). */
const PENDING = -2

/** One partition of a request waiting for its ISR. */
class AckEntry implements AckWaiter {
  readonly offset: bigint
  readonly minIsr: number
  readonly part: Partition
  readonly slot: number
  private readonly owner: IsrWait
  code = PENDING

  constructor(owner: IsrWait, part: Partition, slot: number, offset: bigint) {
    this.owner = owner
    this.part = part
    this.slot = slot
    this.offset = offset
    this.minIsr = part.log.config.minInsyncReplicas
  }

  done(errorCode: number): void {
    if (this.code !== PENDING) return
    this.code = errorCode
    this.owner.answered()
  }
}

class IsrWait {
  private readonly outcomes: AppendOutcome[]
  private readonly entries: AckEntry[] = []
  private pending = 0
  private started = false
  private finished = false
  private timer: Timer | null = null
  private resolve: ((outcomes: AppendOutcome[]) => void) | null = null

  constructor(outcomes: AppendOutcome[]) {
    this.outcomes = outcomes
  }

  add(part: Partition, slot: number, offset: bigint): void {
    this.entries.push(new AckEntry(this, part, slot, offset))
    this.pending++
  }

  start(clock: Clock, timeoutMs: number): Promise<AppendOutcome[]> {
    const answer = new Promise<AppendOutcome[]>((resolve) => {
      this.resolve = resolve
    })
    // A partition whose high watermark already covers its batch answers during this loop.
    for (const e of this.entries) e.part.waitForAcks(e)
    this.started = true
    if (this.pending === 0) this.finish()
    else this.timer = clock.setTimeout(() => this.finish(), Math.max(0, timeoutMs))
    return answer
  }

  answered(): void {
    if (--this.pending === 0 && this.started) this.finish()
  }

  /** All answered, or the timer fired: the ones still waiting get REQUEST_TIMED_OUT. */
  private finish(): void {
    if (this.finished) return
    this.finished = true
    this.timer?.cancel()
    const outcomes = this.outcomes
    for (const e of this.entries) {
      let code = e.code
      if (code === PENDING) {
        e.part.cancelAcks(e)
        code = ErrorCode.REQUEST_TIMED_OUT
      }
      if (code !== ErrorCode.NONE)
        outcomes[e.slot] = { ...outcomes[e.slot]!, errorCode: code, errorMessage: null }
    }
    // Held no longer than needed: a callback handed to the timer may keep this object reachable
    // for a while (see FetchOp.release in fetch-reader.ts).
    const resolve = this.resolve!
    this.entries.length = 0
    this.resolve = null
    resolve(outcomes)
  }
}

/**
 * acks=all: each written partition answers once its high watermark covers the batch (every ISR
 * member has it), NOT_ENOUGH_REPLICAS_AFTER_APPEND when the ISR shrank below
 * min.insync.replicas meanwhile, REQUEST_TIMED_OUT after `timeoutMs`. One timer per request;
 * `outcomes` itself, at once, when no partition has to wait.
 */
export function awaitIsr(
  clock: Clock,
  outcomes: AppendOutcome[],
  parts: readonly (Partition | null)[],
  timeoutMs: number,
): AppendOutcome[] | Promise<AppendOutcome[]> {
  let wait: IsrWait | null = null
  for (let i = 0; i < outcomes.length; i++) {
    const o = outcomes[i]!
    const part = parts[i]
    if (part === null || part === undefined || o.errorCode !== ErrorCode.NONE || o.nextOffset === undefined)
      continue
    wait ??= new IsrWait(outcomes)
    wait.add(part, i, o.nextOffset)
  }
  return wait === null ? outcomes : wait.start(clock, timeoutMs)
}

/** acks=all for one write (a transaction marker at `required`): NONE once the ISR has it, else why. */
export function awaitIsrOne(
  clock: Clock,
  part: Partition,
  required: bigint,
  timeoutMs: number,
): Promise<number> {
  const outcome: AppendOutcome = {
    errorCode: ErrorCode.NONE,
    baseOffset: -1n,
    logAppendTimeMs: -1n,
    logStartOffset: -1n,
    errorMessage: null,
    nextOffset: required,
  }
  const r = awaitIsr(clock, [outcome], [part], timeoutMs)
  return Promise.resolve(r).then((o) => o[0]!.errorCode)
}
