// The broker process as a user starts it: bin/kafka-server-start.sh with a properties file,
// one-line config errors, graceful SIGTERM (clean-shutdown marker), identity kept across restarts.

import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { REPO, startBrokerProcess } from '../support/broker-process.ts'

const START = join(REPO, 'bin/kafka-server-start.sh')

describe('broker process', () => {
  const dirs: string[] = []
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true })
  })

  function tempProps(text: string): string {
    const dir = mkdtempSync(join(tmpdir(), 'samsa-props-'))
    dirs.push(dir)
    const file = join(dir, 'server.properties')
    writeFileSync(file, text)
    return file
  }

  it('refuses an invalid value with one line naming the key, exit 1', () => {
    const file = tempProps('listeners=PLAINTEXT://127.0.0.1:0\nnum.partitions=many\n')
    const r = spawnSync(START, [file], { encoding: 'utf8', timeout: 10000 })
    assert.equal(r.status, 1)
    const lines = r.stderr.trim().split('\n')
    assert.equal(lines.length, 1, r.stderr)
    assert.match(lines[0], /num\.partitions/)
    assert.match(lines[0], /many/)
  })

  it('refuses a bad --override and prints the usage', () => {
    const file = tempProps('listeners=PLAINTEXT://127.0.0.1:0\n')
    const r = spawnSync(START, [file, '--override', 'novalue'], { encoding: 'utf8', timeout: 10000 })
    assert.equal(r.status, 1)
    assert.match(r.stderr, /novalue/)
    assert.match(r.stderr, /USAGE/)
  })

  it('warns about an unknown key but starts', async () => {
    const b = await startBrokerProcess({ config: { 'log.retention.hourz': 5 } })
    try {
      assert.match(b.output(), /log\.retention\.hourz/)
    } finally {
      await b.stop()
      b.cleanup()
    }
  })

  // Kafka's scripts pass the JVM its options; ours pass V8 a small young generation and a larger
  // old-generation growth step (why: src/broker/node-flags.ts), which SAMSA_NODE_OPTS replaces.
  for (const [name, env, expected] of [
    ['passes the broker V8 options', {}, ['--max-semi-space-size=4', '--heap-growing-percent=200']],
    [
      'lets SAMSA_NODE_OPTS replace them',
      { SAMSA_NODE_OPTS: '--max-old-space-size=512' },
      ['--max-old-space-size=512'],
    ],
  ] as const) {
    it(`bin/kafka-server-start.sh ${name}`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'samsa-opts-'))
      dirs.push(dir)
      const file = tempProps(`listeners=PLAINTEXT://127.0.0.1:0\nlog.dirs=${join(dir, 'data')}\n`)
      const child = spawn(START, [file], {
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      try {
        let out = ''
        await new Promise<void>((res, rej) => {
          const timer = setTimeout(() => rej(new Error(`no start:\n${out}`)), 10000)
          const on = (d: Buffer) => {
            out += d.toString()
            if (/started/.test(out)) {
              clearTimeout(timer)
              res()
            }
          }
          child.stdout.on('data', on)
          child.stderr.on('data', on)
        })
        // The script execs node: the child's pid is the broker's.
        const argv = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0')
        const main = argv.findIndex((a) => a.endsWith('src/broker/main.ts'))
        assert.ok(main > 0, argv.join(' '))
        assert.deepEqual(argv.slice(1, main), expected)
      } finally {
        const exited = new Promise((r) => child.once('exit', r))
        child.kill('SIGTERM')
        await exited
      }
    })
  }

  it('shuts down on SIGTERM with a clean-shutdown marker and keeps its identity on restart', async () => {
    const b = await startBrokerProcess()
    const data = join(b.logDir, 'data')
    let restarted: Awaited<ReturnType<typeof startBrokerProcess>> | null = null
    try {
      const first = /cluster\.id=(\S+)/.exec(b.output())?.[1]
      assert.ok(first)
      assert.equal(await b.stop(), 0)
      assert.ok(existsSync(join(data, '.kafka_cleanshutdown')), 'clean-shutdown marker written')
      const meta = readFileSync(join(data, 'meta.properties'), 'utf8')
      assert.match(meta, new RegExp(`cluster\\.id=${first}`))
      assert.match(meta, /node\.id=1/)
      restarted = await startBrokerProcess({ logDir: b.logDir })
      assert.equal(/cluster\.id=(\S+)/.exec(restarted.output())?.[1], first)
      assert.match(restarted.output(), /after a clean shutdown/)
    } finally {
      await restarted?.stop()
      await b.stop()
      b.cleanup()
    }
  })
})
