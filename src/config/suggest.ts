// "Did you mean …?" for misspelt config keys: the closest known key by edit distance (optimal string
// alignment: insertions, deletions, substitutions and swaps of neighbours), after folding case and
// treating '_' and '-' as '.', so `num_partitions`, `Num.Partitions` and `num.partiton` all find
// `num.partitions`.

const fold = (s: string): string => s.toLowerCase().replace(/[_-]/g, '.')

export function editDistance(a: string, b: string): number {
  const rows = a.length + 1
  const cols = b.length + 1
  const d: number[] = new Array(rows * cols).fill(0)
  for (let i = 0; i < rows; i++) d[i * cols] = i
  for (let j = 0; j < cols; j++) d[j] = j
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let v = Math.min(
        d[(i - 1) * cols + j]! + 1,
        d[i * cols + j - 1]! + 1,
        d[(i - 1) * cols + j - 1]! + cost,
      )
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, d[(i - 2) * cols + j - 2]! + 1)
      d[i * cols + j] = v
    }
  }
  return d[rows * cols - 1]!
}

/** The known key closest to `key`, or null when none is close enough to be a likely typo. */
export function closestKey(key: string, known: Iterable<string>): string | null {
  const k = fold(key)
  // Allow one edit per five characters, at least one and at most three.
  const limit = Math.min(3, Math.max(1, Math.floor(k.length / 5)))
  let best: string | null = null
  let bestDistance = Number.POSITIVE_INFINITY
  for (const candidate of known) {
    const c = fold(candidate)
    if (Math.abs(c.length - k.length) > limit) continue
    const dist = editDistance(k, c)
    if (dist < bestDistance || (dist === bestDistance && best !== null && candidate < best)) {
      best = candidate
      bestDistance = dist
    }
  }
  return bestDistance <= limit ? best : null
}
