// The broker's TLS at startup: one node:tls setup per SSL or SASL_SSL listener, and the inter-broker
// client's TLS options when the inter-broker listener is one of those. Any unusable setting throws
// TlsConfigError (one line), which the broker turns into a refused start before storage or
// metadata are opened.

import { setInterBrokerTls } from '../client/broker-client.ts'
import type { Logger } from '../common/logger.ts'
import type { BrokerConfig } from '../config/broker-config.ts'
import { interBrokerListener } from '../config/broker-defs-cluster.ts'
import type { TlsListenerOptions } from '../network/listener.ts'
import { tlsClientOptions, tlsListener } from '../security/tls-listener.ts'

/** Protocols carried over TLS (SASL_SSL: SASL runs inside the TLS connection). */
const TLS_PROTOCOLS: ReadonlySet<string> = new Set(['SSL', 'SASL_SSL'])

export interface BrokerTls {
  /** By listener name: the TLS of SSL and SASL_SSL listeners. */
  readonly listeners: ReadonlyMap<string, TlsListenerOptions>
  /** Undoes the process-wide inter-broker TLS setting (at stop). */
  release(): void
}

export function setUpTls(config: BrokerConfig, cluster: boolean, log: Logger): BrokerTls {
  const listeners = new Map<string, TlsListenerOptions>()
  let interBroker = false
  for (const l of config.listeners) {
    if (TLS_PROTOCOLS.has(l.securityProtocol))
      listeners.set(l.listenerName, tlsListener(config, l.listenerName, log.child('tls')))
  }
  if (cluster) {
    const name = interBrokerListener(config)
    const protocol = config.listenerSecurityProtocolMap.get(name)
    if (protocol !== undefined && TLS_PROTOCOLS.has(protocol)) {
      setInterBrokerTls(tlsClientOptions(config, name))
      interBroker = true
    }
  }
  return {
    listeners,
    release: () => {
      if (interBroker) setInterBrokerTls(null)
    },
  }
}
