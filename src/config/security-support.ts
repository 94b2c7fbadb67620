// Which listener security protocols this broker actually serves. A listener whose protocol is not
// in this set is refused at startup with one line: serving it as something weaker (an SSL listener
// answering in plaintext, a SASL listener without authentication) would betray the client's config.
// Work that brings a protocol in (SASL) adds it in `implementedSecurityProtocols`, nowhere else.

import type { Endpoint, SecurityProtocol } from './listeners.ts'

/** The protocols a listener may use today. */
export function implementedSecurityProtocols(): ReadonlySet<SecurityProtocol> {
  return new Set<SecurityProtocol>(['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'])
}

/** The one-line refusal for a listener whose protocol is not served, or null when it is. */
export function unimplementedListenerProblem(e: Endpoint): string | null {
  if (implementedSecurityProtocols().has(e.securityProtocol)) return null
  const served = [...implementedSecurityProtocols()].join(', ')
  return `Listener ${e.listenerName} uses security protocol ${e.securityProtocol}, which Samsa does not implement yet (implemented: ${served}); refusing to start rather than serve it unsecured.`
}
