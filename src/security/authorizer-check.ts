// What handlers call to authorize: the connection's principal and host, and one call per resource.
// Handlers reach the authorizer through their services (`Authorizing`); it is null when
// `authorizer.class.name` is empty, and every check is then skipped by the caller's `=== null`
// test, so an unauthorized broker pays nothing on the hot path.

import type { ConnectionInfo } from '../network/connection.ts'
import { CLUSTER_NAME, ResourceType } from './acl-types.ts'
import type { Authorizer } from './authorizer.ts'

/** The part of a handler's services that authorizes (null: no authorizer configured). */
export interface Authorizing {
  readonly authorizer?: Authorizer | null
}

export const ANONYMOUS = 'User:ANONYMOUS'

export function principalOf(conn: ConnectionInfo): string {
  return conn.principal ?? ANONYMOUS
}

/** The client's IP address as ACL hosts name it (IPv4-mapped IPv6 shown as IPv4). */
export function hostOf(conn: ConnectionInfo): string {
  const r = conn.remote
  const i = r.lastIndexOf(':')
  const h = i < 0 ? r : r.slice(0, i)
  return h.startsWith('::ffff:') ? h.slice(7) : h
}

/** The caller's identity, computed once per request. */
export interface Caller {
  readonly az: Authorizer
  readonly principal: string
  readonly host: string
}

/** The caller of a request, or null when there is no authorizer (nothing to check). */
export function callerOf(az: Authorizer | null | undefined, conn: ConnectionInfo): Caller | null {
  return az === null || az === undefined ? null : { az, principal: principalOf(conn), host: hostOf(conn) }
}

export function allows(c: Caller, op: number, resourceType: number, name: string): boolean {
  return c.az.authorize(c.principal, c.host, op, resourceType, name)
}

export function allowsCluster(c: Caller, op: number): boolean {
  return c.az.authorize(c.principal, c.host, op, ResourceType.CLUSTER, CLUSTER_NAME)
}

/** Topic check memoized per request: one authorization per topic, however many partitions. */
export function topicChecker(c: Caller, op: number): (topic: string) => boolean {
  const seen = new Map<string, boolean>()
  return (topic) => {
    let ok = seen.get(topic)
    if (ok === undefined) {
      ok = c.az.authorize(c.principal, c.host, op, ResourceType.TOPIC, topic)
      seen.set(topic, ok)
    }
    return ok
  }
}

/** Authorized-operations bit field, or Kafka's INT32_MIN "not requested" value. */
export const NOT_REQUESTED = -2147483648

export function authorizedOps(c: Caller, resourceType: number, name: string): number {
  return c.az.authorizedOperations(c.principal, c.host, resourceType, name)
}
