// The console's front-end files, served by the broker itself (no CDN, no build step): the page,
// its ES modules and stylesheet from ./static/, and uPlot's ESM build and stylesheet from the
// `uplot` package in node_modules. Read once when the console starts; only these files are
// served, so no request path ever reaches the file system.

import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, extname, join } from 'node:path'

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
}

export interface StaticFile {
  readonly body: Buffer
  readonly type: string
}

/** Where the page's files are: next to this module, or (run from a tsc build in dist/) in src/. */
function staticDir(): string | null {
  const here = join(import.meta.dirname, 'static')
  const fromDist = join(import.meta.dirname, '..', '..', '..', 'src', 'observability', 'console', 'static')
  return [here, fromDist].find((d) => existsSync(join(d, 'index.html'))) ?? null
}

/**
 * URL path → file: `/` (index.html), `/console/<file>`, `/console/vendor/uPlot.*`. Missing files
 * (a build without them, uplot not installed) leave their paths unserved (404) and are listed in
 * `missing`; the API works regardless.
 */
export function loadStaticFiles(): { files: Map<string, StaticFile>; missing: string[] } {
  const files = new Map<string, StaticFile>()
  const missing: string[] = []
  const add = (url: string, path: string) =>
    files.set(url, { body: readFileSync(path), type: TYPES[extname(path)] ?? 'application/octet-stream' })
  const dir = staticDir()
  if (dir === null) missing.push('the console page (src/observability/console/static)')
  else {
    for (const name of readdirSync(dir))
      if (TYPES[extname(name)] !== undefined) add(`/console/${name}`, join(dir, name))
    add('/', join(dir, 'index.html'))
  }
  try {
    const uplot = dirname(createRequire(import.meta.url).resolve('uplot'))
    add('/console/vendor/uPlot.esm.js', join(uplot, 'uPlot.esm.js'))
    add('/console/vendor/uPlot.min.css', join(uplot, 'uPlot.min.css'))
  } catch {
    missing.push('uPlot (npm package uplot)')
  }
  return { files, missing }
}
