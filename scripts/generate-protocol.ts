// Generates src/protocol/generated/ from Kafka's JSON message schemas.
//
//   node scripts/generate-protocol.ts [schemaDir] [outDir]
//
// schemaDir defaults to ../shared/kafka-protocol/messages (relative to the repository root); its
// sibling folders group-coordinator/, transaction-coordinator/, storage/ and ERRORS.md are read
// too. outDir defaults to src/protocol/generated. Stale generated files (ones carrying the
// generated header) are removed; other files in outDir are left alone.

import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { GENERATED_MARK } from './codegen/emit-file.ts'
import { generate } from './codegen/generate.ts'

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..')
export const DEFAULT_SCHEMA_DIR = resolve(repoRoot, '../shared/kafka-protocol/messages')
export const DEFAULT_OUT_DIR = resolve(repoRoot, 'src/protocol/generated')

function listFiles(dir: string, base = dir): string[] {
  if (!existsSync(dir)) return []
  const out: string[] = []
  for (const name of readdirSync(dir)) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) out.push(...listFiles(p, base))
    else out.push(relative(base, p))
  }
  return out
}

export function writeGenerated(files: Map<string, string>, outDir: string): void {
  for (const rel of listFiles(outDir)) {
    if (files.has(rel) || !rel.endsWith('.ts')) continue
    const p = join(outDir, rel)
    if (readFileSync(p, 'utf8').startsWith(GENERATED_MARK)) rmSync(p)
  }
  for (const [rel, text] of files) {
    const p = join(outDir, rel)
    mkdirSync(dirname(p), { recursive: true })
    if (existsSync(p) && readFileSync(p, 'utf8') === text) continue
    writeFileSync(p, text)
  }
}

if (import.meta.main) {
  const schemaDir = resolve(process.argv[2] ?? DEFAULT_SCHEMA_DIR)
  const outDir = resolve(process.argv[3] ?? DEFAULT_OUT_DIR)
  if (!existsSync(schemaDir)) {
    console.error(`generate: schema folder ${schemaDir} not found`)
    process.exit(1)
  }
  const files = generate(schemaDir)
  writeGenerated(files, outDir)
  console.log(`generate: wrote ${files.size} files to ${relative(process.cwd(), outDir) || '.'}`)
}
