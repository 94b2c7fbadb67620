// Kafka's schema files are JSON with `//` line comments (and, rarely, `/* */` blocks). This strips
// comments outside string literals and then parses with JSON.parse, so a `//` inside an "about"
// text (a URL, say) survives.

export function stripJsonComments(text: string): string {
  let out = ''
  let i = 0
  const n = text.length
  while (i < n) {
    const c = text[i]
    if (c === '"') {
      const start = i
      i++
      while (i < n && text[i] !== '"') i += text[i] === '\\' ? 2 : 1
      i++
      out += text.slice(start, i)
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < n && text[i] !== '\n') i++
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2)
      i = end < 0 ? n : end + 2
    } else {
      out += c
      i++
    }
  }
  return out
}

export function parseJsonc(text: string, file: string): unknown {
  try {
    return JSON.parse(stripJsonComments(text))
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`)
  }
}
