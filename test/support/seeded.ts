// One seeded random generator for the tests, benchmarks' checks and the fault suite, so a run that
// fails can be replayed from the seed it printed. mulberry32: 32 bits of state, enough for shuffles
// and schedules; not for anything that needs unpredictability.

/** A generator of numbers in [0, 1), the same sequence for the same seed. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
