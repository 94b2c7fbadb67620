// The transaction coordinator's settings as a typed object, taken from the broker config (Kafka's
// names beside each field), and the creation spec of __transaction_state (Kafka's topic configs
// for it: compacted, min.insync.replicas from transaction.state.log.min.isr, uncompressed).

import type { BrokerConfig } from '../../config/broker-config.ts'

export const TRANSACTION_STATE_TOPIC = '__transaction_state'

export interface TxnConfig {
  /** transaction.max.timeout.ms */
  readonly maxTimeoutMs: number
  /** transactional.id.expiration.ms */
  readonly idExpirationMs: number
  /** transaction.abort.timed.out.transaction.cleanup.interval.ms */
  readonly abortTimedOutIntervalMs: number
  /** transaction.remove.expired.transaction.cleanup.interval.ms */
  readonly removeExpiredIntervalMs: number
  /** transaction.state.log.num.partitions (used until the topic exists; then its real count) */
  readonly numPartitions: number
  /** Delay between rounds of marker retries (Kafka's coordinator retries at its backoff). */
  readonly markerRetryBackoffMs: number
  /** transaction.partition.verification.enable (KIP-890 part 1, replication/txn-verification.ts) */
  readonly partitionVerification: boolean
}

export const DEFAULT_TXN_CONFIG: TxnConfig = Object.freeze({
  maxTimeoutMs: 900000,
  idExpirationMs: 604800000,
  abortTimedOutIntervalMs: 10000,
  removeExpiredIntervalMs: 3600000,
  numPartitions: 50,
  markerRetryBackoffMs: 100,
  partitionVerification: true,
})

export function txnConfigOf(c: BrokerConfig): TxnConfig {
  const num = (name: string, dflt: number) => {
    const v = c.values.get(name)?.value
    return typeof v === 'number' ? v : dflt
  }
  return {
    maxTimeoutMs: c.transactionMaxTimeoutMs,
    idExpirationMs: c.transactionalIdExpirationMs,
    abortTimedOutIntervalMs: num(
      'transaction.abort.timed.out.transaction.cleanup.interval.ms',
      DEFAULT_TXN_CONFIG.abortTimedOutIntervalMs,
    ),
    removeExpiredIntervalMs: num(
      'transaction.remove.expired.transaction.cleanup.interval.ms',
      DEFAULT_TXN_CONFIG.removeExpiredIntervalMs,
    ),
    numPartitions: c.transactionStateLogNumPartitions,
    markerRetryBackoffMs: DEFAULT_TXN_CONFIG.markerRetryBackoffMs,
    partitionVerification: flag(c, 'transaction.partition.verification.enable', true),
  }
}

/** A boolean setting: its defined value, else as written in server.properties (not yet defined). */
function flag(c: BrokerConfig, name: string, dflt: boolean): boolean {
  const v = c.values.get(name)?.value
  if (typeof v === 'boolean') return v
  const raw = c.static.get(name)?.trim().toLowerCase()
  return raw === undefined ? dflt : raw !== 'false'
}

/** How __transaction_state is created. */
export function transactionStateTopicSpec(c: BrokerConfig) {
  return {
    name: TRANSACTION_STATE_TOPIC,
    numPartitions: c.transactionStateLogNumPartitions,
    replicationFactor: c.transactionStateLogReplicationFactor,
    configs: [
      { name: 'cleanup.policy', value: 'compact' },
      { name: 'compression.type', value: 'uncompressed' },
      { name: 'min.insync.replicas', value: String(c.transactionStateLogMinIsr) },
      { name: 'segment.bytes', value: String(c.transactionStateLogSegmentBytes) },
      { name: 'unclean.leader.election.enable', value: 'false' },
    ],
  }
}
