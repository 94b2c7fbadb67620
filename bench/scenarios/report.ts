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
