// Child processes of the benchmark: the broker (the real entry, src/broker/main.ts, as
// bin/kafka-server-start.sh runs it) on a temporary log dir and port 0, and the baseline server.
// Memory is read from /proc (Linux): VmRSS now, VmHWM = peak since start.

import { type ChildProcess, spawn } from 'node:child_process'
import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve as resolvePath } from 'node:path'
import { fileURLToPath } from 'node:url'
import { BROKER_NODE_FLAGS, brokerNodeEnv } from '../../src/broker/node-flags.ts'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

export interface Child {
  readonly proc: ChildProcess
  readonly host: string
  readonly port: number
  /** ms from spawn to the line announcing the port. */
  readonly readyMs: number
  /** Resident memory in MB (VmRSS), or NaN where /proc is missing. */
  rssMb(): number
  /** Peak resident memory in MB since start (VmHWM). */
  peakRssMb(): number
  /** CPU time used so far (user + system, all threads) in ms, or NaN where /proc is missing. */
  cpuMs(): number
  stop(): Promise<void>
}

function procStatusMb(pid: number | undefined, field: string): number {
  try {
    const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'))
    return m === null ? Number.NaN : Number(m[1]) / 1024
  } catch {
    return Number.NaN
  }
}

/**
 * utime + stime of a live process in ms (/proc/<pid>/stat, fields 14 and 15 after the
 * parenthesised name), NaN once it is gone.
 */
export function cpuMsOf(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    // f[0] is field 3 (state): utime is field 14, stime 15; USER_HZ is 100 on Linux.
    return (Number(f[11]) + Number(f[12])) * 10
  } catch {
    return Number.NaN
  }
}

/** `--cpu-prof DIR` of a bench script: every broker it starts from now on writes a CPU profile there. */
export function profileBrokersInto(dir: string | undefined): void {
  if (dir === undefined) return
  process.env.NODE_OPTIONS =
    `${process.env.NODE_OPTIONS ?? ''} --cpu-prof --cpu-prof-dir=${resolvePath(dir)}`.trim()
}

function startChild(
  args: string[],
  env: NodeJS.ProcessEnv,
  portLine: RegExp,
  what: string,
  timeoutMs = 30_000,
  logFile?: string,
): Promise<Child> {
  const t0 = performance.now()
  const proc = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => fail(new Error(`${what} did not start within ${timeoutMs / 1000} s:\n${output}`)),
      timeoutMs,
    )
    const fail = (err: Error) => {
      clearTimeout(timer)
      proc.kill('SIGKILL')
      reject(err)
    }
    const onText = (d: Buffer) => {
      output += d.toString()
      const m = output.match(portLine)
      if (m === null) return
      clearTimeout(timer)
      proc.stdout?.removeAllListeners('data')
      proc.stderr?.removeAllListeners('data')
      if (logFile === undefined) {
        proc.stdout?.resume()
        proc.stderr?.resume()
      } else {
        const out = createWriteStream(logFile, { flags: 'a' })
        out.write(output)
        proc.stdout?.pipe(out)
        proc.stderr?.pipe(out)
      }
      const exited = new Promise<void>((r) => proc.once('exit', () => r()))
      resolve({
        proc,
        host: '127.0.0.1',
        port: Number(m[1]),
        readyMs: performance.now() - t0,
        rssMb: () => procStatusMb(proc.pid, 'VmRSS'),
        peakRssMb: () => procStatusMb(proc.pid, 'VmHWM'),
        cpuMs: () => cpuMsOf(proc.pid),
        async stop() {
          if (proc.exitCode === null && proc.signalCode === null) {
            proc.kill('SIGTERM')
            const t = setTimeout(() => proc.kill('SIGKILL'), 10_000)
            await exited
            clearTimeout(t)
          }
        },
      })
    }
    proc.stdout?.on('data', onText)
    proc.stderr?.on('data', onText)
    proc.once('exit', (code) => fail(new Error(`${what} exited with ${code}:\n${output}`)))
  })
}

export interface BrokerOptions {
  dir: string
  /** Extra server.properties lines. */
  config?: Record<string, string | number>
  /** NODE_COMPILE_CACHE for the child (start-time measurements); default: Node's own. */
  compileCache?: string
  /** How long to wait for the startup line (a broker loading many partitions); default 30 s. */
  startTimeoutMs?: number
  /** Appends everything the broker prints to this file (else it is dropped once started). */
  logFile?: string
}

/** Starts `node src/broker/main.ts <dir>/server.properties` on 127.0.0.1 port 0. */
export function startBroker(o: BrokerOptions): Promise<Child> {
  const props: Record<string, string | number> = {
    'node.id': 1,
    listeners: 'PLAINTEXT://127.0.0.1:0',
    'log.dirs': join(o.dir, 'logs'),
    'num.partitions': 1,
    'offsets.topic.replication.factor': 1,
    // Deleted topics free their memory at once (see run.ts: fresh memory is slow on this VM).
    'log.segment.delete.delay.ms': 0,
    ...o.config,
  }
  mkdirSync(o.dir, { recursive: true })
  const file = join(o.dir, 'server.properties')
  writeFileSync(
    file,
    `${Object.entries(props)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n')}\n`,
  )
  const env = brokerNodeEnv()
  if (o.compileCache !== undefined) env.NODE_COMPILE_CACHE = o.compileCache
  return startChild(
    [...BROKER_NODE_FLAGS, join(ROOT, 'src/broker/main.ts'), file],
    env,
    /started: .*listeners=PLAINTEXT:\/\/[^:]+:(\d+)/,
    'broker',
    o.startTimeoutMs,
    o.logFile,
  )
}

export function startBaseline(mode: 'produce' | 'consume', dir: string): Promise<Child> {
  return startChild(
    [join(ROOT, 'bench/scenarios/baseline-server.ts'), mode, dir],
    process.env,
    /^port (\d+)$/m,
    'baseline server',
  )
}
