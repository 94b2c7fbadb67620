// What every kperf-driven scenario prints under its table: medians, and one line naming the commit
// and the machine (cpu count and model, memory, Node, load average at the end of the run: the
// development VM is shared, so the load says how much the figures can be trusted).

import { execFileSync } from 'node:child_process'
import { cpus, loadavg, totalmem } from 'node:os'

export function median(xs: readonly number[]): number {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b)
  if (v.length === 0) return Number.NaN
  const m = v.length >> 1
  return v.length % 2 === 1 ? v[m] : (v[m - 1] + v[m]) / 2
}

/**
 * A confidence interval for the median of `xs` that assumes nothing about their distribution: the
 * order statistics x(k) and x(n+1-k) (k from medianRank). Why: the side-by-side ratios move
 * ±10-20 % between rounds on the bench VM, and a verdict whose bar lies inside this interval is the
 * VM's to give, not the code's. Null for no finite value.
 */
export function medianInterval(
  xs: readonly number[],
  level = 0.9,
): { lo: number; hi: number; coverage: number } | null {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b)
  const n = v.length
  if (n === 0) return null
  const { k, coverage } = medianRank(n, level)
  return { lo: v[k - 1], hi: v[n - k], coverage }
}

/**
 * For n values, the rank k whose order statistics x(k), x(n+1-k) hold the median with probability
 * 1 - 2·P(Binomial(n, 1/2) < k): the largest k giving at least `level`; when even the minimum and
 * maximum (k = 1) give less, k = 1 with the coverage it has (75 % for 3 values).
 */
export function medianRank(n: number, level = 0.9): { k: number; coverage: number } {
  // below: P(Binomial(n, 1/2) < next - 1), built from the binomial coefficients.
  let coef = 1
  let below = 0
  let k = 1
  let coverage = 1 - 2 * 0.5 ** n
  for (let next = 2; 2 * next <= n + 1; next++) {
    below += coef * 0.5 ** n
    coef = (coef * (n - (next - 2))) / (next - 1)
    const c = 1 - 2 * (below + coef * 0.5 ** n)
    if (c < level) break
    k = next
    coverage = c
  }
  return { k, coverage }
}

export function commit(): string {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim()
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      encoding: 'utf8',
    }).trim()
    return dirty === '' ? sha : `${sha}+dirty`
  } catch {
    return 'unknown'
  }
}

export function machineLine(): string {
  const c = cpus()
  return (
    `commit ${commit()}; ${c.length} × ${c[0]?.model ?? 'unknown cpu'}, ` +
    `${Math.round(totalmem() / 2 ** 30)} GiB; Node ${process.version}; ` +
    `load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`
  )
}
