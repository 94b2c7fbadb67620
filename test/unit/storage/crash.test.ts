// SIGKILL crash test on the real file system: a child process appends in a loop and prints each
// append it completed; it is killed at random moments. After every kill the log is reopened
// (recovery) and must hold every append the child confirmed, end at a batch boundary in every
// segment, and have indexes that agree with the log. A second run has retention removing the
// oldest segments beside the appends, so the child's rolls write into reused segment files (whose
// stale bytes recovery must refuse): every confirmed append at or above the log start must be there,
// and offsets must only increase.

import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { ManualClock } from '../../../src/common/clock.ts'
import { NodeFs } from '../../../src/common/node-fs.ts'
import { batchRecords } from '../../../src/records/record-iterator.ts'
import { splitBatches } from '../../../src/storage/batch-scan.ts'
import { LogManager } from '../../../src/storage/log-manager.ts'
import { OffsetIndex } from '../../../src/storage/offset-index.ts'
import { crashLogConfig } from '../../support/storage-helpers.ts'

const ROUNDS = 24
/** Rounds of the run with retention. */
const RETAIN_ROUNDS = 12
const CHILD = fileURLToPath(new URL('../../support/storage-crash-child.ts', import.meta.url))

interface Confirmed {
  first: bigint
  last: bigint
  tag: string
  count: number
}

/**
 * Runs the child until it confirmed a few appends, then SIGKILLs it after `delayMs`; with `retain`,
 * retention runs in the child too. `reused`: how many reused segment files the child wrote into.
 */
function runAndKill(
  dir: string,
  seed: number,
  delayMs: number,
  retain: boolean,
): Promise<{ confirmed: Confirmed[]; reused: number }> {
  return new Promise((resolve, reject) => {
    const args = [CHILD, dir, String(seed), ...(retain ? ['retain'] : [])]
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    let timer: NodeJS.Timeout | undefined
    const deadline = setTimeout(() => child.kill('SIGKILL'), 10_000)
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString()
      if (timer === undefined && out.includes('\nok '))
        timer = setTimeout(() => child.kill('SIGKILL'), delayMs)
    })
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString()
    })
    child.on('error', reject)
    child.on('exit', (code, signal) => {
      clearTimeout(deadline)
      clearTimeout(timer)
      if (signal !== 'SIGKILL') return reject(new Error(`child exited with ${code} ${signal}: ${err}`))
      const confirmed: Confirmed[] = []
      let reused = 0
      for (const line of out.split('\n').slice(0, -1)) {
        const [kind, first, last, tag, count] = line.split(' ')
        if (kind === 'ok')
          confirmed.push({ first: BigInt(first), last: BigInt(last), tag, count: Number(count) })
        else if (kind === 'reuse') reused++
      }
      resolve({ confirmed, reused })
    })
  })
}

const roots: string[] = []
after(async () => {
  for (const r of roots) await rm(r, { recursive: true, force: true })
})

/** `rounds` kills of a child appending to one log in `root` (with retention: `retain`). */
async function crashRounds(rounds: number, retain: boolean): Promise<number> {
  const root = await mkdtemp(join(tmpdir(), 'samsa-crash-'))
  roots.push(root)
  const all: Confirmed[] = []
  let reusedAll = 0
  for (let round = 0; round < rounds; round++) {
    const t0 = Date.now()
    const { confirmed, reused } = await runAndKill(root, round + 1, Math.floor(Math.random() * 120), retain)
    if (process.env.SAMSA_TRACE)
      console.log(
        `round ${round}: ${confirmed.length} appends, ${reused} reused files, child ran ${Date.now() - t0} ms`,
      )
    assert.ok(confirmed.length > 0, `round ${round}: the child confirmed nothing`)
    all.push(...confirmed)
    reusedAll += reused

    const m = await LogManager.start({
      fs: new NodeFs(),
      clock: new ManualClock(),
      config: { logDirs: [root], cleanerEnable: false },
      defaultLogConfig: crashLogConfig(retain),
    })
    const log = m.getLog('crash', 0)!
    const ctx = `round ${round}`
    assert.ok(
      log.logEndOffset > all[all.length - 1].last,
      `${ctx}: LEO ${log.logEndOffset} lost confirmed data`,
    )
    // One sequential pass over the log, then every confirmed append is looked up in it.
    const values = new Map<bigint, string>()
    let previous = -1n
    for (let offset = log.logStartOffset; offset < log.logEndOffset; ) {
      const r = await log.readRecords(offset, 1 << 20)
      const { batches } = splitBatches(r.records)
      for (const b of batches) {
        for (const x of batchRecords(r.records.subarray(b.position, b.position + b.size))) {
          assert.ok(x.offset > previous, `${ctx}: offset ${x.offset} after ${previous}`)
          previous = x.offset
          values.set(x.offset, x.value!.toString())
        }
      }
      offset = batches[batches.length - 1].lastOffset + 1n
    }
    for (const c of all) {
      if (c.last < log.logStartOffset) continue
      for (let j = 0; j < c.count; j++) {
        if (c.first + BigInt(j) < log.logStartOffset) continue
        const v = values.get(c.first + BigInt(j))
        assert.ok(v?.startsWith(`${c.tag}-${j}-`), `${ctx}: confirmed record ${c.first + BigInt(j)} is ${v}`)
      }
    }
    // Alternate clean shutdowns and abandoning the process (the next child then recovers).
    if (round % 2 === 0) await m.shutdown()
    else await m.abandon()

    const dir = join(root, 'crash-0')
    const names = await readdir(dir)
    for (const name of names.filter((n) => n.endsWith('.log'))) {
      const data = await readFile(join(dir, name))
      const { batches, end } = splitBatches(data)
      assert.equal(end, data.length, `${ctx}: ${name} does not end at a batch boundary`)
      if (round % 2 === 0) {
        const base = BigInt(name.slice(0, 20))
        const idx = new OffsetIndex(join(dir, `${name.slice(0, 20)}.index`), base, 1 << 20, false)
        assert.ok(await idx.load(new NodeFs(), data.length), `${ctx}: ${name} index fails its check`)
        const starts = new Map(batches.map((b) => [b.position, b.lastOffset]))
        for (let i = 0; i < idx.count; i++) {
          const e = idx.entry(i)
          assert.equal(starts.get(e.position), e.offset, `${ctx}: ${name} index entry ${i}`)
        }
      }
    }
  }
  return reusedAll
}

describe('SIGKILL crash test (real file system)', () => {
  it(`keeps every confirmed append across ${ROUNDS} kills`, async () => {
    await crashRounds(ROUNDS, false)
  })

  it(`keeps every confirmed append above the log start across ${RETAIN_ROUNDS} kills, rolls reusing removed segment files`, async () => {
    const reused = await crashRounds(RETAIN_ROUNDS, true)
    assert.ok(reused > 0, 'no roll reused a removed segment file')
  })
})
