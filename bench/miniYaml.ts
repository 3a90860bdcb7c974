/**
 * A small, dependency-free reader for the plain block-style YAML subset `serverless.yml` uses in the
 * parts the benchmark needs (`custom.esbuild`, `provider.runtime`): nested maps, block sequences,
 * flow sequences of scalars (`[]`, `[a, b]`), empty flow maps (`{}`), plain / single- / double-quoted
 * scalars, booleans, numbers, null and comments. Anything else (anchors, tags, multi-line scalars)
 * inside the block that is read is refused with the line number, so a setting is never misread.
 *
 * The whole file is NOT parsed (it uses CloudFormation tags such as `!Ref`): only the subtree at
 * the requested key path is.
 */

/** A YAML value of the supported subset. */
export type YamlValue =
  | string
  | number
  | boolean
  | null
  | YamlValue[]
  | { [key: string]: YamlValue };

interface Line {
  /** 1-based line number in the file. */
  number: number;
  indent: number;
  /** The content without indentation and without a trailing comment. */
  text: string;
}

/** Thrown for YAML the reader does not support, or a key path that is not in the file. */
export class MiniYamlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MiniYamlError';
  }
}

/** Removes a trailing `# comment` that is outside quotes. */
const stripComment = (text: string): string => {
  let quote: '"' | "'" | undefined;
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index];
    if (quote === undefined) {
      if (char === '"' || char === "'") quote = char;
      else if (char === '#' && (index === 0 || /\s/.test(text[index - 1] ?? ''))) {
        return text.slice(0, index).trimEnd();
      }
    } else if (char === '\\' && quote === '"') {
      index += 1;
    } else if (char === quote) {
      quote = undefined;
    }
  }
  return text.trimEnd();
};

const toLines = (source: string): Line[] =>
  source.split(/\r?\n/).flatMap((raw, index) => {
    if (raw.includes('\t') && /^\s*\t/.test(raw)) {
      throw new MiniYamlError(`line ${index + 1}: tabs are not valid YAML indentation`);
    }
    const text = stripComment(raw.trim());
    if (text === '' || text === '---') return [];
    return [{ number: index + 1, indent: raw.length - raw.trimStart().length, text }];
  });

/** Splits `key: value` (value may be empty); undefined when the line is not a mapping entry. */
const splitKey = (text: string): { key: string; rest: string } | undefined => {
  const match = /^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s"'#][^:]*?)\s*:(?:\s+(.*)|$)/.exec(text);
  if (!match) return undefined;
  const rawKey = match[1] ?? '';
  const key = rawKey.startsWith('"') || rawKey.startsWith("'") ? parseQuoted(rawKey, 0) : rawKey;
  return { key, rest: (match[2] ?? '').trim() };
};

const parseQuoted = (text: string, lineNumber: number): string => {
  if (text.startsWith("'")) {
    if (!text.endsWith("'") || text.length < 2) {
      throw new MiniYamlError(`line ${lineNumber}: unterminated single-quoted scalar`);
    }
    return text.slice(1, -1).replaceAll("''", "'");
  }
  try {
    return JSON.parse(text) as string;
  } catch {
    throw new MiniYamlError(`line ${lineNumber}: unsupported double-quoted scalar ${text}`);
  }
};

/** A scalar, or a flow sequence of scalars, or an empty flow map. */
const parseScalar = (text: string, lineNumber: number): YamlValue => {
  if (text.startsWith('"') || text.startsWith("'")) return parseQuoted(text, lineNumber);
  if (/^[&*!|>]/.test(text)) {
    throw new MiniYamlError(
      `line ${lineNumber}: anchors, tags and block scalars are not supported`
    );
  }
  if (text === '{}') return {};
  if (text.startsWith('{')) {
    throw new MiniYamlError(`line ${lineNumber}: flow maps are not supported`);
  }
  if (text.startsWith('[')) {
    if (!text.endsWith(']')) throw new MiniYamlError(`line ${lineNumber}: unterminated [ ]`);
    const inner = text.slice(1, -1).trim();
    if (inner === '') return [];
    if (/[[\]{}]/.test(inner)) {
      throw new MiniYamlError(`line ${lineNumber}: nested flow collections are not supported`);
    }
    return inner.split(',').map((item) => parseScalar(item.trim(), lineNumber));
  }
  if (text === 'true' || text === 'false') return text === 'true';
  if (text === 'null' || text === '~') return null;
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  return text;
};

/** Parses the lines of one block (all at `indent` or deeper) into a value. */
const parseBlock = (lines: Line[], start: number, indent: number): [YamlValue, number] => {
  const first = lines[start];
  if (first === undefined || first.indent < indent) return [null, start];
  if (first.text === '-' || first.text.startsWith('- ')) {
    const items: YamlValue[] = [];
    let index = start;
    while (index < lines.length) {
      const line = lines[index] as Line;
      if (line.indent < first.indent) break;
      const isItem = line.text === '-' || line.text.startsWith('- ');
      // A sequence written at its key's indentation ends at the next key.
      if (line.indent === first.indent && !isItem) break;
      if (line.indent > first.indent) {
        throw new MiniYamlError(`line ${line.number}: unexpected content in a sequence`);
      }
      const rest = line.text.slice(1).trim();
      if (rest === '') {
        const [value, next] = parseBlock(lines, index + 1, first.indent + 1);
        items.push(value);
        index = next;
      } else if (splitKey(rest) !== undefined && !/^["']/.test(rest)) {
        throw new MiniYamlError(`line ${line.number}: maps inside sequences are not supported`);
      } else {
        items.push(parseScalar(rest, line.number));
        index += 1;
      }
    }
    return [items, index];
  }
  const map: Record<string, YamlValue> = {};
  let index = start;
  while (index < lines.length) {
    const line = lines[index] as Line;
    if (line.indent < first.indent) break;
    if (line.indent > first.indent) {
      throw new MiniYamlError(`line ${line.number}: unexpected indentation`);
    }
    const entry = splitKey(line.text);
    if (entry === undefined) throw new MiniYamlError(`line ${line.number}: expected "key: value"`);
    if (Object.hasOwn(map, entry.key)) {
      throw new MiniYamlError(`line ${line.number}: duplicate key ${entry.key}`);
    }
    if (entry.rest === '') {
      const next = lines[index + 1];
      // A block sequence may sit at the same indentation as its key.
      const childIndent =
        next !== undefined &&
        (next.indent > line.indent ||
          (next.indent === line.indent && (next.text === '-' || next.text.startsWith('- '))))
          ? next.indent
          : Number.POSITIVE_INFINITY;
      const [value, after] = parseBlock(lines, index + 1, childIndent);
      map[entry.key] = value;
      index = after;
    } else {
      map[entry.key] = parseScalar(entry.rest, line.number);
      index += 1;
    }
  }
  return [map, index];
};

/**
 * Reads the value at `path` (e.g. `['custom', 'esbuild']`) of a block-style YAML document, parsing
 * only that subtree.
 *
 * @throws MiniYamlError when the path is missing or the subtree uses unsupported YAML
 */
export const readYamlPath = (source: string, path: readonly string[]): YamlValue => {
  const lines = toLines(source);
  let index = 0;
  let indent = 0;
  let parentIndent = -1;
  for (const [depth, key] of path.entries()) {
    let found = -1;
    for (let cursor = index; cursor < lines.length; cursor += 1) {
      const line = lines[cursor] as Line;
      if (line.indent <= parentIndent) break;
      if (depth === 0 && line.indent !== 0) continue;
      if (depth > 0 && line.indent !== indent) continue;
      if (splitKey(line.text)?.key === key) {
        found = cursor;
        break;
      }
    }
    if (found < 0) throw new MiniYamlError(`${path.slice(0, depth + 1).join('.')} not found`);
    const line = lines[found] as Line;
    const entry = splitKey(line.text) as { key: string; rest: string };
    if (depth === path.length - 1) {
      if (entry.rest !== '') return parseScalar(entry.rest, line.number);
      const next = lines[found + 1];
      if (next === undefined || next.indent <= line.indent) return null;
      return parseBlock(lines, found + 1, next.indent)[0];
    }
    if (entry.rest !== '') throw new MiniYamlError(`${key} (line ${line.number}) is not a map`);
    const next = lines[found + 1];
    if (next === undefined || next.indent <= line.indent) {
      throw new MiniYamlError(`${path.slice(0, depth + 2).join('.')} not found`);
    }
    parentIndent = line.indent;
    indent = next.indent;
    index = found + 1;
  }
  throw new MiniYamlError('empty path');
};
