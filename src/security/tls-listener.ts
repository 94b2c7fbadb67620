// Turns a listener's validated TLS settings (tls-config.ts) into what the network layer runs: the
// node:tls server options, the principal of each client (certificate subject DN through the
// mapping rules, or User:ANONYMOUS without a certificate), and the certificate reload.
//
// Reload without restart: every RELOAD_CHECK_MS the key store and trust store files are stat'ed;
// when one changed (mtime or size), everything is read and checked again and, if it is usable,
// the server takes the new secure context (tls.Server#setSecureContext): new handshakes use it,
// established connections keep theirs. A half-written or broken store is logged once and retried
// at the next check; the old context stays in force meanwhile.

import { statSync } from 'node:fs'
import type { ConnectionOptions, Server, TLSSocket } from 'node:tls'
import type { Logger } from '../common/logger.ts'
import type { BrokerConfig } from '../config/broker-config.ts'
import type { TlsListenerOptions } from '../network/listener.ts'
import { type LoadedTls, loadTls, TlsConfigError } from './tls-config.ts'
import { ANONYMOUS, mapPrincipal, subjectDn } from './tls-principal.ts'

export const RELOAD_CHECK_MS = 1000

/** The TLS side of listener `listenerName`. Throws TlsConfigError (one line) when unusable. */
export function tlsListener(config: BrokerConfig, listenerName: string, log: Logger): TlsListenerOptions {
  const loaded = loadTls(config, listenerName)
  return {
    server: {
      ...loaded.context,
      requestCert: loaded.clientAuth !== 'none',
      rejectUnauthorized: loaded.clientAuth === 'required',
    },
    principalOf: (socket) => principalOf(loaded, socket),
    watch: (server) => watchStores(config, listenerName, loaded, server, log),
  }
}

function principalOf(loaded: LoadedTls, socket: TLSSocket): string | Error {
  if (loaded.clientAuth === 'none') return ANONYMOUS
  const cert = socket.getPeerX509Certificate()
  if (cert === undefined) return ANONYMOUS // `requested` and none sent (`required` fails the handshake)
  if (!socket.authorized)
    return new Error(`client certificate not trusted (${String(socket.authorizationError)})`)
  const dn = subjectDn(cert)
  const name = mapPrincipal(loaded.principalRules, dn)
  if (name === null) return new Error(`no ssl.principal.mapping.rules rule applies to ${dn}`)
  return `User:${name}`
}

function stamp(path: string): string {
  try {
    const s = statSync(path)
    return `${s.mtimeMs}:${s.size}:${s.ino}`
  } catch {
    return 'missing'
  }
}

function watchStores(
  config: BrokerConfig,
  listenerName: string,
  first: LoadedTls,
  server: Server,
  log: Logger,
): () => void {
  if (first.files.length === 0) return () => {}
  let seen = first.files.map(stamp).join('|')
  let lastProblem = ''
  const timer = setInterval(() => {
    const now = first.files.map(stamp).join('|')
    if (now === seen) return
    try {
      const next = loadTls(config, listenerName)
      server.setSecureContext(next.context)
      seen = now
      lastProblem = ''
      log.info(`Listener ${listenerName}: reloaded the key store and trust store (${first.files.join(', ')})`)
    } catch (e) {
      const problem = e instanceof TlsConfigError ? e.message : String(e)
      if (problem !== lastProblem)
        log.warn(`${problem}; keeping the previous certificates, will retry when the files change`)
      lastProblem = problem
    }
  }, RELOAD_CHECK_MS)
  timer.unref()
  return () => clearInterval(timer)
}

/**
 * How this broker connects to another one over TLS (inter-broker listener SSL): its own key store
 * as the client certificate and its trust store to verify the peer, as Kafka does.
 */
export function tlsClientOptions(config: BrokerConfig, listenerName: string): ConnectionOptions {
  const loaded = loadTls(config, listenerName)
  const o: ConnectionOptions = { ...loaded.context, rejectUnauthorized: true }
  if (!loaded.verifyHostname) o.checkServerIdentity = () => undefined
  return o
}
