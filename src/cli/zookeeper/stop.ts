// zookeeper-server-stop.sh: sends SIGTERM (or $SIGNAL) to the running ZooKeeper servers (Java
// processes running QuorumPeerMain), as Kafka's script does; `No zookeeper server to stop` and exit
// 1 when there is none.

import { readdirSync, readFileSync } from 'node:fs'
import type { Io } from '../common/io.ts'

/** Process ids whose command line runs ZooKeeper's QuorumPeerMain (Linux /proc). */
export function zookeeperPids(): number[] {
  const pids: number[] = []
  let entries: string[]
  try {
    entries = readdirSync('/proc')
  } catch {
    return pids
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue
    try {
      const cmd = readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0')
      if (cmd.some((a) => a.endsWith('java')) && cmd.some((a) => a.toLowerCase().includes('quorumpeermain')))
        pids.push(Number(e))
    } catch {}
  }
  return pids
}

export async function run(_argv: readonly string[], io: Io): Promise<number> {
  const pids = zookeeperPids()
  if (pids.length === 0) {
    io.out('No zookeeper server to stop\n')
    return 1
  }
  const signal = (io.env.SIGNAL ?? 'TERM').replace(/^SIG/, '')
  for (const pid of pids) {
    try {
      process.kill(pid, `SIG${signal}` as NodeJS.Signals)
    } catch (e) {
      io.err(`kill ${pid}: ${(e as Error).message}\n`)
    }
  }
  return 0
}
