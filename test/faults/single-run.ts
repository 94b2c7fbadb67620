// `npm run faults:single -- --time S --seed N [--faults a,b]`: the single-broker faults (single-broker.ts)
// on their own, no ZooKeeper needed. Prints the schedule as it runs; the last line is the
// verdict; exits 1 when a guarantee was broken (disk-full runs only as root).

import { parseArgs } from 'node:util'
import { runSingleBrokerFaults, type SingleFault } from './single-broker.ts'

const { values } = parseArgs({
  options: { time: { type: 'string' }, seed: { type: 'string' }, faults: { type: 'string' } },
})
const faults = values.faults?.split(',') as SingleFault[] | undefined
const seconds = Number(values.time ?? 60)
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed)
console.log(
  `single-broker faults: seed ${seed}, ${seconds} s (replay: npm run faults:single -- --time ${seconds} --seed ${seed})`,
)
const started = Date.now()
const log = (line: string) =>
  console.log(`${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s  ${line}`)
const { ok, lines } = await runSingleBrokerFaults({ seconds, seed, log, faults })
for (const line of lines) console.log(line)
process.exit(ok ? 0 : 1)
