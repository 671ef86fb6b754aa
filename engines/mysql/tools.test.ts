import { describe, expect, it } from 'vitest';
import { redact } from './tools';

describe('redaction', () => {
  it('removes every occurrence of every secret', () => {
    expect(redact("Access denied near 'pw1' and pw1 and pw2", ['pw1', 'pw2', ''])).toBe(
      "Access denied near '***' and *** and ***",
    );
  });
});
