// What a request handler is. One file per API in handlers/, each exporting a Handler whose header
// comment states the versions served and what is not implemented. The registry (registry.ts) is
// built from these and is also the source of the ApiVersions answer: a version is advertised only
// when a handler serves it (and not every served API is advertised: see `advertised`).

import type { Logger } from '../common/logger.ts'
import type { ConnectionInfo } from '../network/connection.ts'
import type { MessageCodec } from '../protocol/codec.ts'

export interface RequestContext {
  readonly apiKey: number
  readonly apiVersion: number
  readonly correlationId: number
  readonly clientId: string | null
  readonly connection: ConnectionInfo
  readonly log: Logger
}

/** Returned by a handler when the request gets no response on the wire (acks=0 produce). */
export const NO_RESPONSE = null

export interface Handler<Req, Res, Services = unknown> {
  readonly apiKey: number
  readonly minVersion: number
  readonly maxVersion: number
  readonly request: MessageCodec<Req>
  readonly response: MessageCodec<Res>
  /**
   * false: served, but left out of ApiVersions. For the APIs only brokers send, at the versions
   * they know, without asking first: the share coordinator's state RPCs, whose schemas name the
   * "broker" listener only (no "zkBroker"), so a ZooKeeper-mode Kafka broker never advertises
   * them, and no client sends them. (The controller-to-broker APIs of ZooKeeper mode, LeaderAndIsr,
   * StopReplica, UpdateMetadata, ControlledShutdown and AlterPartition, name "zkBroker": Kafka's
   * ZooKeeper-mode brokers advertise them on every listener, and so does Samsa in that mode.)
   */
  readonly advertised?: boolean
  /** Encode the response with big records blobs spliced, not copied (Fetch). */
  readonly splice?: boolean
  handle(ctx: RequestContext, req: Req, services: Services): Res | null | Promise<Res | null>
  /**
   * The response that carries `errorCode` for every part of `req` (Kafka's getErrorResponse):
   * used for versions decoded but not served, and when handle() throws. Without it the response
   * defaults with a top-level errorCode are used.
   */
  errorResponse?(req: Req, version: number, errorCode: number): Res
}

// biome-ignore lint/suspicious/noExplicitAny: handlers of every message type live in one table
export type AnyHandler<S = unknown> = Handler<any, any, S>

/** A handler over the broker's services. */
export function defineHandler<Req, Res, S>(h: Handler<Req, Res, S>): Handler<Req, Res, S> {
  return h
}
