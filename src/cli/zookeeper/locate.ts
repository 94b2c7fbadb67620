// Where a real Apache ZooKeeper is: $ZOOKEEPER_HOME (an unpacked release) when it is set, else
// Debian's `zookeeper` package (/usr/share/zookeeper), else zkServer.sh / zkServer (Homebrew) on
// PATH. Samsa does not ship ZooKeeper; a single broker does not need it.
//
// A set ZOOKEEPER_HOME is the only place looked at: an operator who names a ZooKeeper gets that one
// or a message saying it is not there, never another installation found elsewhere. (It also gives
// tests a controlled environment whatever is installed on the machine.)

import { accessSync, constants } from 'node:fs'
import { delimiter, join } from 'node:path'

/** zkServer scripts of system packages, looked at when ZOOKEEPER_HOME is not set. */
export const SYSTEM_ZK_SERVERS: readonly string[] = ['/usr/share/zookeeper/bin/zkServer.sh']

const executable = (path: string): boolean => {
  try {
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

const serverScript = () => (process.platform === 'win32' ? 'zkServer.cmd' : 'zkServer.sh')

/** The zkServer script to run, or null when no ZooKeeper is installed (where it was looked for). */
export function findZkServer(
  env: Record<string, string | undefined>,
  systemServers: readonly string[] = SYSTEM_ZK_SERVERS,
): string | null {
  if (env.ZOOKEEPER_HOME) {
    const script = join(env.ZOOKEEPER_HOME, 'bin', serverScript())
    return executable(script) ? script : null
  }
  const candidates = [...systemServers]
  for (const dir of (env.PATH ?? '').split(delimiter).filter((d) => d !== '')) {
    candidates.push(join(dir, serverScript()), join(dir, 'zkServer'))
  }
  return candidates.find(executable) ?? null
}

const HOW_TO_INSTALL =
  'To install ZooKeeper:\n' +
  '  Debian/Ubuntu:  sudo apt-get update && sudo apt-get install zookeeper\n' +
  '                  (it needs Java; the package brings it in)\n' +
  '  Other systems:  download apache-zookeeper-<version>-bin.tar.gz from https://zookeeper.apache.org/releases.html,\n' +
  '                  unpack it, install Java 11+ and set ZOOKEEPER_HOME=/path/to/apache-zookeeper-<version>-bin\n' +
  '  macOS:          brew install zookeeper\n' +
  'Then run this script again.\n'

const NOT_NEEDED =
  '(A single Samsa broker needs no ZooKeeper: start it with\n' +
  'bin/kafka-server-start.sh config/standalone.properties. ZooKeeper is for the cluster mode.)\n'

/** What to tell a user whose ZooKeeper findZkServer did not find. */
export function installInstructions(env: Record<string, string | undefined>): string {
  const home = env.ZOOKEEPER_HOME
  if (home) {
    return (
      `ZOOKEEPER_HOME is set to ${home}, but ${join(home, 'bin', serverScript())} is not there.\n` +
      'Point ZOOKEEPER_HOME at an unpacked Apache ZooKeeper release, or unset it to use an installed one.\n' +
      NOT_NEEDED +
      HOW_TO_INSTALL
    )
  }
  return `Apache ZooKeeper is not installed. ${NOT_NEEDED}${HOW_TO_INSTALL}`
}
