// zookeeper-server-start.sh [-daemon] zookeeper.properties: runs a real Apache ZooKeeper with the
// given config (zkServer.sh start-foreground, or start with -daemon). Without one installed it
// prints how to install it and exits 1.

import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { ToolExit } from '../common/exit.ts'
import type { Io } from '../common/io.ts'
import { findZkServer, installInstructions } from './locate.ts'

export async function run(argv: readonly string[], io: Io): Promise<number> {
  const args = [...argv]
  const daemon = args[0] === '-daemon'
  if (daemon) args.shift()
  if (args.length < 1)
    throw new ToolExit(1, '', 'USAGE: zookeeper-server-start.sh [-daemon] zookeeper.properties\n')
  const config = resolve(io.cwd, args[0])
  if (!existsSync(config)) throw new ToolExit(1, `${args[0]} (No such file or directory)\n`)
  const zkServer = findZkServer(io.env)
  if (zkServer === null) throw new ToolExit(1, installInstructions(io.env))
  const child = spawn(zkServer, [daemon ? 'start' : 'start-foreground', config], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, ...io.env },
  })
  const forward = (signal: NodeJS.Signals) => () => child.kill(signal)
  const onTerm = forward('SIGTERM')
  const onInt = forward('SIGINT')
  process.on('SIGTERM', onTerm)
  process.on('SIGINT', onInt)
  try {
    return await new Promise<number>((done, fail) => {
      child.once('error', fail)
      child.once('exit', (code, signal) =>
        done(code ?? (signal === 'SIGTERM' || signal === 'SIGINT' ? 0 : 1)),
      )
    })
  } finally {
    process.removeListener('SIGTERM', onTerm)
    process.removeListener('SIGINT', onInt)
  }
}
