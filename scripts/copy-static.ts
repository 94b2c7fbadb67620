// Copies the web console's static files (HTML, CSS, ES modules) next to the compiled console in
// dist/, so an installed package serves the console: tsc compiles only .ts files.
// Usage: node scripts/copy-static.ts   (run by `npm run build`)

import { cpSync } from 'node:fs'
import { join } from 'node:path'

const root = join(import.meta.dirname, '..')
const rel = join('observability', 'console', 'static')
cpSync(join(root, 'src', rel), join(root, 'dist', rel), { recursive: true })
console.log(`copied src/${rel} to dist/${rel}`)
