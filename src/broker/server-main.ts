// The broker process (entered through main.ts): `[-daemon] config/server.properties [--override k=v]...`
// (what bin/kafka-server-start.sh runs). Runs in the foreground until SIGTERM/SIGINT, then shuts
// down gracefully. Invalid arguments or config: one line per problem on stderr, exit code 1.

import { readFileSync } from 'node:fs'
import { brokerLogger, loggingSetup } from '../config/broker-defs-log4j.ts'
import {
  type ConfigInput,
  formatProblem,
  inputsFromProperties,
  parseServerArgs,
} from '../config/config-input.ts'
import { BrokerConfigError, startBroker } from './broker.ts'

const USAGE = 'USAGE: kafka-server-start.sh [-daemon] server.properties [--override property=value]*'

async function main(argv: string[]): Promise<number> {
  const args = parseServerArgs(argv)
  if (args.errors.length > 0 || args.positionals.length !== 1) {
    for (const e of args.errors) process.stderr.write(`${formatProblem(e)}\n`)
    process.stderr.write(`${USAGE}\n`)
    return 1
  }
  const file = args.positionals[0]
  let inputs: ConfigInput[]
  try {
    inputs = inputsFromProperties(readFileSync(file, 'utf8'), file)
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    process.stderr.write(
      e.code === 'ENOENT' ? `Config file ${file} does not exist.\n` : `Cannot read ${file}: ${e.message}\n`,
    )
    return 1
  }
  // Logging is set up before the broker starts so its first lines already have the chosen layout
  // and levels (config keys, else KAFKA_LOG4J_OPTS / SAMSA_LOG_FORMAT / SAMSA_LOG_LEVEL).
  const log = brokerLogger(
    loggingSetup([...inputs, ...args.overrides], process.env, (p) => readFileSync(p, 'utf8')),
  )
  // Signals are caught from here on, so one that arrives during startup still shuts down cleanly.
  let signalled!: () => void
  const stopRequested = new Promise<void>((resolve) => {
    signalled = resolve
  })
  const onSignal = () => {
    process.off('SIGTERM', onSignal)
    process.off('SIGINT', onSignal)
    signalled()
  }
  process.on('SIGTERM', onSignal)
  process.on('SIGINT', onSignal)
  let broker: Awaited<ReturnType<typeof startBroker>>
  try {
    broker = await startBroker({ inputs, overrides: args.overrides, logger: log })
  } catch (err) {
    if (err instanceof BrokerConfigError) {
      for (const p of err.problems) process.stderr.write(`${p}\n`)
    } else {
      process.stderr.write(`Samsa failed to start: ${(err as Error).message}\n`)
    }
    return 1
  }
  await stopRequested
  try {
    await broker.stop()
  } catch (err) {
    process.stderr.write(`error during shutdown: ${(err as Error).message}\n`)
    return 1
  }
  return 0
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`Samsa crashed: ${(err as Error).stack ?? String(err)}\n`)
    process.exit(1)
  },
)
