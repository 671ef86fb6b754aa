import { describe, expect, it } from 'vitest';
import { scramSha256Verifier } from './scram';

describe('SCRAM verifier', () => {
  it("has PostgreSQL's stored format and depends only on password and salt", () => {
    const salt = Buffer.alloc(16, 7);
    const verifier = scramSha256Verifier('secret', salt);
    expect(verifier).toMatch(/^SCRAM-SHA-256\$4096:[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{44}:[A-Za-z0-9+/=]{44}$/);
    expect(scramSha256Verifier('secret', salt)).toBe(verifier);
    expect(scramSha256Verifier('other', salt)).not.toBe(verifier);
    expect(verifier).not.toContain('secret');
  });
});
