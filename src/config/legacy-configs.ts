// Configs Kafka 3.x accepts and Kafka 4.0 removed. Samsa speaks Kafka 4.0's protocol, but its users
// arrive with Kafka 3.x config files, client code and tools (the seed's guide is Kafka 3.1), so
// these are accepted rather than refused: defined with `support: 'legacy'` beside the others
// (described with their Kafka 3.x defaults), warned about in one line wherever they are set, and
// mapped to their Kafka 4.0 successor when there is one. Facts: KIP-724 (message formats v0/v1
// and message.format.version removed in 4.0; ignored since 3.0), KIP-937 (the timestamp
// difference replaced by before/after bounds; until 4.0 a before/after bound left at its default
// takes the difference's value).

import { rule } from './config-def.ts'

/** Kafka 3.x's default message format version (inter.broker.protocol.version 3.0 and later). */
export const LEGACY_MESSAGE_FORMAT_VERSION = '3.0-IV1'

const SUCCESSORS: ReadonlyMap<string, string | null> = new Map([
  ['message.format.version', null],
  ['log.message.format.version', null],
  [
    'message.timestamp.difference.max.ms',
    'message.timestamp.before.max.ms and message.timestamp.after.max.ms',
  ],
  [
    'log.message.timestamp.difference.max.ms',
    'log.message.timestamp.before.max.ms and log.message.timestamp.after.max.ms',
  ],
])

export const isLegacyConfig = (name: string): boolean => SUCCESSORS.has(name)

/** The one-line warning for setting `name`, or null when it is not a legacy config. */
export function legacyConfigWarning(name: string): string | null {
  if (!SUCCESSORS.has(name)) return null
  const successor = SUCCESSORS.get(name)
  return successor === null
    ? `${name} is a Kafka 3.x config that Kafka 4.0 removed; accepted and ignored (Samsa writes only the current message format).`
    : `${name} is a Kafka 3.x config that Kafka 4.0 removed; accepted and applied through ${successor} where those are left at their defaults.`
}

/** Kafka's message format versions as 3.x validates them: 0.8.0 … 3.x, optionally with -IVn. */
const MESSAGE_FORMAT_VERSION_RE = /^(0\.(8|9|10|11)(\.\d+)?|[1-3]\.\d+)(\.\d+)?(-IV\d+)?$/

/** A Kafka version as message.format.version takes it (3.x's ApiVersionValidator). */
export const messageFormatVersion = rule('[0.8.0, ..., 3.x]', (v) =>
  MESSAGE_FORMAT_VERSION_RE.test(String(v)) ? null : `Version \`${String(v)}\` is not a valid version`,
)
