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
const { main, exitWhenFlushed } = await import('../src/cli/main.ts')
exitWhenFlushed(await main(process.argv.slice(2)))
