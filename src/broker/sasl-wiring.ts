// The broker's SASL at startup: the settings of every SASL listener (refused with one line per
// problem before storage or metadata are opened), the per-connection authentication gate in front
// of the dispatcher, the SCRAM credential APIs over the user config store of the metadata mode, and
// the inter-broker client's SASL when the inter-broker listener is SASL_* (process-wide, like the
// inter-broker TLS: set at start, cleared at stop).

import { setInterBrokerSasl } from '../client/broker-client.ts'
import type { Fs } from '../common/fs.ts'
import type { Logger } from '../common/logger.ts'
import type { BrokerConfig } from '../config/broker-config.ts'
import { interBrokerListener } from '../config/broker-defs-cluster.ts'
import { FileUserConfigStore, type UserConfigStore } from '../metadata/user-config-store.ts'
import type { ZkClient } from '../metadata/zk/zk-client.ts'
import { ZkUserConfigStore } from '../metadata/zk/zk-user-configs.ts'
import { AbuseLog } from '../network/abuse-log.ts'
import type { Dispatch } from '../network/connection.ts'
import { saslClient } from '../security/sasl-client.ts'
import { readInterBrokerSasl, readSaslSettings, type SaslSettings } from '../security/sasl-config.ts'
import { SaslGate } from '../security/sasl-gate.ts'
import { parseScramCredential } from '../security/scram-credential.ts'
import type { AnyHandler } from '../server/handler.ts'
import {
  alterUserScramCredentialsHandler,
  describeUserScramCredentialsHandler,
} from '../server/handlers/user-scram-credentials.ts'

export class SaslConfigError extends Error {
  readonly problems: readonly string[]
  constructor(problems: readonly string[]) {
    super(problems.join('\n'))
    this.name = 'SaslConfigError'
    this.problems = problems
  }
}

export interface BrokerSasl {
  readonly settings: SaslSettings
  /** The user config store of this metadata mode (SCRAM credentials). */
  users(zk: ZkClient | null): UserConfigStore
  /** AlterUserScramCredentials and DescribeUserScramCredentials over `users`. */
  handlers(users: UserConfigStore): AnyHandler<unknown>[]
  /** `dispatch` behind the authentication gate of the SASL listeners. */
  gate(dispatch: Dispatch, users: UserConfigStore): Dispatch
  /** Undoes the process-wide inter-broker SASL setting (at stop). */
  release(): void
}

export function setUpSasl(
  config: BrokerConfig,
  cluster: boolean,
  fs: Fs,
  now: () => number,
  log: Logger,
): BrokerSasl {
  const raw = config.static
  const { settings, problems } = readSaslSettings(raw, config.listeners)
  let interBroker = false
  if (cluster) {
    const name = interBrokerListener(config)
    const protocol = config.listenerSecurityProtocolMap.get(name)
    const ib = readInterBrokerSasl(
      raw,
      protocol === undefined ? undefined : { listenerName: name, securityProtocol: protocol },
    )
    problems.push(...ib.problems)
    if (problems.length === 0 && ib.client !== null) {
      setInterBrokerSasl(saslClient(ib.client))
      interBroker = true
    }
  }
  if (problems.length > 0) throw new SaslConfigError(problems)
  // Password guessing is cheap to repeat: logged once per source address and minute, then counted.
  const failures = new AbuseLog(log.child('sasl'))
  return {
    settings,
    users: (zk) =>
      zk === null ? new FileUserConfigStore(fs, config.logDirs[0]!) : new ZkUserConfigStore(zk),
    handlers: (users) => [
      alterUserScramCredentialsHandler(users),
      describeUserScramCredentialsHandler(users),
    ],
    gate: (dispatch, users) =>
      new SaslGate({
        settings,
        scramCredentials: async (user, m) => {
          const text = (await users.get(user)).get(m.name)
          return text === undefined ? null : parseScramCredential(text)
        },
        now,
        log: log.child('sasl'),
        reporter: failures,
      }).wrap(dispatch),
    release: () => {
      failures.stop()
      if (interBroker) setInterBrokerSasl(null)
    },
  }
}
