// A standalone broker must not load what it is not configured to use: prom-client (and the
// OpenTelemetry API it pulls in) only with samsa.http.listeners, node-zookeeper-client only with
// zookeeper.connect. Together they were ~3 MB of a ~22 MB live heap, and every mark-compact marks
// the whole heap (its pause is what the e2e latency tail pays). A fresh process, because this test
// runner's own process may already hold any module; these packages are CommonJS, so the process's
// require.cache shows whether they were loaded.

import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { describe, it } from 'node:test'

const url = (p: string) => new URL(p, import.meta.url).href

const SCRIPT = `
  import { mkdtempSync, rmSync } from 'node:fs'
  import { createRequire } from 'node:module'
  import { tmpdir } from 'node:os'
  import { join } from 'node:path'
  import { startBroker } from ${JSON.stringify(url('../../../src/broker/broker.ts'))}
  import { silentLogger } from ${JSON.stringify(url('../../../src/common/logger.ts'))}
  const cache = createRequire(${JSON.stringify(url('../../../src/broker/broker.ts'))}).cache
  const packages = () => [...new Set(Object.keys(cache).flatMap((f) => {
    const m = /node_modules[\\\\/]((?:@[^\\\\/]+[\\\\/])?[^\\\\/]+)/.exec(f)
    return m === null ? [] : [m[1].replace('\\\\', '/')]
  }))].sort()
  const dir = mkdtempSync(join(tmpdir(), 'samsa-lazy-'))
  try {
    const a = await startBroker({ port: 0, logDirs: [join(dir, 'a')], logger: silentLogger })
    const standalone = packages()
    await a.stop()
    const b = await startBroker({
      port: 0,
      logDirs: [join(dir, 'b')],
      logger: silentLogger,
      config: { 'samsa.http.listeners': 'http://127.0.0.1:0' },
    })
    const http = packages()
    const httpUp = b.httpAddress !== null
    await b.stop()
    await import(${JSON.stringify(url('../../../src/broker/cluster-mode.ts'))})
    console.log(JSON.stringify({ standalone, http, httpUp, zk: packages() }))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
`

describe('packages a standalone broker loads', () => {
  it('no metrics or ZooKeeper client unless configured; loaded once configured', async () => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', SCRIPT], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    let err = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (err += d.toString()))
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000)
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)))
    clearTimeout(killer)
    assert.equal(code, 0, `the child failed:\n${out}\n${err}`)
    const r = JSON.parse(out.trim().split('\n').at(-1)!) as {
      standalone: string[]
      http: string[]
      httpUp: boolean
      zk: string[]
    }
    for (const p of ['prom-client', '@opentelemetry/api', 'node-zookeeper-client'])
      assert.ok(!r.standalone.includes(p), `a standalone broker loaded ${p}: ${r.standalone.join(' ')}`)
    // The same check sees them once their feature is on (so the absence above is not blindness).
    assert.ok(r.httpUp)
    assert.ok(r.http.includes('prom-client'), `with an HTTP listener: ${r.http.join(' ')}`)
    assert.ok(!r.http.includes('node-zookeeper-client'))
    assert.ok(r.zk.includes('node-zookeeper-client'), `after loading the ZooKeeper mode: ${r.zk.join(' ')}`)
  })
})
