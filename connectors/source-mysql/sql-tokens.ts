/**
 * A tokenizer for MySQL/MariaDB DDL as it appears in binlog query events: identifiers
 * (plain or back-quoted), string literals, numbers and punctuation, with comments
 * dropped. Versioned comments (`/*!50100 ... *\/`) keep their content, as the server does.
 */
export type TokenKind = 'word' | 'quoted' | 'string' | 'number' | 'punct';

export interface Token {
  readonly kind: TokenKind;
  /** Words keep their spelling; quoted identifiers and strings are unquoted. */
  readonly text: string;
}

export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i]!;
    if (/\s/.test(ch)) {
      i++;
    } else if (ch === '-' && sql[i + 1] === '-' && /\s|$/.test(sql[i + 2] ?? '')) {
      i = endOfLine(sql, i);
    } else if (ch === '#') {
      i = endOfLine(sql, i);
    } else if (ch === '/' && sql[i + 1] === '*') {
      if (sql[i + 2] === '!') {
        // Versioned comment: its body is SQL the server executed.
        i += 3;
        while (/[0-9]/.test(sql[i] ?? '')) i++;
      } else {
        const end = sql.indexOf('*/', i + 2);
        i = end < 0 ? sql.length : end + 2;
      }
    } else if (ch === '*' && sql[i + 1] === '/') {
      i += 2; // the end of a versioned comment
    } else if (ch === '`' || ch === "'" || ch === '"') {
      const [text, next] = readQuoted(sql, i, ch);
      tokens.push({ kind: ch === '`' ? 'quoted' : 'string', text });
      i = next;
    } else if (/[0-9]/.test(ch)) {
      let j = i;
      while (/[0-9.eE]/.test(sql[j] ?? '')) j++;
      if (/[A-Za-z_$]/.test(sql[j] ?? '')) {
        // Identifiers may start with digits (`1col`).
        while (/[A-Za-z0-9_$]/.test(sql[j] ?? '')) j++;
        tokens.push({ kind: 'word', text: sql.slice(i, j) });
      } else {
        tokens.push({ kind: 'number', text: sql.slice(i, j) });
      }
      i = j;
    } else if (/[A-Za-z_$\u0080-\uffff]/.test(ch)) {
      let j = i;
      while (/[A-Za-z0-9_$\u0080-\uffff]/.test(sql[j] ?? '')) j++;
      tokens.push({ kind: 'word', text: sql.slice(i, j) });
      i = j;
    } else {
      tokens.push({ kind: 'punct', text: ch });
      i++;
    }
  }
  return tokens;
}

function endOfLine(sql: string, from: number): number {
  const end = sql.indexOf('\n', from);
  return end < 0 ? sql.length : end + 1;
}

function readQuoted(sql: string, start: number, quote: string): [string, number] {
  let text = '';
  let i = start + 1;
  while (i < sql.length) {
    const ch = sql[i]!;
    if (ch === quote) {
      if (sql[i + 1] === quote) {
        text += quote;
        i += 2;
        continue;
      }
      return [text, i + 1];
    }
    if (ch === '\\' && quote !== '`' && i + 1 < sql.length) {
      text += unescape(sql[i + 1]!);
      i += 2;
      continue;
    }
    text += ch;
    i++;
  }
  return [text, i];
}

function unescape(ch: string): string {
  switch (ch) {
    case 'n':
      return '\n';
    case 't':
      return '\t';
    case 'r':
      return '\r';
    case '0':
      return '\0';
    default:
      return ch;
  }
}

/** A cursor over tokens with the look-ahead the DDL parser needs. */
export class TokenCursor {
  private index = 0;

  constructor(private readonly tokens: readonly Token[]) {}

  get done(): boolean {
    return this.index >= this.tokens.length;
  }

  peek(offset = 0): Token | undefined {
    return this.tokens[this.index + offset];
  }

  next(): Token | undefined {
    return this.tokens[this.index++];
  }

  /** True (and consumed) when the next tokens are these keywords, case-insensitively. */
  accept(...words: string[]): boolean {
    for (const [offset, word] of words.entries()) {
      const token = this.peek(offset);
      if (!token || token.kind !== 'word' || token.text.toUpperCase() !== word) return false;
    }
    this.index += words.length;
    return true;
  }

  acceptPunct(punct: string): boolean {
    const token = this.peek();
    if (token?.kind === 'punct' && token.text === punct) {
      this.index++;
      return true;
    }
    return false;
  }

  isPunct(punct: string, offset = 0): boolean {
    const token = this.peek(offset);
    return token?.kind === 'punct' && token.text === punct;
  }

  /** An identifier: a word or a back-quoted name. */
  identifier(): string | undefined {
    const token = this.peek();
    if (token && (token.kind === 'word' || token.kind === 'quoted' || token.kind === 'string')) {
      this.index++;
      return token.text;
    }
    return undefined;
  }

  /** Skips one balanced parenthesised group, returning its tokens without the outer pair. */
  group(): Token[] {
    const tokens: Token[] = [];
    if (!this.acceptPunct('(')) return tokens;
    let depth = 1;
    while (!this.done) {
      const token = this.next()!;
      if (token.kind === 'punct' && token.text === '(') depth++;
      if (token.kind === 'punct' && token.text === ')' && --depth === 0) break;
      tokens.push(token);
    }
    return tokens;
  }

  /** Skips to the next top-level comma or closing parenthesis (not consumed). */
  skipToSeparator(): void {
    let depth = 0;
    while (!this.done) {
      const token = this.peek()!;
      if (token.kind === 'punct') {
        if (token.text === '(') depth++;
        if (token.text === ')') {
          if (depth === 0) return;
          depth--;
        }
        if (token.text === ',' && depth === 0) return;
      }
      this.index++;
    }
  }
}
