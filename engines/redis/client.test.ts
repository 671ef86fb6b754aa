import { describe, expect, it } from 'vitest';
import { classifyConnectError, redact } from './client';

describe('classifyConnectError', () => {
  it('tells refused credentials from unreachable servers', () => {
    expect(classifyConnectError(new Error('WRONGPASS invalid username-password pair or user is disabled.'))).toBe(
      'auth',
    );
    expect(classifyConnectError(new Error('NOAUTH Authentication required.'))).toBe('auth');
    expect(classifyConnectError(new Error('ERR invalid password'))).toBe('auth');
    expect(classifyConnectError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe(
      'unreachable',
    );
    expect(classifyConnectError(new Error('ERR unknown command'))).toBe('other');
  });
});

describe('redact', () => {
  it('hides every occurrence of every secret', () => {
    expect(redact('pw s3cr3t then s3cr3t and tok', ['s3cr3t', undefined, '', 'tok'])).toBe('pw *** then *** and ***');
  });
});
