// A tiny line buffer with indentation for emitting TypeScript.

export class Code {
  private readonly lines: string[] = []
  private depth = 0

  line(s = ''): this {
    this.lines.push(s === '' ? '' : '  '.repeat(this.depth) + s)
    return this
  }

  /** Writes `head {` and indents. */
  open(head: string): this {
    this.line(head === '' ? '{' : `${head} {`)
    this.depth++
    return this
  }

  /** Closes the current block and opens the next on the same line: `} else {`. */
  reopen(head: string): this {
    this.depth--
    this.line(`} ${head} {`)
    this.depth++
    return this
  }

  /** Writes `head` as is (it ends with an opening bracket) and indents. */
  openRaw(head: string): this {
    this.line(head)
    this.depth++
    return this
  }

  /** Dedents and writes `tail` (default `}`). */
  close(tail = '}'): this {
    this.depth--
    this.line(tail)
    return this
  }

  /** Writes a JSDoc comment (wrapped at ~100 columns), or nothing when `text` is empty. */
  doc(text: string): this {
    const words = text.replace(/\*\//g, '* /').split(/\s+/).filter(Boolean)
    if (words.length === 0) return this
    const width = 100 - this.depth * 2
    const out: string[] = []
    let cur = ''
    for (const w of words) {
      if (cur !== '' && cur.length + 1 + w.length > width) {
        out.push(cur)
        cur = w
      } else cur = cur === '' ? w : `${cur} ${w}`
    }
    if (cur !== '') out.push(cur)
    if (out.length === 1) return this.line(`/** ${out[0]} */`)
    this.line('/**')
    for (const l of out) this.line(` * ${l}`)
    return this.line(' */')
  }

  isEmpty(): boolean {
    return this.lines.length === 0
  }

  /** Appends another builder's lines at the current indentation. */
  append(other: Code): this {
    for (const l of other.lines) this.lines.push(l === '' ? '' : '  '.repeat(this.depth) + l)
    return this
  }

  toString(): string {
    return `${this.lines.join('\n')}\n`
  }
}

/**
 * Removes a bare `{ ... }` block that is the only statement of its enclosing block (emitters open
 * one per array so their temporaries stay local; inside an `if` of its own it is just noise).
 */
export function removeRedundantBlocks(text: string): string {
  const lines = text.split('\n')
  const indentOf = (l: string) => l.length - l.trimStart().length
  for (let i = 0; i + 1 < lines.length; i++) {
    const outer = lines[i]
    if (!outer.endsWith('{') || outer.trim() === '{') continue
    const ind = indentOf(outer)
    if (lines[i + 1] !== `${' '.repeat(ind + 2)}{`) continue
    const close = `${' '.repeat(ind + 2)}}`
    let j = i + 2
    while (j < lines.length && !(lines[j] === close)) j++
    if (j + 1 >= lines.length || lines[j + 1] !== `${' '.repeat(ind)}}`) continue
    const inner = lines.slice(i + 2, j).map((l) => (l === '' ? l : l.slice(2)))
    lines.splice(i + 1, j - i, ...inner)
  }
  return lines.join('\n')
}
