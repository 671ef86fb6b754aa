import { describe, expect, it } from 'vitest';
import { parseAclListLine } from './acl';

describe('parseAclListLine', () => {
  it('splits rules, keeping selectors in parentheses whole', () => {
    expect(parseAclListLine('user app on #ab12 ~cache:* &* -@all +get (~other:* +set +del) resetchannels')).toEqual({
      user: 'app',
      rules: ['on', '#ab12', '~cache:*', '&*', '-@all', '+get', '(~other:* +set +del)', 'resetchannels'],
    });
  });

  it('rejects what is not a user line', () => {
    expect(() => parseAclListLine('nonsense here')).toThrow(/unexpected ACL LIST line/);
  });
});
