// Where a real Apache ZooKeeper is: $ZOOKEEPER_HOME (an unpacked release), Debian's `zookeeper`
// package (/usr/share/zookeeper), or zkServer.sh / zkServer (Homebrew) on PATH. Samsa does not ship
// ZooKeeper; a single broker does not need it.

import { accessSync, constants } from 'node:fs'
import { delimiter, join } from 'node:path'

const executable = (path: string): boolean => {
  try {
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/** The zkServer script to run, or null when no ZooKeeper is installed. */
export function findZkServer(env: Record<string, string | undefined>): string | null {
  const candidates: string[] = []
  const windows = process.platform === 'win32'
  if (env.ZOOKEEPER_HOME)
    candidates.push(join(env.ZOOKEEPER_HOME, 'bin', windows ? 'zkServer.cmd' : 'zkServer.sh'))
  candidates.push('/usr/share/zookeeper/bin/zkServer.sh')
  for (const dir of (env.PATH ?? '').split(delimiter).filter((d) => d !== '')) {
    candidates.push(join(dir, windows ? 'zkServer.cmd' : 'zkServer.sh'), join(dir, 'zkServer'))
  }
  return candidates.find(executable) ?? null
}

/** What to tell a user who has no ZooKeeper. */
export function installInstructions(env: Record<string, string | undefined>): string {
  const home = env.ZOOKEEPER_HOME
  return (
    (home
      ? `ZOOKEEPER_HOME is set to ${home}, but ${join(home, 'bin', 'zkServer.sh')} is not there.\n`
      : '') +
    'Apache ZooKeeper is not installed. (A single Samsa broker needs no ZooKeeper: start it with\n' +
    'bin/kafka-server-start.sh config/server.properties. ZooKeeper is for the cluster mode.)\n' +
    'To install ZooKeeper:\n' +
    '  Debian/Ubuntu:  sudo apt-get update && sudo apt-get install zookeeper\n' +
    '                  (it needs Java; the package brings it in)\n' +
    '  Other systems:  download apache-zookeeper-<version>-bin.tar.gz from https://zookeeper.apache.org/releases.html,\n' +
    '                  unpack it, install Java 11+ and set ZOOKEEPER_HOME=/path/to/apache-zookeeper-<version>-bin\n' +
    '  macOS:          brew install zookeeper\n' +
    'Then run this script again.\n'
  )
}
