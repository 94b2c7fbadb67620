// Flag parsing shared by `npm run bench` and its subsuites, so a mistyped flag gets one line naming
// it (and where to look) instead of a Node stack trace, and `--help` prints the suite's usage: the
// usage lines at the top of each suite's file, so the help cannot drift from the header comment.

import { readFileSync } from 'node:fs'
import { type ParseArgsConfig, parseArgs } from 'node:util'

type Options = NonNullable<ParseArgsConfig['options']>

/** The leading `// npm run bench ...` comment lines of a bench file, continuation lines included. */
export function usageOf(file: URL): string {
  const lines: string[] = []
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.startsWith('//')) break
    const text = line.slice(2).replace(/^ /, '').trimEnd()
    if (text === '') break
    lines.push(text)
  }
  return `${lines.join('\n')}\n`
}

/**
 * parseArgs over `argv` with `--help`/`-h` added: help prints the usage of `file` and exits 0; an
 * unknown flag or a missing value prints one line and exits 2.
 */
export function benchArgs<O extends Options>(argv: string[], options: O, file: URL) {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(usageOf(file))
    process.exit(0)
  }
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values
  } catch (err) {
    process.stderr.write(`bench: ${(err as Error).message.split('\n')[0]} (--help lists the flags)\n`)
    process.exit(2)
  }
}
