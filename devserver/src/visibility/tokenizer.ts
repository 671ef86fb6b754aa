/**
 * Lexer for the MySQL dialect of the server's SQL parser. It works on UTF-8 bytes and counts positions the
 * way that parser does (one past the character after the token), so syntax errors name the same position.
 */
import { KEYWORDS } from './keywords';

export type TokenKind =
  | 'id' // identifier or keyword (keyword set when it is one)
  | 'string'
  | 'int'
  | 'float'
  | 'hexnum' // 0x1F
  | 'hex' // x'1F'
  | 'bit' // b'101'
  | 'valueArg' // ? or :name
  | 'listArg' // ::name
  | 'op' // punctuation and operators; `value` holds the symbol
  | 'error' // a character sequence the lexer rejects
  | 'eof';

export interface Token {
  kind: TokenKind;
  /** Text: identifier as written (lowercased for keywords), decoded string content, number text, or symbol. */
  value: string;
  /** Lowercased keyword, when the token is one; `&&` and `||` are 'and' and 'or'. */
  keyword?: string;
  /** Parser position right after this token was read, as reported in syntax errors. */
  position: number;
  /** What a syntax error at this token quotes as "near '...'"; null when the parser quotes nothing. */
  near: string | null;
  /** True for `backquoted` identifiers, which are never keywords. */
  quoted?: boolean;
}

const EOF = -1;
const ch = (c: string) => c.charCodeAt(0);
const isLetter = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 64; // a-z A-Z _ @
const isDigit = (c: number) => c >= 48 && c <= 57;
const digitValue = (c: number) => {
  if (isDigit(c)) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return 16;
};
/** MySQL backslash escapes in string literals; any other escaped character stands for itself. */
const STRING_ESCAPES: Readonly<Record<number, number>> = {
  [ch('0')]: 0,
  [ch("'")]: ch("'"),
  [ch('"')]: ch('"'),
  [ch('b')]: 8,
  [ch('n')]: 10,
  [ch('r')]: 13,
  [ch('t')]: 9,
  [ch('Z')]: 26,
  [ch('\\')]: ch('\\'),
};
const KEYWORD_ALIASES: Readonly<Record<string, string>> = { rlike: 'regexp' };
const SINGLE_CHAR_OPS = new Set('=,;()+*%^~'.split('').map(ch));
const decoder = new TextDecoder('utf-8');

export class Tokenizer {
  private readonly buf: Uint8Array;
  private bufPos = 0;
  private lastChar = EOF;
  private position = 0;
  private valueArgCount = 0;

  constructor(sql: string) {
    this.buf = Buffer.from(sql, 'utf8');
    this.next();
  }

  /** The next token, skipping comments. */
  scan(): Token {
    for (;;) {
      const token = this.scanOne();
      if (token !== 'comment') return token;
    }
  }

  private next(): void {
    if (this.bufPos >= this.buf.length) {
      if (this.lastChar !== EOF) {
        this.position++;
        this.lastChar = EOF;
      }
      return;
    }
    this.position++;
    this.lastChar = this.buf[this.bufPos++];
  }

  private token(kind: TokenKind, value: string, near: string | null = value, keyword?: string): Token {
    return { kind, value, keyword, position: this.position, near };
  }

  private scanOne(): Token | 'comment' {
    while ([32, 10, 13, 9].includes(this.lastChar)) this.next();
    const c = this.lastChar;
    if (isLetter(c)) {
      this.next();
      const quote = this.lastChar === ch("'");
      if (quote && (c === ch('x') || c === ch('X'))) return this.scanQuotedDigits('hex', 16);
      if (quote && (c === ch('b') || c === ch('B'))) return this.scanQuotedDigits('bit', 2);
      return this.scanIdentifier(c);
    }
    if (isDigit(c)) return this.scanNumber(false);
    if (c === ch(':')) return this.scanBindVariable();
    this.next();
    if (c === EOF) return this.token('eof', '', null);
    if (SINGLE_CHAR_OPS.has(c)) return this.token('op', String.fromCharCode(c), null);
    switch (String.fromCharCode(c)) {
      case '&':
        return this.followedBy('&') ? this.token('op', '&&', null, 'and') : this.token('op', '&', null);
      case '|':
        return this.followedBy('|') ? this.token('op', '||', null, 'or') : this.token('op', '|', null);
      case '?':
        return this.token('valueArg', `:v${++this.valueArgCount}`);
      case '.':
        return isDigit(this.lastChar) ? this.scanNumber(true) : this.token('op', '.', null);
      case '/':
        if (this.followedBy('/')) return this.skipLineComment();
        if (this.followedBy('*')) return this.skipBlockComment();
        return this.token('op', '/', null);
      case '#':
        return this.skipLineComment();
      case '-':
        if (this.followedBy('-')) return this.skipLineComment();
        if (this.followedBy('>')) return this.token('op', this.followedBy('>') ? '->>' : '->', null);
        return this.token('op', '-', null);
      case '<':
        if (this.followedBy('>')) return this.token('op', '!=', null);
        if (this.followedBy('<')) return this.token('op', '<<', null);
        if (this.followedBy('=')) return this.token('op', this.followedBy('>') ? '<=>' : '<=', null);
        return this.token('op', '<', null);
      case '>':
        if (this.followedBy('=')) return this.token('op', '>=', null);
        if (this.followedBy('>')) return this.token('op', '>>', null);
        return this.token('op', '>', null);
      case '!':
        return this.token('op', this.followedBy('=') ? '!=' : '!', null);
      case "'":
      case '"':
        return this.scanString(c);
      case '`':
        return this.scanQuotedIdentifier();
      default:
        return this.token('error', decoder.decode(Uint8Array.of(c)));
    }
  }

  /** Consumes the current character if it is `expected`. */
  private followedBy(expected: string): boolean {
    if (this.lastChar !== ch(expected)) return false;
    this.next();
    return true;
  }

  private scanIdentifier(first: number): Token {
    const bytes = [first];
    const systemVariable = first === ch('@') && this.lastChar === ch('@');
    const isCaret = (c: number) => systemVariable && [ch('.'), ch("'"), ch('"'), ch('`')].includes(c);
    while (isLetter(this.lastChar) || isDigit(this.lastChar) || isCaret(this.lastChar)) {
      bytes.push(this.lastChar);
      this.next();
    }
    const text = decoder.decode(Uint8Array.from(bytes));
    const lowered = text.toLowerCase();
    if (KEYWORDS.has(lowered)) return this.token('id', lowered, lowered, KEYWORD_ALIASES[lowered] ?? lowered);
    return this.token('id', lowered === 'dual' ? lowered : text);
  }

  private scanQuotedIdentifier(): Token {
    const bytes: number[] = [];
    for (;;) {
      if (this.lastChar === ch('`')) {
        this.next();
        if (this.lastChar !== ch('`')) break; // a doubled backquote stands for one
      } else if (this.lastChar === EOF) {
        return this.token('error', decoder.decode(Uint8Array.from(bytes)));
      }
      bytes.push(this.lastChar);
      this.next();
    }
    const text = decoder.decode(Uint8Array.from(bytes));
    if (bytes.length === 0) return this.token('error', text);
    return { ...this.token('id', text), quoted: true };
  }

  private scanMantissa(base: number, bytes: number[]): void {
    while (digitValue(this.lastChar) < base) {
      bytes.push(this.lastChar);
      this.next();
    }
  }

  private consume(bytes: number[]): void {
    bytes.push(this.lastChar);
    this.next();
  }

  private scanNumber(afterDecimalPoint: boolean): Token {
    const bytes: number[] = [];
    let kind: TokenKind = 'int';
    const finish = () => {
      const text = String.fromCharCode(...bytes);
      // A letter may not follow a number directly.
      return isLetter(this.lastChar) ? this.token('error', text) : this.token(kind, text);
    };
    if (afterDecimalPoint) {
      kind = 'float';
      bytes.push(ch('.'));
      this.scanMantissa(10, bytes);
    } else {
      if (this.lastChar === ch('0')) {
        this.consume(bytes);
        if (this.lastChar === ch('x') || this.lastChar === ch('X')) {
          this.consume(bytes);
          this.scanMantissa(16, bytes);
          kind = 'hexnum';
          return finish();
        }
      }
      this.scanMantissa(10, bytes);
      if (this.lastChar === ch('.')) {
        kind = 'float';
        this.consume(bytes);
        this.scanMantissa(10, bytes);
      }
    }
    if (this.lastChar === ch('e') || this.lastChar === ch('E')) {
      kind = 'float';
      this.consume(bytes);
      if (this.lastChar === ch('+') || this.lastChar === ch('-')) this.consume(bytes);
      this.scanMantissa(10, bytes);
    }
    return finish();
  }

  private scanQuotedDigits(kind: 'hex' | 'bit', base: number): Token {
    this.next(); // the opening quote
    const bytes: number[] = [];
    this.scanMantissa(base, bytes);
    const text = String.fromCharCode(...bytes);
    if (this.lastChar !== ch("'")) return this.token('error', text);
    this.next();
    if (kind === 'hex' && bytes.length % 2 !== 0) return this.token('error', text);
    return this.token(kind, text);
  }

  private scanBindVariable(): Token {
    const bytes = [this.lastChar];
    this.next();
    let kind: TokenKind = 'valueArg';
    if (this.lastChar === ch(':')) {
      kind = 'listArg';
      this.consume(bytes);
    }
    if (!isLetter(this.lastChar)) return this.token('error', String.fromCharCode(...bytes));
    while (isLetter(this.lastChar) || isDigit(this.lastChar) || this.lastChar === ch('.')) this.consume(bytes);
    return this.token(kind, String.fromCharCode(...bytes));
  }

  private scanString(delimiter: number): Token {
    const bytes: number[] = [];
    for (;;) {
      const c = this.lastChar;
      if (c === EOF) return this.token('error', decoder.decode(Uint8Array.from(bytes)));
      this.next();
      if (c === ch('\\')) {
        if (this.lastChar === EOF) return this.token('error', decoder.decode(Uint8Array.from(bytes)));
        bytes.push(STRING_ESCAPES[this.lastChar] ?? this.lastChar);
        this.next();
      } else if (c === delimiter) {
        if (this.lastChar !== delimiter) break;
        bytes.push(delimiter); // a doubled delimiter stands for one
        this.next();
      } else {
        bytes.push(c);
      }
    }
    return this.token('string', decoder.decode(Uint8Array.from(bytes)));
  }

  private skipLineComment(): 'comment' {
    while (this.lastChar !== EOF) {
      const c = this.lastChar;
      this.next();
      if (c === 10) break;
    }
    return 'comment';
  }

  private skipBlockComment(): Token | 'comment' {
    const bytes = [ch('/'), ch('*')];
    for (;;) {
      if (this.lastChar === EOF) return this.token('error', String.fromCharCode(...bytes));
      if (this.lastChar === ch('*')) {
        this.consume(bytes);
        if (this.followedBy('/')) return 'comment';
        continue;
      }
      this.consume(bytes);
    }
  }
}
