// Many independent ZooKeeper requests in flight at once, as Kafka's ZooKeeper controller sends its
// per-partition reads and writes (pipelined async requests on one session). A ZooKeeper server
// answers one session's requests in order and commits a pipeline's writes together, so 10,000
// state znodes cost about one round trip per window, not 10,000. The window bounds the memory of
// requests queued in the client; the server itself throttles a session with too many outstanding.

/** Requests in flight at once; a ZooKeeper server's own per-server limit is 1,000 outstanding. */
export const ZK_WINDOW = 1000

/**
 * Runs `fn` on every item with at most `window` calls unsettled at a time; resolves, once all have
 * settled, to their outcomes in item order (a failure does not stop the others, so the caller can
 * record what was written before it rethrows).
 */
export async function pipelined<T, R>(
  items: readonly T[],
  fn: (item: T, index: number) => Promise<R>,
  window = ZK_WINDOW,
): Promise<PromiseSettledResult<R>[]> {
  const out = new Array<PromiseSettledResult<R>>(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      try {
        out[i] = { status: 'fulfilled', value: await fn(items[i]!, i) }
      } catch (reason) {
        out[i] = { status: 'rejected', reason }
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(Math.max(1, window), items.length) }, worker))
  return out
}

/** The first failure among `outcomes`, preferring one `isPreferred` picks (e.g. a deposed controller). */
export function firstFailure(
  outcomes: readonly PromiseSettledResult<unknown>[],
  isPreferred: (reason: unknown) => boolean = () => false,
): { reason: unknown } | null {
  let first: { reason: unknown } | null = null
  for (const o of outcomes) {
    if (o.status !== 'rejected') continue
    if (isPreferred(o.reason)) return { reason: o.reason }
    first ??= { reason: o.reason }
  }
  return first
}

/** The values of `outcomes`, or the first failure thrown (`isPreferred` as in firstFailure). */
export function valuesOrThrow<R>(
  outcomes: readonly PromiseSettledResult<R>[],
  isPreferred?: (reason: unknown) => boolean,
): R[] {
  const failure = firstFailure(outcomes, isPreferred)
  if (failure !== null) throw failure.reason
  return outcomes.map((o) => (o as PromiseFulfilledResult<R>).value)
}
