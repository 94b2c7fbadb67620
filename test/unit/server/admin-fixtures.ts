// Shared fixtures for the metadata and admin handler tests: a real embedded metadata store on a
// memory file system with this broker registered, the broker config parsed from key/values, the
// services object the handlers take, a request context, and a wire round trip of each response
// (so a field set in a version that lacks it fails the test, as it would fail on the wire).

import assert from 'node:assert/strict'
import { silentLogger } from '../../../src/common/logger.ts'
import { MemoryFs } from '../../../src/common/memory-fs.ts'
import { type BrokerConfig, parseBrokerConfig } from '../../../src/config/broker-config.ts'
import { inputsFromObject } from '../../../src/config/config-input.ts'
import {
  type EmbeddedMetadataStore,
  openEmbeddedMetadataStore,
} from '../../../src/metadata/embedded/embedded-store.ts'
import { dynamicLayersOf } from '../../../src/metadata/image.ts'
import { decodeMessage, encodeMessage, type MessageCodec } from '../../../src/protocol/codec.ts'
import type { RequestContext } from '../../../src/server/handler.ts'

export const NODE_ID = 1
export const HOST = 'broker.example'
export const PORT = 9092

export interface Fixture {
  store: EmbeddedMetadataStore
  config: BrokerConfig
  /** Implements every handler's services; tests override members as needed. */
  services: {
    nodeId: number
    metadata: EmbeddedMetadataStore
    brokerConfig(): BrokerConfig
    onTopicConfigChange(topics: readonly string[]): Promise<void>
    onBrokerConfigChange(): Promise<void>
    awaitTopicsReady(topics: readonly string[]): Promise<void>
  }
  /** Topic names passed to onTopicConfigChange, in call order. */
  topicHooks: string[][]
  brokerHooks: number
  /** Topic names passed to awaitTopicsReady, in call order. */
  readyHooks: string[][]
}

export function parseConfig(
  staticConfig: Record<string, string | number | boolean> = {},
  dynamicDefault: ReadonlyMap<string, string> = new Map(),
  dynamicBroker: ReadonlyMap<string, string> = new Map(),
): BrokerConfig {
  const r = parseBrokerConfig(inputsFromObject({ 'node.id': NODE_ID, ...staticConfig }), [], {
    dynamicDefault,
    dynamicBroker,
  })
  assert.ok(r.ok, r.ok ? '' : r.errors.map((e) => e.message).join('\n'))
  return r.config
}

export async function fixture(
  staticConfig: Record<string, string | number | boolean> = {},
  opts: { register?: boolean; listener?: string } = {},
): Promise<Fixture> {
  const config = parseConfig(staticConfig)
  const store = await openEmbeddedMetadataStore({
    logDirs: ['/data/logs'],
    fs: new MemoryFs(),
    nodeId: NODE_ID,
    clusterId: 'test-cluster-id',
    defaultNumPartitions: config.numPartitions,
    defaultReplicationFactor: config.defaultReplicationFactor,
    staticBrokerConfig: config.static,
  })
  if (opts.register !== false) {
    await store.registerBroker({
      id: NODE_ID,
      host: HOST,
      port: PORT,
      rack: 'rack-a',
      endpoints: [
        { listenerName: 'PLAINTEXT', securityProtocol: 'PLAINTEXT', host: HOST, port: PORT },
        { listenerName: 'INTERNAL', securityProtocol: 'PLAINTEXT', host: 'internal.example', port: 9093 },
      ],
    })
  }
  const f: Fixture = {
    store,
    config,
    topicHooks: [],
    brokerHooks: 0,
    readyHooks: [],
    services: {
      nodeId: NODE_ID,
      metadata: store,
      // The current config: static layers plus the image's dynamic layers, as the broker keeps it.
      brokerConfig: () => {
        const layers = dynamicLayersOf(store.image(), NODE_ID)
        return parseConfig(staticConfig, layers.dynamicDefault, layers.dynamicBroker)
      },
      onTopicConfigChange: async (topics) => {
        f.topicHooks.push([...topics])
      },
      onBrokerConfigChange: async () => {
        f.brokerHooks++
      },
      awaitTopicsReady: async (topics) => {
        f.readyHooks.push([...topics])
      },
    },
  }
  return f
}

export function ctx(apiKey: number, apiVersion: number, listener = 'PLAINTEXT'): RequestContext {
  return {
    apiKey,
    apiVersion,
    correlationId: 7,
    clientId: 'test-client',
    connection: { id: 1, remote: '127.0.0.1:50000', listener },
    log: silentLogger,
  }
}

/** Encodes and decodes `msg` at `version`: what a client would read. */
export function wire<T>(codec: MessageCodec<T>, msg: T, version: number): T {
  return decodeMessage(codec, encodeMessage(codec, msg, version), version)
}

/** A request as a client at `version` would send it (decoded from its encoding). */
export function request<T>(codec: MessageCodec<T>, fields: Partial<T>, version: number): T {
  return wire(codec, { ...codec.defaults(version), ...fields }, version)
}
