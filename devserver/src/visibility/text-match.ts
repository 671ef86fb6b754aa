/**
 * Matching as SQLite visibility does it with its FTS5 tables (schema/sqlite/v3/visibility/schema.sql):
 *
 * - Text: tokenizer `unicode61 remove_diacritics 2` — tokens are runs of letters, digits and private-use
 *   characters, case-folded, diacritics removed. `Attr = 'a b'` becomes the FTS query `("a" OR "b")`: the
 *   value is split on spaces and each word is a phrase (its own tokens, consecutive) that must occur.
 * - KeywordList: items are joined with '♡', the only separator of a tokenizer that keeps every other
 *   character, so each item is one token — matched whole but case-folded (unicode61 always folds case).
 * - STARTS_WITH: `LIKE 'prefix%'`, case-insensitive for ASCII letters only.
 */

const NON_TOKEN = /[^\p{L}\p{N}\p{Co}]+/u;
const COMBINING_MARKS = /\p{Mn}/gu;

/** Tokens of a Text value or query word. */
export function textTokens(text: string): string[] {
  return text.normalize('NFD').replace(COMBINING_MARKS, '').toLowerCase().split(NON_TOKEN).filter(Boolean);
}

/** The query words of a Text comparison value (split on spaces only, as the server does). */
export const textQueryWords = (value: string): string[] => value.split(' ').filter(Boolean);

/** True when any word's tokens occur consecutively in the text's tokens. */
export function matchesAnyPhrase(textTokenList: readonly string[], phrases: readonly (readonly string[])[]): boolean {
  return phrases.some(
    (phrase) =>
      phrase.length > 0 &&
      textTokenList.some((_, start) => phrase.every((token, offset) => textTokenList[start + offset] === token)),
  );
}

/** A KeywordList item or query value as the FTS index compares it. */
export const foldKeyword = (keyword: string): string => keyword.toLowerCase();

const ASCII_UPPER = /[A-Z]/g;
const asciiLower = (text: string) => text.replace(ASCII_UPPER, (c) => c.toLowerCase());

/** SQLite `value LIKE 'prefix%'` with the prefix's wildcards escaped. */
export const startsWithIgnoringAsciiCase = (value: string, prefix: string): boolean =>
  asciiLower(value).startsWith(asciiLower(prefix));
