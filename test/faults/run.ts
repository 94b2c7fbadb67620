// `npm run faults -- --time SECONDS [--seed N] [--net netns|loopback]` (issue 12): a Jepsen-style
// run on this machine (test/faults/harness.ts): ZooKeeper and 3 Samsa brokers, each broker in a
// network namespace of its own when that is possible (root, ip, iptables) so that links can be
// cut, a producer of uniquely numbered acks=all records, and seeded random nemeses until the time
// is up. The last line is the verdict; the exit code is 1 when anything acknowledged was lost,
// duplicated or diverged, 2 without ZooKeeper, 3 when the run itself failed (e.g. a cluster that
// never healed). Ctrl-C stops everything it started and removes its namespaces.

import { parseArgs } from 'node:util'
import { zookeeperAvailable } from '../support/zookeeper.ts'
import { runFaults } from './harness.ts'
import { netnsUnavailable } from './netns.ts'

const { values } = parseArgs({
  options: { time: { type: 'string' }, seed: { type: 'string' }, net: { type: 'string' } },
})
const seconds = Number(values.time ?? 60)
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed)
const net = values.net ?? (netnsUnavailable() === null ? 'netns' : 'loopback')
if (net !== 'netns' && net !== 'loopback') {
  console.log(`faults: --net must be netns or loopback, not ${net}`)
  process.exit(2)
}
console.log(
  `faults: seed ${seed}, ${seconds} s, --net ${net} (replay: npm run faults -- --time ${seconds} --seed ${seed} --net ${net})`,
)

let exitCode = 1
if (!zookeeperAvailable()) {
  console.log('faults: ZooKeeper is not installed (apt-get install zookeeper)')
  exitCode = 2
} else {
  try {
    const r = await runFaults({ seconds, seed, net, log: (line) => console.log(line) })
    console.log(r.table)
    exitCode = r.code
  } catch (e) {
    console.log(`faults: the run failed: ${e instanceof Error ? e.stack : String(e)}`)
    exitCode = 3
  }
}
process.exit(exitCode)
