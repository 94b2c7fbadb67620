// The side-by-side report's noise interval (bench/scenarios/report.ts, medianInterval) and its use
// in `npm run bench -- side-by-side --results FILE`: the interval must hold the median as often as
// it says (checked by simulation, not only by its formula), and a bar inside it must be reported as
// "within noise" — the VM's ±10-20 % between rounds would otherwise read as a verdict on the code.

import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { medianInterval } from '../../../bench/scenarios/report.ts'
import { seeded } from '../../support/seeded.ts'

const RUN = fileURLToPath(new URL('../../../bench/run.ts', import.meta.url))

describe('medianInterval', () => {
  it('takes the order statistics the binomial coverage allows', () => {
    const nine = [9, 1, 8, 2, 7, 3, 6, 4, 5]
    assert.deepEqual(medianInterval(nine), { lo: 2, hi: 8, coverage: 1 - (2 * 10) / 512 })
    // Three values cannot reach 90 %: min and max, with the 75 % they have.
    assert.deepEqual(medianInterval([3, Number.NaN, 1, 2]), { lo: 1, hi: 3, coverage: 0.75 })
    assert.equal(medianInterval([Number.NaN]), null)
    const twenty = Array.from({ length: 20 }, (_, i) => 20 - i)
    const r = medianInterval(twenty)
    assert.ok(r !== null)
    assert.equal(r.lo, 6)
    assert.equal(r.hi, 15)
    assert.ok(r.coverage >= 0.9 && r.coverage < 0.96, String(r.coverage))
  })

  it('holds the true median as often as its coverage says (skewed samples)', () => {
    const next = seeded(17)
    // Exponential samples, median ln 2: a skewed distribution like a run's throughput drops.
    const median = Math.LN2
    for (const n of [3, 9]) {
      let held = 0
      const trials = 4000
      let coverage = 0
      for (let t = 0; t < trials; t++) {
        const xs = Array.from({ length: n }, () => -Math.log(1 - next()))
        const r = medianInterval(xs)
        assert.ok(r !== null)
        coverage = r.coverage
        if (r.lo <= median && median <= r.hi) held++
      }
      assert.ok(Math.abs(held / trials - coverage) < 0.03, `n=${n}: held ${held / trials}, says ${coverage}`)
    }
  })
})

describe('side-by-side --results', () => {
  it('reports a kept results.log again, with the interval and "within noise" when a bar lies in it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'samsa-sbs-report-'))
    try {
      const lines: string[] = []
      // Round 1 is the warm-up. Consume per-round ratios 1.30-1.60 straddle the 1.46 bar; produce
      // 1 KiB is 0.80 in every round, well above its 0.64.
      const consume = [1.0, 1.3, 1.5, 1.6]
      for (let r = 1; r <= 4; r++) {
        for (const [label, v] of [
          ['A', 1000 * consume[r - 1]],
          ['B', 1000],
        ] as const)
          lines.push(`round=${r} scenario=consume-1k KPERF mode=consume label=${label} MiBps=${v} status=ok`)
        for (const [label, v] of [
          ['A', 800],
          ['B', 1000],
        ] as const)
          lines.push(`round=${r} scenario=produce-1k KPERF mode=produce label=${label} MiBps=${v} status=ok`)
      }
      const file = join(dir, 'results.log')
      writeFileSync(file, `${lines.join('\n')}\n`)
      const r = spawnSync(process.execPath, [RUN, 'side-by-side', '--results', file], {
        encoding: 'utf8',
        timeout: 20_000,
      })
      assert.equal(r.status, 0, r.stderr)
      assert.match(r.stdout, /3 rounds after 1 warm-up/)
      const row = (name: string) => r.stdout.split('\n').find((l) => l.startsWith(name)) ?? ''
      assert.match(row('consume-1k'), /1\.500 +1\.50 +1\.30-1\.60 +1\.40 +≥ 1\.46 +met \(within noise\)$/)
      assert.match(row('produce-1k '), /0\.800 +0\.80 +0\.80-0\.80 +0\.80 +≥ 0\.64 +met$/)
      assert.match(r.stdout, /75 % confidence/)
      // A file with no kperf result past the warm-up: one line, exit 2.
      writeFileSync(file, 'round=1 scenario=consume-1k KPERF mode=consume label=A MiBps=1 status=ok\n')
      const empty = spawnSync(process.execPath, [RUN, 'side-by-side', '--results', file], {
        encoding: 'utf8',
      })
      assert.equal(empty.status, 2)
      assert.equal(empty.stderr, `bench: --results ${file} holds no kperf result after round 1\n`)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
