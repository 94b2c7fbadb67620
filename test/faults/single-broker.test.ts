// The single-broker faults (single-broker.ts) in `npm test`: a bounded run with a fixed seed that
// injects each fault once (SIGKILLs under acks=-1 and acks=1 load, a torn last segment, deleted
// index files, a full disk) against the standalone broker and fails on any broken guarantee. The
// full disk needs root (a tmpfs of its own): without it that part is skipped, and the reason is
// printed.

import assert from 'node:assert/strict'
import { it } from 'node:test'
import { runSingleBrokerFaults } from './single-broker.ts'

it('single broker: every acknowledged record survives SIGKILLs, a torn segment, lost indexes and a full disk', {
  timeout: 120000,
}, async (t) => {
  const started = Date.now()
  const { ok, lines } = await runSingleBrokerFaults({
    seconds: 0,
    seed: 20261206,
    log: (line) => t.diagnostic(`${((Date.now() - started) / 1000).toFixed(1)} s ${line}`),
  })
  for (const line of lines) t.diagnostic(line)
  const verdict = lines.at(-1) ?? ''
  assert.match(verdict, /^faults: \d+ nemesis runs, [1-9]\d* acknowledged, 0 lost, 0 duplicated, 0 divergent/)
  const runs = Number(/^faults: (\d+)/.exec(verdict)?.[1])
  const skipped = lines.some((l) => l.startsWith('disk-full: skipped'))
  assert.equal(runs, skipped ? 4 : 5, 'each fault once')
  assert.ok(ok, lines.join('\n'))
})
