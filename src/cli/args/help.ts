// The usage text of a tool, laid out as joptsimple's built-in help formatter lays it out (what every
// Kafka tool prints for --help and after a usage error):
//
//   Option                                   Description
//   ------                                   -----------
//   --bootstrap-server <String: server to    REQUIRED: The Kafka server to connect
//     connect to>                              to.
//
// Options sorted by name; the option column is as wide as its widest entry but at most
// (80 - 2) / 2 = 39 characters, the description column takes the rest of 80; cells wrap at word
// boundaries (a long word may overflow) with continuation lines indented by two spaces; explicit
// newlines in a description start new lines; every cell is padded to its column width, so lines end
// in spaces as Kafka's do.

import type { OptionDef } from './option-parser.ts'

const OVERALL_WIDTH = 80
const SEPARATOR_WIDTH = 2
const INDENT = '  '

/** `--name <Type: described>` / `--name [Type]` / `--name`. */
export function optionDisplay(d: OptionDef): string {
  let s = `--${d.name}`
  if (d.arg !== undefined) {
    const type = d.type ?? 'String'
    const inner = d.describedAs === undefined || d.describedAs === '' ? type : `${type}: ${d.describedAs}`
    s += d.arg === 'required' ? ` <${inner}>` : ` [${inner}]`
  }
  return s
}

function descriptionDisplay(d: OptionDef): string {
  const help = d.help ?? ''
  if (d.defaultValue === undefined) return help
  return `${help} (default: ${d.defaultValue})`.trim()
}

/**
 * Splits a line into break units: leading whitespace, words with their trailing whitespace, and the
 * parts of hyphenated words (a line may break after a hyphen between letters).
 */
function units(line: string): string[] {
  return line.match(/\s+|\S*?[A-Za-z]-(?=[A-Za-z])|\S+\s*/g) ?? []
}

function wrapLine(line: string, width: number): string[] {
  const pieces: string[] = []
  let next = ''
  for (const word of units(line)) {
    if (next.length + word.length > width) {
      pieces.push(next.replace(/\s+$/, ''))
      next = INDENT + word
    } else {
      next += word
    }
  }
  if (next.length > 0) pieces.push(next)
  return pieces
}

function wrap(cell: string, width: number): string[] {
  return cell
    .trim()
    .split('\n')
    .flatMap((l) => wrapLine(l, width))
}

interface Row {
  left: string
  right: string
}

/** The option table, every line ending in '\n'. */
export function formatHelp(defs: readonly OptionDef[]): string {
  const visible = defs
    .filter((d) => !d.hidden)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  const rows: Row[] = [
    { left: 'Option', right: 'Description' },
    { left: '------', right: '-----------' },
    ...visible.map((d) => ({ left: optionDisplay(d), right: descriptionDisplay(d) })),
  ]
  const widestLeft = Math.max(...rows.map((r) => r.left.length))
  const widestRight = Math.max(...rows.map((r) => r.right.length))
  const leftWidth = Math.min(Math.floor((OVERALL_WIDTH - SEPARATOR_WIDTH) / 2), widestLeft)
  const rightWidth = Math.min(OVERALL_WIDTH - leftWidth - SEPARATOR_WIDTH, widestRight)

  const fitted: Row[] = []
  for (const r of rows) {
    const l = wrap(r.left, leftWidth)
    const d = wrap(r.right, rightWidth)
    for (let i = 0; i < Math.max(l.length, d.length); i++)
      fitted.push({ left: l[i] ?? '', right: d[i] ?? '' })
  }
  // After fitting, joptsimple sizes the columns again from the fitted cells.
  const lw = Math.min(
    Math.floor((OVERALL_WIDTH - SEPARATOR_WIDTH) / 2),
    Math.max(...fitted.map((r) => r.left.length)),
  )
  const rw = Math.min(OVERALL_WIDTH - lw - SEPARATOR_WIDTH, Math.max(...fitted.map((r) => r.right.length)))
  let out = ''
  for (const r of fitted) {
    out += `${r.left.padEnd(lw)}${' '.repeat(SEPARATOR_WIDTH)}${r.right.padEnd(rw)}\n`
  }
  return out
}
