// DescribeConfigs for the broker resource, and validation of dynamic broker config changes
// (AlterConfigs / IncrementalAlterConfigs on a broker id, or on "" for the cluster-wide default), as
// Kafka does them: sensitive values hidden, synonyms listed layer by layer (dynamic per-broker,
// dynamic default, static, default), `readOnly` for configs that cannot change while running.

import {
  BROKER_CONFIG_DEFS,
  type BrokerConfig,
  type BrokerConfigLayers,
  brokerConfigSynonyms,
} from './broker-config.ts'
import { ConfigError, parseAndValidate } from './config-def.ts'
import {
  type ConfigEntry,
  ConfigSource,
  type ConfigSynonym,
  type DescribeOptions,
  entry,
  wanted,
} from './config-entry.ts'
import { closestKey } from './suggest.ts'

/** Kafka error code used here (value of protocol/generated/error-codes.ts). */
const INVALID_REQUEST = 42

/**
 * Every layer where one of `names` is set, in Kafka's order: each name at the per-broker layer, then
 * each at the cluster-default layer, then static, then the defaults.
 */
export function brokerLayerSynonyms(broker: BrokerConfigLayers, names: readonly string[]): ConfigSynonym[] {
  const out: ConfigSynonym[] = []
  const layers: [ReadonlyMap<string, string> | null, ConfigSource][] = [
    [broker.dynamicBroker, ConfigSource.DYNAMIC_BROKER_CONFIG],
    [broker.dynamicDefault, ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG],
    [broker.static, ConfigSource.STATIC_BROKER_CONFIG],
    [null, ConfigSource.DEFAULT_CONFIG],
  ]
  for (const [layer, source] of layers) {
    for (const name of names) {
      const value =
        layer === null
          ? (BROKER_CONFIG_DEFS.get(name)?.default.text ?? null)
          : (layer.get(name)?.trim() ?? null)
      if (value !== null) out.push({ name, value, source })
    }
  }
  return out
}

export interface DescribeBrokerOptions extends DescribeOptions {
  /** 'broker': DescribeConfigs on this broker's id; 'cluster-default': on the empty name. */
  readonly scope: 'broker' | 'cluster-default'
}

export function describeBrokerConfigs(config: BrokerConfig, opts: DescribeBrokerOptions): ConfigEntry[] {
  const out: ConfigEntry[] = []
  const names =
    opts.scope === 'broker'
      ? [...BROKER_CONFIG_DEFS.keys()].sort()
      : [...config.dynamicDefault.keys()].filter((n) => BROKER_CONFIG_DEFS.has(n)).sort()
  for (const name of names) {
    if (!wanted(opts, name)) continue
    const def = BROKER_CONFIG_DEFS.get(name)!
    let synonyms = brokerLayerSynonyms(config, brokerConfigSynonyms(name))
    // Drop the higher-precedence synonyms (log.retention.ms when describing log.retention.hours).
    const first = synonyms.findIndex((s) => s.name === name)
    synonyms = first < 0 ? [] : synonyms.slice(first)
    if (opts.scope === 'cluster-default')
      synonyms = synonyms.filter((s) => s.source === ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG)
    const value =
      opts.scope === 'broker' ? (config.values.get(name)?.text ?? null) : (synonyms[0]?.value ?? null)
    out.push(entry(name, def.type, value, synonyms, def.doc, def.updateMode === 'read-only'))
  }
  return out
}

export interface ConfigChangeProblem {
  readonly errorCode: number
  readonly message: string
}

/**
 * Checks a set of dynamic broker config values (the whole new layer, or just the changed keys) for
 * the per-broker layer (`perBroker`) or the cluster-default layer. Kafka answers INVALID_REQUEST for
 * all of these. Unlike Kafka, unknown names are refused rather than stored.
 */
export function validateBrokerConfigUpdate(
  configs: ReadonlyMap<string, string>,
  perBroker: boolean,
): ConfigChangeProblem | null {
  for (const name of configs.keys()) {
    if (BROKER_CONFIG_DEFS.has(name)) continue
    const hint = closestKey(name, BROKER_CONFIG_DEFS.keys())
    return {
      errorCode: INVALID_REQUEST,
      message: `Unknown broker config name: ${name}${hint ? `. Did you mean '${hint}'?` : ''}`,
    }
  }
  const readOnly = [...configs.keys()].filter((n) => BROKER_CONFIG_DEFS.get(n)!.updateMode === 'read-only')
  if (readOnly.length > 0)
    return {
      errorCode: INVALID_REQUEST,
      message: `Cannot update these configs dynamically: Set(${readOnly.join(', ')})`,
    }
  if (!perBroker) {
    const brokerOnly = [...configs.keys()].filter(
      (n) => BROKER_CONFIG_DEFS.get(n)!.updateMode === 'per-broker',
    )
    if (brokerOnly.length > 0)
      return {
        errorCode: INVALID_REQUEST,
        message: `Cannot update these configs at default cluster level, broker id must be specified: Set(${brokerOnly.join(', ')})`,
      }
  }
  for (const [name, value] of configs) {
    try {
      parseAndValidate(BROKER_CONFIG_DEFS.get(name)!, value)
    } catch (e) {
      if (e instanceof ConfigError) return { errorCode: INVALID_REQUEST, message: e.message }
      throw e
    }
  }
  return null
}
