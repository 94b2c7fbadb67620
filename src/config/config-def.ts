// The shape of a configuration definition and the parsing of one value, following Kafka's ConfigDef:
// the same types, the same parsing rules (values are trimmed; INT/LONG/SHORT are base-10 with an
// optional sign and must fit the Java type; BOOLEAN is true/false in any case; LIST splits on
// commas with surrounding whitespace), and the same error wording, so that a Kafka user recognises
// every message: `Invalid value <v> for configuration <name>: <reason>`.

/** Kafka's ConfigDef.Type, lower-cased. The wire ids are in `configTypeId`. */
export type ConfigType =
  | 'boolean'
  | 'string'
  | 'int'
  | 'short'
  | 'long'
  | 'double'
  | 'list'
  | 'class'
  | 'password'
export type Importance = 'high' | 'medium' | 'low'

/**
 * A parsed value. INT/SHORT/LONG/DOUBLE are numbers: a LONG beyond 2^53 (in practice only
 * Long.MAX_VALUE, Kafka's "never") loses precision as a number, so every value also keeps its exact
 * canonical text (`ParsedValue.text`) for display and round trips.
 */
export type ConfigValue = boolean | string | number | readonly string[] | null

export interface ParsedValue {
  readonly value: ConfigValue
  /** Kafka's ConfigDef.convertToString of the value; null when the value is null. */
  readonly text: string | null
}

/** How a broker config may be changed while the broker runs (Kafka's "Update Mode"). */
export type UpdateMode = 'read-only' | 'per-broker' | 'cluster-wide'

/** What Samsa does with a config Kafka defines. */
export type Support =
  /** Implemented as in Kafka. */
  | 'yes'
  /** Accepted and validated, no effect in Samsa (the doc says why). */
  | 'ignored'
  /** Kafka 3.x only (Kafka 4.0 removed it): accepted with a warning, mapped to its successor if any. */
  | 'legacy'

/** Raised by parsing and validators; `message` is the one-line, Kafka-worded text. */
export class ConfigError extends Error {
  readonly key: string
  constructor(key: string, message: string) {
    super(message)
    this.name = 'ConfigError'
    this.key = key
  }
}

/** Kafka's ConfigException(name, value, message) text. */
export function invalidValue(key: string, value: unknown, reason?: string): ConfigError {
  const shown = Array.isArray(value) ? `[${value.join(', ')}]` : String(value)
  return new ConfigError(key, `Invalid value ${shown} for configuration ${key}${reason ? `: ${reason}` : ''}`)
}

export interface Validator {
  /** Throws a ConfigError when `value` (already parsed, never null, of `type`) is not acceptable. */
  check(key: string, value: ConfigValue, type: ConfigType): void
  /** "Valid Values" as Kafka's docs print it, e.g. `[1,...]` or `[delete, compact]`. */
  readonly describe: string
}

export interface ConfigDefinition {
  readonly name: string
  readonly type: ConfigType
  /** Parsed default; null means "no default" (the key is optional and unset). */
  readonly default: ParsedValue
  readonly validator: Validator | null
  readonly importance: Importance
  /** One line in our own words. */
  readonly doc: string
  readonly updateMode: UpdateMode
  readonly support: Support
}

export interface DefineOptions {
  readonly validator?: Validator | null
  readonly importance?: Importance
  readonly updateMode?: UpdateMode
  readonly support?: Support
}

/** Builds a definition; the default goes through the same parser and validator as user values. */
export function define(
  name: string,
  type: ConfigType,
  defaultValue: string | number | boolean | readonly string[] | null,
  doc: string,
  options: DefineOptions = {},
): ConfigDefinition {
  const validator = options.validator ?? null
  const raw =
    defaultValue === null ? null : Array.isArray(defaultValue) ? defaultValue.join(',') : String(defaultValue)
  const parsed = raw === null ? { value: null, text: null } : parseValue(name, type, raw)
  if (parsed.value !== null) validator?.check(name, parsed.value, type)
  return {
    name,
    type,
    default: parsed,
    validator,
    importance: options.importance ?? 'medium',
    doc,
    updateMode: options.updateMode ?? 'read-only',
    support: options.support ?? 'yes',
  }
}

/** Long.MAX_VALUE as Kafka writes it: the "never" of many log configs. */
export const LONG_MAX = '9223372036854775807'

const RANGES = {
  short: [-(2n ** 15n), 2n ** 15n - 1n],
  int: [-(2n ** 31n), 2n ** 31n - 1n],
  long: [-(2n ** 63n), 2n ** 63n - 1n],
} as const

const TYPE_NAMES: Record<ConfigType, string> = {
  boolean: 'BOOLEAN',
  string: 'STRING',
  int: 'INT',
  short: 'SHORT',
  long: 'LONG',
  double: 'DOUBLE',
  list: 'LIST',
  class: 'CLASS',
  password: 'PASSWORD',
}
export const configTypeName = (t: ConfigType): string => TYPE_NAMES[t]

/** DescribeConfigs' ConfigType ids (DescribeConfigsResponse.ConfigType). */
export const configTypeId = (t: ConfigType): number =>
  ({ boolean: 1, string: 2, int: 3, short: 4, long: 5, double: 6, list: 7, class: 8, password: 9 })[t]

// Java's Double.parseDouble accepts these (plus hex floats, which nobody writes in a config).
const DOUBLE_RE = /^[+-]?(NaN|Infinity|((\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)[fFdD]?)$/

/** Parses one raw string as ConfigDef.parseType does. Throws ConfigError with Kafka's wording. */
export function parseValue(key: string, type: ConfigType, raw: string): ParsedValue {
  const trimmed = raw.trim()
  switch (type) {
    case 'boolean': {
      const lower = trimmed.toLowerCase()
      if (lower === 'true') return { value: true, text: 'true' }
      if (lower === 'false') return { value: false, text: 'false' }
      throw invalidValue(key, raw, 'Expected value to be either true or false')
    }
    case 'string':
    case 'password':
    case 'class':
      return { value: trimmed, text: trimmed }
    case 'short':
    case 'int':
    case 'long': {
      if (!/^[+-]?\d+$/.test(trimmed))
        throw invalidValue(key, raw, `Not a number of type ${TYPE_NAMES[type]}`)
      const n = BigInt(trimmed)
      const [lo, hi] = RANGES[type]
      if (n < lo || n > hi) throw invalidValue(key, raw, `Not a number of type ${TYPE_NAMES[type]}`)
      return { value: Number(n), text: n.toString() }
    }
    case 'double': {
      if (!DOUBLE_RE.test(trimmed)) throw invalidValue(key, raw, 'Not a number of type DOUBLE')
      const v = Number(trimmed.replace(/[fFdD]$/, ''))
      return { value: v, text: javaDoubleString(v) }
    }
    case 'list': {
      const items = trimmed === '' ? [] : trimmed.split(/\s*,\s*/)
      return { value: items, text: items.join(',') }
    }
  }
}

/** Double.toString for the values a config holds: integral values keep a ".0". */
export function javaDoubleString(v: number): string {
  if (Number.isNaN(v)) return 'NaN'
  if (!Number.isFinite(v)) return v > 0 ? 'Infinity' : '-Infinity'
  const abs = Math.abs(v)
  if (abs === 0 || (abs >= 1e-3 && abs < 1e7)) return Number.isInteger(v) ? `${v}.0` : String(v)
  // Java switches to "computerized scientific notation" outside [1e-3, 1e7): 1.0E7, 1.5E-4.
  const [mantissa, exponent] = v.toExponential().split('e') as [string, string]
  return `${mantissa.includes('.') ? mantissa : `${mantissa}.0`}E${exponent.replace('+', '')}`
}

/** The canonical text of an already parsed value (what DescribeConfigs shows). */
export function valueText(type: ConfigType, value: ConfigValue): string | null {
  if (value === null) return null
  if (Array.isArray(value)) return value.join(',')
  if (type === 'double' && typeof value === 'number') return javaDoubleString(value)
  if ((type === 'long' || type === 'int' || type === 'short') && typeof value === 'number') {
    // Long.MAX_VALUE does not survive as a number; print it as Kafka does.
    return value >= 2 ** 63 - 1 ? '9223372036854775807' : BigInt(Math.trunc(value)).toString()
  }
  return String(value)
}

/** Parses and validates; returns the parsed value or throws ConfigError. */
export function parseAndValidate(def: ConfigDefinition, raw: string): ParsedValue {
  const parsed = parseValue(def.name, def.type, raw)
  if (parsed.value !== null) def.validator?.check(def.name, parsed.value, def.type)
  return parsed
}

// ----- validators (Kafka's Range, ValidString, ValidList, plus a few of our own) -----

// Bounds print as Kafka declared them (atLeast(1), between(0, 1)): integers without a ".0".
const boundText = (n: number): string => (Number.isInteger(n) ? String(n) : javaDoubleString(n))

export function atLeast(min: number): Validator {
  return {
    check(key, value, type) {
      if ((value as number) < min)
        throw invalidValue(key, valueText(type, value), `Value must be at least ${boundText(min)}`)
    },
    describe: `[${boundText(min)},...]`,
  }
}

export function between(min: number, max: number): Validator {
  return {
    check(key, value, type) {
      const n = value as number
      if (n < min) throw invalidValue(key, valueText(type, n), `Value must be at least ${boundText(min)}`)
      if (n > max) throw invalidValue(key, valueText(type, n), `Value must be no more than ${boundText(max)}`)
    },
    describe: `[${boundText(min)},...,${boundText(max)}]`,
  }
}

export function oneOf(...allowed: string[]): Validator {
  return {
    check(key, value) {
      if (!allowed.includes(value as string))
        throw invalidValue(key, value, `String must be one of: ${allowed.join(', ')}`)
    },
    describe: `[${allowed.join(', ')}]`,
  }
}

/** Every list element must be one of `allowed` (Kafka's ValidList: the message names the element). */
export function listOf(...allowed: string[]): Validator {
  return {
    check(key, value) {
      for (const item of value as readonly string[]) {
        if (!allowed.includes(item))
          throw invalidValue(key, item, `String must be one of: ${allowed.join(', ')}`)
      }
    },
    describe: `[${allowed.join(', ')}]`,
  }
}

/** Like listOf, and the list may not be empty (Samsa has no "neither" for cleanup.policy). */
export function nonEmptyListOf(...allowed: string[]): Validator {
  const each = listOf(...allowed)
  return {
    check(key, value, type) {
      if ((value as readonly string[]).length === 0)
        throw invalidValue(key, '', `Value must contain at least one of: ${allowed.join(', ')}`)
      each.check(key, value, type)
    },
    describe: each.describe,
  }
}

/** A custom rule: `test` returns a reason when the value is refused. */
export function rule(describe: string, test: (value: ConfigValue) => string | null): Validator {
  return {
    check(key, value) {
      const reason = test(value)
      if (reason !== null) throw invalidValue(key, Array.isArray(value) ? value.join(',') : value, reason)
    },
    describe,
  }
}
