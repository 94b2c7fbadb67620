// `npm run bench` and its subsuites are tools people type flags into: a mistyped flag must get one
// line naming it (not a stack trace, and not a run with the flag ignored), and --help must print
// the usage from the suite's header, listing every subsuite.

import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { usageOf } from '../../../bench/scenarios/args.ts'

const RUN = fileURLToPath(new URL('../../../bench/run.ts', import.meta.url))

function bench(...args: string[]) {
  return spawnSync(process.execPath, [RUN, ...args], { encoding: 'utf8', timeout: 20_000 })
}

describe('bench flags', () => {
  it('--help prints the usage of the suite and of every subsuite, exit 0', () => {
    const r = bench('--help')
    assert.equal(r.status, 0, r.stderr)
    for (const sub of ['scale', 'partitions', 'disk', 'alloc', 'cluster-scale'])
      assert.match(r.stdout, new RegExp(`npm run bench -- ${sub} `), sub)
    const sub = bench('alloc', '--help')
    assert.equal(sub.status, 0, sub.stderr)
    assert.match(sub.stdout, /^npm run bench -- alloc \[--records N\]/)
  })

  it('an unknown flag or a missing value gets one line naming it, exit 2, nothing run', () => {
    const r = bench('--bogus')
    assert.equal(r.status, 2)
    assert.equal(r.stdout, '')
    assert.deepEqual(r.stderr.trim().split('\n'), [
      `bench: Unknown option '--bogus' (--help lists the flags)`,
    ])
    const sub = bench('scale', '--partitions')
    assert.equal(sub.status, 2)
    assert.match(sub.stderr.trim(), /^bench: Option '--partitions <value>' argument missing/)
    assert.equal(sub.stderr.trim().split('\n').length, 1)
    const rounds = bench('side-by-side', '--warmup', 'x')
    assert.equal(rounds.status, 2)
    assert.equal(rounds.stdout, '')
    assert.deepEqual(rounds.stderr.trim().split('\n'), [
      `bench: --warmup must be a whole number ≥ 0, not 'x'`,
    ])
  })

  it('usage keeps continuation lines and stops at the first blank comment line', () => {
    const u = usageOf(new URL('../../../bench/partitions.ts', import.meta.url))
    const lines = u.trimEnd().split('\n')
    assert.equal(lines.length, 2)
    assert.match(lines[0], /^npm run bench -- partitions /)
    assert.match(lines[1], /^\s+\[--dir D\]/)
  })
})
