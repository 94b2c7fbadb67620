#!/usr/bin/env node
// Entry of the `samsa` command (package.json "bin"): `samsa <tool> [options]`. Plain JavaScript so
// that a Node.js too old to run the TypeScript sources still gets a clear message.
import { enableCompileCache } from 'node:module'

const [major, minor] = process.versions.node.split('.').map(Number)
if (major < 22 || (major === 22 && minor < 12)) {
  process.stderr.write(
    `Samsa needs Node.js >= 22.12 (this is ${process.versions.node}): run 'npm ci' in the Samsa directory ` +
      'to get the pinned Node, or install a newer Node.js.\n',
  )
  process.exit(1)
}
enableCompileCache?.()
// From a checkout, run the TypeScript sources; installed as a dependency (Node does not strip types
// under node_modules), run the compiled dist/ that `npm run build` makes.
const installed = import.meta.url.includes('/node_modules/')
const { main, exitWhenFlushed } = await import(installed ? '../dist/cli/main.js' : '../src/cli/main.ts')
exitWhenFlushed(await main(process.argv.slice(2)))
