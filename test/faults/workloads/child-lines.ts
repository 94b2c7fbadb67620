// The fault workloads (kafkajs-producer.ts, group-consumer.ts) run their clients in child processes,
// so that a client stuck in a retry loop or a burst of garbage collection cannot slow the harness
// that injects faults and stamps events. Each child prints one JSON object per event on stdout;
// this module spawns it, parses the lines as they arrive and stamps each with the harness clock
// (`at`, Date.now() on arrival), keeps stderr for the report, and stops it by its own pid.

import { type ChildProcess, spawn } from 'node:child_process'

export interface ChildLines {
  child: ChildProcess
  exited: Promise<number | null>
  /** Everything the child wrote on stderr (its client's logs), the last `keepStderr` chars. */
  stderr(): string
  /** Writes one JSON line to the child's stdin (commands such as a new bootstrap list). */
  send(message: object): void
  /** SIGTERM, then SIGKILL after `graceMs`; resolves to the exit code (null when killed). */
  stop(graceMs: number): Promise<number | null>
  /** SIGKILL now. */
  kill(): void
}

export interface ChildLinesOptions {
  cmd: string
  args: readonly string[]
  /** Called for each JSON line, in order, with the harness time at which it arrived. */
  onLine(line: Record<string, unknown>, at: number): void
  keepStderr?: number
}

export function startChildLines(o: ChildLinesOptions): ChildLines {
  const child = spawn(o.cmd, o.args, { stdio: ['pipe', 'pipe', 'pipe'] })
  const keep = o.keepStderr ?? 64 * 1024
  let buf = ''
  let err = ''
  child.stdout!.on('data', (d: Buffer) => {
    const at = Date.now()
    buf += d.toString()
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const text = buf.slice(0, nl).trim()
      buf = buf.slice(nl + 1)
      if (!text.startsWith('{')) continue
      try {
        o.onLine(JSON.parse(text) as Record<string, unknown>, at)
      } catch {
        err += `unparsable line: ${text}\n`
      }
    }
  })
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString()
    if (err.length > 2 * keep) err = err.slice(-keep)
  })
  child.stdin!.on('error', () => {})
  // 'close', not 'exit': every line the child printed has been delivered by then.
  const exited = new Promise<number | null>((r) => child.once('close', (code) => r(code)))
  const running = () => child.exitCode === null && child.signalCode === null
  return {
    child,
    exited,
    stderr: () => err.slice(-keep),
    send(message) {
      if (running()) child.stdin!.write(`${JSON.stringify(message)}\n`)
    },
    async stop(graceMs) {
      if (running()) child.kill('SIGTERM')
      const timer = setTimeout(() => {
        if (running()) child.kill('SIGKILL')
      }, graceMs)
      const code = await exited
      clearTimeout(timer)
      return code
    },
    kill() {
      if (running()) child.kill('SIGKILL')
    },
  }
}
