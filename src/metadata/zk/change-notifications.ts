// Purging of ZooKeeper change notifications, as Kafka's ZooKeeper-mode brokers do: every change to
// ACLs or configs adds a sequential notification znode (/kafka-acl-changes/acl_changes_<n>,
// /kafka-acl-extended-changes/acl_changes_<n>, /config/changes/config_change_<n>) that every
// broker watches; whenever a broker processes them it also deletes those created more than 15
// minutes ago (Kafka's changeExpirationMs), so they do not pile up forever. Every broker purges, so
// a notification another broker deleted first is no error.

import type { Logger } from '../../common/logger.ts'
import { type ZkClient, ZkError } from './zk-client.ts'

/** Kafka's changeExpirationMs: notifications older than this are deleted. */
export const CHANGE_EXPIRATION_MS = 15 * 60 * 1000

export interface NotificationExpiry {
  /** The broker's clock (epoch ms); compared with the znodes' creation times. */
  readonly now: () => number
  readonly expirationMs: number
}

export const DEFAULT_NOTIFICATION_EXPIRY: NotificationExpiry = {
  now: () => Date.now(),
  expirationMs: CHANGE_EXPIRATION_MS,
}

/**
 * Deletes the notifications among `children` of `dir` created more than `expirationMs` ago;
 * resolves to how many this call deleted. Failures are logged, never thrown: a purge is tidying.
 */
export async function purgeExpiredNotifications(
  zk: ZkClient,
  dir: string,
  children: readonly string[],
  expiry: NotificationExpiry,
  logger: Logger,
): Promise<number> {
  let deleted = 0
  const now = expiry.now()
  for (const name of children) {
    const path = `${dir}/${name}`
    try {
      const stat = await zk.exists(path)
      if (stat === null || now - stat.ctime <= expiry.expirationMs) continue
      await zk.delete(path, stat.version)
      deleted++
    } catch (e) {
      if (e instanceof ZkError && (e.code === 'NO_NODE' || e.code === 'BAD_VERSION')) continue
      logger.warn(`could not purge the change notification ${path}: ${(e as Error).message}`)
      return deleted
    }
  }
  return deleted
}
