// Client quota and connection-limit keys (docs/security.md "Quotas", "Connection limits"):
// Kafka's names, types and defaults. The quota manager (security/quota-manager.ts) and the
// listeners (network/listener.ts) read the values; defined here so they are known, typed and
// documented.

import { atLeast, type ConfigDefinition, define } from './config-def.ts'

const INT_MAX = 2147483647

export const QUOTA_DEFS: readonly ConfigDefinition[] = [
  define(
    'quota.window.num',
    'int',
    11,
    'Number of samples kept to compute a client quota rate (KIP-219 throttling).',
    { validator: atLeast(1), importance: 'low' },
  ),
  define('quota.window.size.seconds', 'int', 1, 'Length of one client quota sample.', {
    validator: atLeast(1),
    importance: 'low',
  }),
  define(
    'max.connections.per.ip.overrides',
    'string',
    '',
    'Per-address exceptions to max.connections.per.ip: host or IP:count pairs, comma-separated.',
    { importance: 'medium', updateMode: 'cluster-wide' },
  ),
  define(
    'max.connection.creation.rate',
    'int',
    INT_MAX,
    'New connections accepted per second over all listeners; beyond it accepting is delayed.',
    { validator: atLeast(0), importance: 'medium', updateMode: 'cluster-wide' },
  ),
]
