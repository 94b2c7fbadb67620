// Applying the changes of AlterConfigs and IncrementalAlterConfigs to a stored set of overrides.
// IncrementalAlterConfigs ops (wire ids): SET 0, DELETE 1, APPEND 2, SUBTRACT 3. APPEND and SUBTRACT
// work on LIST configs only: APPEND adds the missing items to the current list (the override, else
// the default), SUBTRACT removes items from the override. Validation of the resulting values is the
// caller's next step (validateTopicConfigs / validateBrokerConfigUpdate).

import type { ConfigDefinition } from './config-def.ts'

export const AlterConfigOp = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const
export type AlterConfigOp = (typeof AlterConfigOp)[keyof typeof AlterConfigOp]

export interface ConfigOp {
  readonly name: string
  readonly op: number
  readonly value: string | null
}

/** Kafka error codes used here (values of protocol/generated/error-codes.ts). */
const INVALID_CONFIG = 40
const INVALID_REQUEST = 42

export type ApplyResult =
  | { readonly ok: true; readonly configs: Map<string, string> }
  | { readonly ok: false; readonly errorCode: number; readonly message: string }

const items = (s: string): string[] =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '')

export function applyConfigOps(
  current: ReadonlyMap<string, string>,
  ops: readonly ConfigOp[],
  definitionOf: (name: string) => ConfigDefinition | undefined,
): ApplyResult {
  const names = ops.map((o) => o.name)
  if (new Set(names).size !== names.length)
    return { ok: false, errorCode: INVALID_REQUEST, message: 'Error due to duplicate config keys' }
  const nullValued = ops.filter((o) => o.op !== AlterConfigOp.DELETE && o.value === null).map((o) => o.name)
  if (nullValued.length > 0)
    return {
      ok: false,
      errorCode: INVALID_REQUEST,
      message: `Null value not supported for : ${nullValued.join(',')}`,
    }
  const next = new Map(current)
  for (const { name, op, value } of ops) {
    const def = definitionOf(name)
    switch (op) {
      case AlterConfigOp.SET:
        next.set(name, value!)
        break
      case AlterConfigOp.DELETE:
        next.delete(name)
        break
      case AlterConfigOp.APPEND:
      case AlterConfigOp.SUBTRACT: {
        const verb = op === AlterConfigOp.APPEND ? 'append' : 'subtract'
        if (def === undefined || def.type !== 'list')
          return {
            ok: false,
            errorCode: INVALID_CONFIG,
            message: `Config value ${verb} is not allowed for config key: ${name}`,
          }
        if (op === AlterConfigOp.APPEND) {
          const old = items(next.get(name) ?? def.default.text ?? '')
          next.set(name, [...old, ...items(value!).filter((v) => !old.includes(v))].join(','))
        } else {
          const drop = new Set(items(value!))
          next.set(
            name,
            items(next.get(name) ?? '')
              .filter((v) => !drop.has(v))
              .join(','),
          )
        }
        break
      }
      default:
        return { ok: false, errorCode: INVALID_REQUEST, message: `Unknown operations type ${op}` }
    }
  }
  return { ok: true, configs: next }
}
