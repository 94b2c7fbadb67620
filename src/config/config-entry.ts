// One described config, in the shape a DescribeConfigs response carries (and CreateTopics v5+ for the
// configs of a created topic). Values are strings as Kafka shows them; sensitive values are null.

import { type ConfigType, configTypeId } from './config-def.ts'

/** DescribeConfigsResponse ConfigSource ids. */
export const ConfigSource = {
  UNKNOWN: 0,
  DYNAMIC_TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
  DYNAMIC_BROKER_LOGGER_CONFIG: 6,
} as const
export type ConfigSource = (typeof ConfigSource)[keyof typeof ConfigSource]

export interface ConfigSynonym {
  readonly name: string
  readonly value: string | null
  readonly source: ConfigSource
}

export interface ConfigEntry {
  readonly name: string
  readonly value: string | null
  readonly source: ConfigSource
  readonly isSensitive: boolean
  readonly readOnly: boolean
  /** Where the value comes from first, then every lower-precedence place that also sets it. */
  readonly synonyms: readonly ConfigSynonym[]
  readonly documentation: string
  readonly type: ConfigType
  /** DescribeConfigsResponse ConfigType id (v3+). */
  readonly configType: number
}

export interface DescribeOptions {
  /** Only these keys (null/empty: all), as DescribeConfigs' ConfigurationKeys. */
  readonly keys?: readonly string[] | null
}

export function entry(
  name: string,
  type: ConfigType,
  value: string | null,
  synonyms: readonly ConfigSynonym[],
  documentation: string,
  readOnly: boolean,
): ConfigEntry {
  const isSensitive = type === 'password'
  const hide = (s: ConfigSynonym): ConfigSynonym => (isSensitive ? { ...s, value: null } : s)
  return {
    name,
    value: isSensitive ? null : value,
    source: synonyms[0]?.source ?? ConfigSource.DEFAULT_CONFIG,
    isSensitive,
    readOnly,
    synonyms: synonyms.map(hide),
    documentation,
    type,
    configType: configTypeId(type),
  }
}

export const wanted = (opts: DescribeOptions, name: string): boolean =>
  !opts.keys || opts.keys.length === 0 || opts.keys.includes(name)
