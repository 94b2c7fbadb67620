// The CRC-32C addon (native/crc32c.c), compiled from the current source into a temp dir by the
// install script (scripts/build-native.mjs), checked
// against the JS implementation (itself checked bit by bit in crc32c.test.ts) around every block
// boundary of its three-stream loop and of its folding loops, at every alignment; and bad
// arguments refused with an error.

import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { Worker } from 'node:worker_threads'
import { crc32cImplementation, crc32cJs } from '../../../src/protocol/primitives/crc32c.ts'

type Crc = (buf: unknown, start?: unknown, end?: unknown) => number
type Addon = { crc32c: Crc; software: Crc; streams: Crc; hardware: boolean; folding: boolean }

const dir = mkdtempSync(join(tmpdir(), 'samsa-crc-addon-'))
const addonPath = join(dir, 'crc32c.node')
const script = join(import.meta.dirname, '..', '..', '..', 'scripts', 'build-native.mjs')
// The install script's one line: "samsa: built ..." or "samsa: ... not built (why); ...".
const said = execFileSync(process.execPath, [script], {
  env: { ...process.env, SAMSA_NATIVE_OUT: addonPath },
  encoding: 'utf8',
}).trim()
const built = said.includes(': built ')

function cpuHas(...flags: string[]): boolean {
  if (process.arch !== 'x64' || process.platform !== 'linux') return false
  const line = /^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? ''
  const have = new Set(line.trim().split(/\s+/))
  return flags.every((flag) => have.has(flag))
}

after(() => rmSync(dir, { recursive: true, force: true }))

if (!built) {
  // No C compiler or no Node headers here: nothing left behind, and the broker does not claim it.
  test(`addon not buildable here (${said}): the broker checksums without it`, () => {
    assert.match(said, /not built \(.+\); CRC-32C uses @node-rs\/crc32$/)
    assert.equal(existsSync(addonPath), false)
    assert.notEqual(crc32cImplementation, 'addon')
  })
} else {
  describe('CRC-32C addon', () => {
    let addon: Addon
    before(() => {
      addon = createRequire(import.meta.url)(addonPath) as Addon
    })

    test('uses the crc32 instruction exactly where the CPU has it', () => {
      assert.equal(addon.hardware, cpuHas('sse4_2'))
    })

    test('folds with carry-less multiplication exactly where the CPU has AVX-512 and VPCLMULQDQ', () => {
      // The kernel lists the AVX-512 flags only where it saves their registers.
      const flags = ['sse4_2', 'pclmulqdq', 'avx512f', 'avx512vl', 'vpclmulqdq']
      assert.equal(addon.folding, cpuHas(...flags))
    })

    test('standard check value, and an empty range', () => {
      const check = Buffer.from('123456789')
      assert.equal(addon.crc32c(check, 0, 9), 0xe3069283)
      assert.equal(addon.software(check, 0, 9), 0xe3069283)
      assert.equal(addon.streams(check, 0, 9), 0xe3069283)
      assert.equal(addon.crc32c(check, 4, 4), 0)
      assert.equal(addon.crc32c(new Uint8Array(0), 0, 0), 0)
    })

    test('equals JS around the long (3 x 8 KiB) and short (3 x 256 B) block edges, every alignment', () => {
      const big = randomBytes(4 * 24576 + 64)
      const lengths = new Set<number>()
      for (let n = 0; n <= 40; n++) lengths.add(n)
      for (const unit of [768, 24576])
        for (let k = 1; k <= 3; k++)
          for (let d = -9; d <= 9; d++) if (k * unit + d >= 0) lengths.add(k * unit + d)
      // A long run followed by short blocks and a tail: 2 x 24576 + 2 x 768 + 13.
      lengths.add(2 * 24576 + 2 * 768 + 13)
      let checked = 0
      for (const len of lengths) {
        for (let start = 0; start < 16; start++) {
          if (start + len > big.length) continue
          const expected = crc32cJs(big, start, start + len)
          assert.equal(addon.crc32c(big, start, start + len), expected, `len ${len} at ${start}`)
          // The three streams at every length (crc32c folds from 256 bytes where the CPU can).
          assert.equal(addon.streams(big, start, start + len), expected, `streams ${len} at ${start}`)
          // A view whose byteOffset is odd, not only a start inside the view.
          const view = big.subarray(start, start + len)
          assert.equal(addon.crc32c(view, 0, len), expected, `view len ${len} at ${start}`)
          if (len < 2000) assert.equal(addon.software(big, start, start + len), expected)
          checked++
        }
      }
      assert.ok(checked > 2000)
    })

    test('equals JS around the folding edges (256, 64 and 16 bytes a step), every alignment', () => {
      const big = randomBytes(4096 + 64)
      const lengths = new Set<number>()
      // Every length from just under the folding threshold to past two 256-byte steps.
      for (let n = 240; n <= 560; n++) lengths.add(n)
      // Around each multiple of 256 up to 4 KiB: the 256-byte loop's edge, then the 64- and
      // 16-byte steps and the tail after it.
      for (let k = 3; k <= 16; k++)
        for (const d of [-65, -64, -63, -17, -16, -15, -9, -8, -7, -1, 0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 65])
          if (k * 256 + d <= 4096) lengths.add(k * 256 + d)
      let checked = 0
      for (const len of lengths) {
        for (let start = 0; start < 64; start += len < 600 ? 1 : 5) {
          const expected = crc32cJs(big, start, start + len)
          assert.equal(addon.crc32c(big, start, start + len), expected, `len ${len} at ${start}`)
          checked++
        }
      }
      assert.ok(checked > 20000)
      // One flipped bit anywhere in a folded range changes the CRC (each byte's bits are folded in).
      const data = Buffer.from(big.subarray(0, 1000))
      const clean = addon.crc32c(data, 0, data.length)
      for (let i = 0; i < data.length; i += 37) {
        data[i] ^= 0x10
        assert.notEqual(addon.crc32c(data, 0, data.length), clean, `bit flipped at ${i}`)
        assert.equal(addon.crc32c(data, 0, data.length), crc32cJs(data))
        data[i] ^= 0x10
      }
    })

    test('equals JS on 1 MiB batches at odd offsets', () => {
      const big = randomBytes((1 << 20) + 11)
      for (const off of [0, 1, 3, 7, 11]) {
        const view = big.subarray(off)
        assert.equal(addon.crc32c(view, 0, view.length), crc32cJs(view))
        assert.equal(addon.crc32c(big, off, big.length), crc32cJs(view))
        assert.equal(addon.streams(view, 0, view.length), crc32cJs(view))
      }
    })

    test('loads in worker threads at once and agrees with the main thread', async () => {
      const data = randomBytes(100_000)
      const code = `
        const { parentPort, workerData } = require('node:worker_threads')
        const addon = require(workerData.path)
        parentPort.postMessage(addon.crc32c(workerData.data, 0, workerData.data.length))`
      const answers = await Promise.all(
        [0, 1, 2].map(
          () =>
            new Promise<number>((resolve, reject) => {
              const w = new Worker(code, { eval: true, workerData: { path: addonPath, data } })
              w.once('message', resolve)
              w.once('error', reject)
            }),
        ),
      )
      assert.deepEqual(
        answers,
        [0, 1, 2].map(() => crc32cJs(data)),
      )
    })

    test('a failed build removes the old addon and says why, in one line', () => {
      const copy = join(dir, 'stale.node')
      execFileSync(process.execPath, [script], { env: { ...process.env, SAMSA_NATIVE_OUT: copy } })
      assert.equal(existsSync(copy), true)
      const failed = execFileSync(process.execPath, [script], {
        env: { ...process.env, SAMSA_NATIVE_OUT: copy, CC: join(dir, 'no-such-compiler') },
        encoding: 'utf8',
      })
      assert.match(
        failed,
        /^samsa: .*stale\.node not built \(.*no-such-compiler.*\); CRC-32C uses @node-rs\/crc32\n$/,
      )
      assert.equal(existsSync(copy), false)
    })

    test('refuses anything but a Uint8Array and an integer range inside it', () => {
      const buf = Buffer.alloc(16, 1)
      const typeErrors: unknown[] = [{}, 'abc', 42, null, undefined, new Int32Array(4)]
      typeErrors.push(new DataView(new ArrayBuffer(8)), new ArrayBuffer(8))
      for (const bad of typeErrors) assert.throws(() => addon.crc32c(bad, 0, 0), TypeError)
      const ranges: [unknown, unknown][] = [
        [-1, 4],
        [5, 4],
        [0, 17],
        [Number.NaN, 4],
        [0, Number.NaN],
        [0.5, 4],
        [0, 4.5],
        [0, Number.POSITIVE_INFINITY],
      ]
      for (const [s, e] of ranges) assert.throws(() => addon.crc32c(buf, s, e), RangeError)
      assert.throws(() => addon.crc32c(buf, '0', 4), RangeError)
      assert.throws(() => addon.crc32c(buf), TypeError)
      // Still answering after the refusals.
      assert.equal(addon.crc32c(buf, 0, 16), crc32cJs(buf))
    })
  })
}
