// Fails when src/protocol/generated differs from what the schemas produce: regenerates into a
// temporary folder and compares byte for byte, listing differing, missing and extra files.
//
//   node scripts/check-generated.ts [schemaDir] [generatedDir]
//
// When the schema folder is absent (a checkout without ../shared) it says so and passes.

import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative, resolve } from 'node:path'
import { generate } from './codegen/generate.ts'
import { DEFAULT_OUT_DIR, DEFAULT_SCHEMA_DIR, writeGenerated } from './generate-protocol.ts'

function listFiles(dir: string, base = dir): string[] {
  if (!existsSync(dir)) return []
  const out: string[] = []
  for (const name of readdirSync(dir)) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) out.push(...listFiles(p, base))
    else out.push(relative(base, p))
  }
  return out.sort()
}

/** Differences between two folders: relative paths that differ, are missing from `actual`, or are extra. */
export function compareDirs(
  expected: string,
  actual: string,
): { differ: string[]; missing: string[]; extra: string[] } {
  const want = listFiles(expected)
  const have = new Set(listFiles(actual))
  const differ: string[] = []
  const missing: string[] = []
  for (const f of want) {
    if (!have.has(f)) missing.push(f)
    else if (!readFileSync(join(expected, f)).equals(readFileSync(join(actual, f)))) differ.push(f)
    have.delete(f)
  }
  return { differ, missing, extra: [...have].sort() }
}

if (import.meta.main) {
  const schemaDir = resolve(process.argv[2] ?? DEFAULT_SCHEMA_DIR)
  const genDir = resolve(process.argv[3] ?? DEFAULT_OUT_DIR)
  if (!existsSync(schemaDir)) {
    console.log(`check:generated SKIPPED: schema folder ${schemaDir} not found`)
    process.exit(0)
  }
  const tmp = mkdtempSync(join(tmpdir(), 'samsa-generated-'))
  try {
    writeGenerated(generate(schemaDir), tmp)
    const { differ, missing, extra } = compareDirs(tmp, genDir)
    if (differ.length + missing.length + extra.length === 0) {
      console.log(`check:generated OK: ${relative(process.cwd(), genDir) || '.'} matches ${schemaDir}`)
    } else {
      for (const f of differ) console.error(`differs: ${f}`)
      for (const f of missing) console.error(`missing: ${f}`)
      for (const f of extra) console.error(`extra:   ${f}`)
      console.error('check:generated FAILED: run `npm run generate` and commit the result')
      process.exitCode = 1
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true })
  }
}
