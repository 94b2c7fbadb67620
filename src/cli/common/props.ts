// Properties files (--command-config, --producer.config, ...) and `key=value` arguments
// (--property, --producer-property, ...), read as Kafka's tools read them.

import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { parseProperties, propertiesToMap } from '../../config/properties.ts'
import { failExit } from './exit.ts'

/** Reads a .properties file; a missing or unreadable file ends the tool with one line. */
export function loadProps(path: string, cwd = '.'): Map<string, string> {
  let text: string
  try {
    text = readFileSync(resolve(cwd, path), 'utf8')
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    failExit(
      `${path} (${code === 'ENOENT' ? 'No such file or directory' : code === 'EACCES' ? 'Permission denied' : (e as Error).message})`,
    )
  }
  try {
    return propertiesToMap(parseProperties(text))
  } catch (e) {
    failExit(`${path}: ${(e as Error).message}`)
  }
}

/**
 * Kafka's CommandLineUtils.parseKeyValueArgs: each argument split at its first '='; a missing or
 * empty value is the empty string. Later arguments override earlier ones.
 */
export function parseKeyValueArgs(args: readonly string[]): Map<string, string> {
  const props = new Map<string, string>()
  for (const arg of args) {
    const eq = arg.indexOf('=')
    if (eq === -1) props.set(arg, '')
    else props.set(arg.slice(0, eq), arg.slice(eq + 1))
  }
  return props
}

/** Java's Boolean parse as Kafka's tools use it: "true" in any case, trimmed. */
export function isTrue(v: string | undefined): boolean {
  return v !== undefined && v.trim().toLowerCase() === 'true'
}

/** Java's String.split: like JavaScript's, but trailing empty strings are dropped. */
export function javaSplit(text: string, separator: RegExp | string): string[] {
  const parts = text.split(separator)
  while (parts.length > 1 && parts[parts.length - 1] === '') parts.pop()
  if (parts.length === 1 && parts[0] === '' && text !== '') return []
  return parts
}
