// Starts a real Samsa broker process for end-to-end tests: its own temporary log dir, port 0
// (the bound port is read from the startup line), and a stop() that the test calls in after()
// even when the test failed. SIGKILL support for crash tests. A command prefix (e.g. `ip netns
// exec NS`, the fault suite's network namespaces) may run it elsewhere: the prefix must exec the
// broker, so that the pid held here is the broker's own (checked after the start).

import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, readlinkSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { BROKER_NODE_FLAGS, brokerNodeEnv } from '../../src/broker/node-flags.ts'

export const REPO = resolve(import.meta.dirname, '../..')
export const NODE = process.execPath

export interface BrokerProcess {
  host: string
  port: number
  /** host:port, for clients' bootstrap.servers. */
  bootstrap: string
  logDir: string
  child: ChildProcess
  /** Everything the broker printed so far (stdout + stderr). */
  output(): string
  /** SIGTERM and wait for exit (graceful shutdown). Resolves to the exit code. */
  stop(): Promise<number | null>
  /** SIGKILL and wait. */
  kill(): Promise<void>
  /** Removes the log dir (after stop/kill), unless kept for a restart. */
  cleanup(): void
}

export interface StartOptions {
  /** Reuse a log dir (restart after a crash); default: a fresh temporary one. */
  logDir?: string
  /** Extra server properties. */
  config?: Record<string, string | number | boolean>
  timeoutMs?: number
  /** A command that runs the broker where it should live and execs it, e.g. ip netns exec NS. */
  wrap?: readonly string[]
  /** Extra environment variables for the broker process. */
  env?: Record<string, string>
}

export async function startBrokerProcess(opts: StartOptions = {}): Promise<BrokerProcess> {
  const logDir = opts.logDir ?? mkdtempSync(join(tmpdir(), 'samsa-e2e-'))
  const props = {
    'node.id': 1,
    listeners: 'PLAINTEXT://127.0.0.1:0',
    'log.dirs': join(logDir, 'data'),
    'num.partitions': 1,
    'offsets.topic.num.partitions': 5,
    'group.initial.rebalance.delay.ms': 0,
    ...opts.config,
  }
  const file = join(logDir, 'server.properties')
  writeFileSync(
    file,
    `${Object.entries(props)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n')}\n`,
  )
  const argv = [NODE, ...BROKER_NODE_FLAGS, join(REPO, 'src/broker/main.ts'), file]
  const [cmd, ...args] = [...(opts.wrap ?? []), ...argv] as [string, ...string[]]
  const child = spawn(cmd, args, {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...brokerNodeEnv(), SAMSA_LOG_LEVEL: process.env.SAMSA_LOG_LEVEL ?? 'info', ...opts.env },
  })
  let out = ''
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)))
  const bound = await new Promise<{ host: string; port: number }>((resolveBound, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`broker did not start within ${opts.timeoutMs ?? 10000} ms:\n${out}`)),
      opts.timeoutMs ?? 10000,
    )
    const onData = (d: Buffer) => {
      out += d.toString()
      const m = /started.*listeners=PLAINTEXT:\/\/([^:\s,]+):(\d+)/.exec(out)
      if (m) {
        clearTimeout(timer)
        resolveBound({ host: m[1], port: Number(m[2]) })
      }
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`broker exited with ${code} before starting:\n${out}`))
    })
  })
  if (opts.wrap !== undefined && opts.wrap.length > 0) {
    // The wrapper must have exec'd node: the pid that kill -9 / SIGSTOP reach is the broker's.
    const exe = readlinkSync(`/proc/${child.pid}/exe`)
    if (exe !== realpathSync(NODE)) {
      child.kill('SIGKILL')
      throw new Error(`${opts.wrap.join(' ')} did not exec the broker: pid ${child.pid} runs ${exe}`)
    }
  }
  let done = false
  return {
    ...bound,
    bootstrap: `${bound.host}:${bound.port}`,
    logDir,
    child,
    output: () => out,
    async stop() {
      if (done || child.exitCode !== null) return child.exitCode
      done = true
      child.kill('SIGTERM')
      const killer = setTimeout(() => child.kill('SIGKILL'), 10000)
      const code = await exited
      clearTimeout(killer)
      return code
    },
    async kill() {
      if (done || child.exitCode !== null) return
      done = true
      child.kill('SIGKILL')
      await exited
    },
    cleanup() {
      if (opts.logDir === undefined) rmSync(logDir, { recursive: true, force: true })
    },
  }
}
