import { ConfigError, DataError } from '../../runtime/plugin/index.js';
import { placeholderProblem, resolvePlaceholder, type RecordContext } from './record-context.js';

/**
 * The row filter of a mapping rule: a small expression language, parsed once into a
 * tree and evaluated per row — no eval, no Function.
 *
 *   expr       := or
 *   or         := and ('or' and)*
 *   and        := not ('and' not)*
 *   not        := 'not' not | comparison
 *   comparison := operand [ ('=' | '!=' | '<>' | '<' | '<=' | '>' | '>=') operand
 *                         | 'is' ['not'] 'null' | ['not'] 'in' '(' operand (',' operand)* ')' ]
 *   operand    := number | 'text' | true | false | null | column | "quoted column"
 *               | ${placeholder} | '(' expr ')'
 *
 * Columns are the row's source field names (the row after the change; before it for
 * deletes). Logic is SQL's three-valued logic: a comparison with null is unknown, and a
 * row passes only when the whole filter is true.
 */
type Node =
  | { kind: 'literal'; value: unknown }
  | { kind: 'column'; name: string }
  | { kind: 'placeholder'; name: string }
  | { kind: 'not'; operand: Node }
  | { kind: 'logic'; op: 'and' | 'or'; left: Node; right: Node }
  | { kind: 'compare'; op: CompareOp; left: Node; right: Node }
  | { kind: 'isNull'; operand: Node; negate: boolean }
  | { kind: 'in'; operand: Node; list: readonly Node[]; negate: boolean };

type CompareOp = '=' | '!=' | '<' | '<=' | '>' | '>=';

interface Token {
  readonly type: 'number' | 'string' | 'word' | 'quoted' | 'placeholder' | 'symbol' | 'end';
  readonly text: string;
  readonly position: number;
}

/** A `filter` of a mapping rule that does not parse. */
export class FilterSyntaxError extends ConfigError {
  override readonly name: string = 'FilterSyntaxError';

  constructor(message: string) {
    super('mappings', message);
  }
}

export class RowFilter {
  private constructor(
    private readonly root: Node,
    readonly source: string,
  ) {}

  static parse(source: string): RowFilter {
    return new RowFilter(new Parser(source).parseAll(), source);
  }

  /** True when the row passes; throws when values cannot be compared (a bad record). */
  matches(row: Readonly<Record<string, unknown>>, context: RecordContext): boolean {
    return evaluate(this.root, row, context) === true;
  }
}

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const fail = (message: string): never => {
    throw new FilterSyntaxError(`${message} at position ${i + 1} of "${source}"`);
  };
  while (i < source.length) {
    const char = source[i] ?? '';
    if (/\s/.test(char)) {
      i++;
      continue;
    }
    const start = i;
    if (char === "'" || char === '"') {
      let text = '';
      i++;
      for (;;) {
        if (i >= source.length) fail(`unterminated ${char === "'" ? 'string' : 'quoted column'}`);
        if (source[i] === char) {
          if (source[i + 1] === char) {
            text += char;
            i += 2;
            continue;
          }
          i++;
          break;
        }
        text += source[i++];
      }
      tokens.push({ type: char === "'" ? 'string' : 'quoted', text, position: start });
    } else if (char === '$' && source[i + 1] === '{') {
      const end = source.indexOf('}', i);
      if (end < 0) fail('unterminated ${');
      tokens.push({ type: 'placeholder', text: source.slice(i + 2, end).trim(), position: start });
      i = end + 1;
    } else if (/[0-9]/.test(char) || (char === '-' && /[0-9]/.test(source[i + 1] ?? ''))) {
      const match = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(source.slice(i));
      tokens.push({ type: 'number', text: match?.[0] ?? '', position: start });
      i += match?.[0].length ?? 1;
    } else if (/[A-Za-z_]/.test(char)) {
      const match = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(i));
      tokens.push({ type: 'word', text: match?.[0] ?? '', position: start });
      i += match?.[0].length ?? 1;
    } else {
      const two = source.slice(i, i + 2);
      if (['!=', '<>', '<=', '>='].includes(two)) {
        tokens.push({ type: 'symbol', text: two, position: start });
        i += 2;
      } else if ('=<>(),'.includes(char)) {
        tokens.push({ type: 'symbol', text: char, position: start });
        i++;
      } else {
        fail(`unexpected character "${char}"`);
      }
    }
  }
  tokens.push({ type: 'end', text: '', position: source.length });
  return tokens;
}

const KEYWORDS = new Set(['and', 'or', 'not', 'is', 'null', 'in', 'true', 'false']);

class Parser {
  private readonly tokens: Token[];
  private index = 0;

  constructor(private readonly source: string) {
    this.tokens = tokenize(source);
  }

  parseAll(): Node {
    if (this.peek().type === 'end')
      throw new FilterSyntaxError("the filter is empty; write e.g. status = 'active'");
    const node = this.parseOr();
    if (this.peek().type !== 'end') this.fail(`unexpected "${this.peek().text}"`);
    return node;
  }

  private peek(): Token {
    return this.tokens[this.index] ?? { type: 'end', text: '', position: this.source.length };
  }

  private next(): Token {
    const token = this.peek();
    this.index++;
    return token;
  }

  private isWord(word: string): boolean {
    const token = this.peek();
    return token.type === 'word' && token.text.toLowerCase() === word;
  }

  private isSymbol(symbol: string): boolean {
    const token = this.peek();
    return token.type === 'symbol' && token.text === symbol;
  }

  private fail(message: string): never {
    throw new FilterSyntaxError(`${message} at position ${this.peek().position + 1} of "${this.source}"`);
  }

  private expectSymbol(symbol: string): void {
    if (!this.isSymbol(symbol)) this.fail(`expected "${symbol}"`);
    this.index++;
  }

  private parseOr(): Node {
    let left = this.parseAnd();
    while (this.isWord('or')) {
      this.index++;
      left = { kind: 'logic', op: 'or', left, right: this.parseAnd() };
    }
    return left;
  }

  private parseAnd(): Node {
    let left = this.parseNot();
    while (this.isWord('and')) {
      this.index++;
      left = { kind: 'logic', op: 'and', left, right: this.parseNot() };
    }
    return left;
  }

  private parseNot(): Node {
    if (this.isWord('not')) {
      this.index++;
      return { kind: 'not', operand: this.parseNot() };
    }
    return this.parseComparison();
  }

  private parseComparison(): Node {
    const left = this.parseOperand();
    const token = this.peek();
    if (token.type === 'symbol' && ['=', '!=', '<>', '<', '<=', '>', '>='].includes(token.text)) {
      this.index++;
      const op = (token.text === '<>' ? '!=' : token.text) as CompareOp;
      return { kind: 'compare', op, left, right: this.parseOperand() };
    }
    if (this.isWord('is')) {
      this.index++;
      const negate = this.isWord('not');
      if (negate) this.index++;
      if (!this.isWord('null')) this.fail('expected "null" after "is"');
      this.index++;
      return { kind: 'isNull', operand: left, negate };
    }
    const negate = this.isWord('not');
    if (negate) this.index++;
    if (this.isWord('in')) {
      this.index++;
      this.expectSymbol('(');
      const list: Node[] = [this.parseOperand()];
      while (this.isSymbol(',')) {
        this.index++;
        list.push(this.parseOperand());
      }
      this.expectSymbol(')');
      return { kind: 'in', operand: left, list, negate };
    }
    if (negate) this.fail('expected "in" after "not"');
    return left;
  }

  private parseOperand(): Node {
    const token = this.next();
    switch (token.type) {
      case 'number':
        return {
          kind: 'literal',
          value: /^-?\d+$/.test(token.text) ? BigInt(token.text) : Number(token.text),
        };
      case 'string':
        return { kind: 'literal', value: token.text };
      case 'quoted':
        return { kind: 'column', name: token.text };
      case 'placeholder': {
        const problem = placeholderProblem(token.text);
        if (problem) {
          this.index--;
          this.fail(problem);
        }
        return { kind: 'placeholder', name: token.text };
      }
      case 'word': {
        const word = token.text.toLowerCase();
        if (word === 'true' || word === 'false') return { kind: 'literal', value: word === 'true' };
        if (word === 'null') return { kind: 'literal', value: null };
        if (KEYWORDS.has(word)) {
          this.index--;
          this.fail(`expected a value or column, found "${token.text}"`);
        }
        return { kind: 'column', name: token.text };
      }
      case 'symbol':
        if (token.text === '(') {
          const inner = this.parseOr();
          this.expectSymbol(')');
          return inner;
        }
        this.index--;
        return this.fail(`unexpected "${token.text}"`);
      case 'end':
        this.index--;
        return this.fail('the filter ends too early');
    }
  }
}

/** true, false or null (unknown). */
type Truth = boolean | null;

function evaluate(node: Node, row: Readonly<Record<string, unknown>>, context: RecordContext): Truth {
  switch (node.kind) {
    case 'not': {
      const value = evaluate(node.operand, row, context);
      return value === null ? null : !value;
    }
    case 'logic': {
      const left = evaluate(node.left, row, context);
      if (node.op === 'and' && left === false) return false;
      if (node.op === 'or' && left === true) return true;
      const right = evaluate(node.right, row, context);
      if (node.op === 'and') return right === false ? false : left === null || right === null ? null : true;
      return right === true ? true : left === null || right === null ? null : false;
    }
    case 'compare': {
      const order = compare(value(node.left, row, context), value(node.right, row, context));
      if (order === null) return null;
      switch (node.op) {
        case '=':
          return order === 0;
        case '!=':
          return order !== 0;
        case '<':
          return order < 0;
        case '<=':
          return order <= 0;
        case '>':
          return order > 0;
        case '>=':
          return order >= 0;
      }
      break;
    }
    case 'isNull': {
      const isNull = value(node.operand, row, context) === null;
      return node.negate ? !isNull : isNull;
    }
    case 'in': {
      const operand = value(node.operand, row, context);
      let sawNull = false;
      for (const item of node.list) {
        const order = compare(operand, value(item, row, context));
        if (order === 0) return !node.negate;
        if (order === null) sawNull = true;
      }
      return sawNull ? null : node.negate;
    }
    default: {
      const result = value(node, row, context);
      if (result === null || typeof result === 'boolean') return result;
      throw new DataError(
        `the filter uses ${describeNode(node)} as a condition, but its value ${String(result)} is not a boolean`,
      );
    }
  }
}

function value(node: Node, row: Readonly<Record<string, unknown>>, context: RecordContext): unknown {
  switch (node.kind) {
    case 'literal':
      return node.value;
    case 'column':
      if (!Object.hasOwn(row, node.name))
        throw new DataError(`the filter names column "${node.name}", which the row does not have`);
      return row[node.name] ?? null;
    case 'placeholder':
      return resolvePlaceholder(node.name, context).value ?? null;
    default:
      return evaluate(node, row, context);
  }
}

function describeNode(node: Node): string {
  return node.kind === 'column'
    ? `column "${node.name}"`
    : node.kind === 'placeholder'
      ? `\${${node.name}}`
      : 'a value';
}

/** Negative, zero or positive; null when either side is null. Numbers compare with numeric text. */
function compare(left: unknown, right: unknown): number | null {
  if (left === null || right === null || left === undefined || right === undefined) return null;
  const leftNumber = numeric(left, right);
  const rightNumber = numeric(right, left);
  if (leftNumber !== undefined && rightNumber !== undefined) {
    if (typeof leftNumber === 'bigint' && typeof rightNumber === 'bigint') {
      return leftNumber < rightNumber ? -1 : leftNumber > rightNumber ? 1 : 0;
    }
    const a = Number(leftNumber);
    const b = Number(rightNumber);
    return a < b ? -1 : a > b ? 1 : 0;
  }
  if (typeof left === 'string' && typeof right === 'string') return left < right ? -1 : left > right ? 1 : 0;
  if (typeof left === 'boolean' && typeof right === 'boolean') return Number(left) - Number(right);
  throw new DataError(
    `the filter compares a ${kindOf(left)} (${String(left)}) with a ${kindOf(right)} (${String(right)})`,
  );
}

/** A number as bigint (integers) or number; text counts when the other side is a number. */
function numeric(value: unknown, other: unknown): bigint | number | undefined {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value) : value;
  const otherIsNumber = typeof other === 'bigint' || typeof other === 'number';
  if (typeof value === 'string' && otherIsNumber && /^\s*-?\d+(\.\d+)?\s*$/.test(value)) {
    return value.includes('.') ? Number(value) : BigInt(value.trim());
  }
  return undefined;
}

function kindOf(value: unknown): string {
  if (Buffer.isBuffer(value)) return 'bytes value';
  return typeof value === 'object' ? 'structured value' : typeof value;
}
