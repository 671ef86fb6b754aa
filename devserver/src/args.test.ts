import { describe, expect, it } from 'vitest';
import { ArgsError, parseArgs } from './args';

describe('command-line arguments', () => {
  it('reads the test-server form: a port, time skipping on and locked', () => {
    expect(parseArgs(['7233'])).toMatchObject({
      mode: 'test-server',
      port: 7233,
      timeSkipping: true,
      startUnlocked: false,
    });
    expect(parseArgs(['7233', '--enable-time-skipping'])).toMatchObject({ startUnlocked: true });
  });

  it('reads the dev-server form the SDK passes', () => {
    const args = parseArgs([
      'server',
      'start-dev',
      '--port',
      '7234',
      '--namespace',
      'ns1',
      '--namespace',
      'ns2',
      '--ip',
      '127.0.0.1',
      '--log-format',
      'json',
      '--log-level',
      'info',
      '--dynamic-config-value',
      'frontend.enableUpdateWorkflowExecution=true',
      '--search-attribute',
      'Team=Keyword',
      '--db-filename',
      '/tmp/x.db',
      '--headless',
    ]);
    expect(args).toMatchObject({
      mode: 'dev-server',
      port: 7234,
      namespaces: ['ns1', 'ns2'],
      ip: '127.0.0.1',
      logFormat: 'json',
      logLevel: 'info',
      dynamicConfig: { 'frontend.enableUpdateWorkflowExecution': 'true' },
      searchAttributes: [{ name: 'Team', type: 'Keyword' }],
      dbFilename: '/tmp/x.db',
      headless: true,
      timeSkipping: false,
      warnings: [],
    });
    expect(parseArgs(['server', 'start-dev']).namespaces).toEqual(['default']);
  });

  it('warns about unknown flags instead of failing', () => {
    const args = parseArgs([
      'server',
      'start-dev',
      '--port',
      '7235',
      '--sqlite-pragma',
      'journal_mode=wal',
      '--headless',
    ]);
    expect(args.port).toBe(7235);
    expect(args.headless).toBe(true);
    expect(args.warnings).toEqual(['ignoring unknown flag "--sqlite-pragma"']);
  });

  it('rejects a malformed port or search attribute with a message naming it', () => {
    expect(() => parseArgs(['server', 'start-dev', '--port', 'abc'])).toThrow(ArgsError);
    expect(() => parseArgs(['server', 'start-dev', '--port', 'abc'])).toThrow(/--port must be a port number/);
    expect(() => parseArgs(['server', 'start-dev', '--search-attribute', 'Team=Colour'])).toThrow(/Name=Type/);
  });

  it('serves the UI 1000 above the gRPC port unless told another port or --headless, as the CLI does', () => {
    expect(parseArgs(['server', 'start-dev', '--port', '7233']).uiPort).toBe(8233);
    expect(parseArgs(['server', 'start-dev', '--port', '7233', '--ui-port', '9000']).uiPort).toBe(9000);
    expect(parseArgs(['server', 'start-dev', '--port', '0']).uiPort).toBe(0);
    expect(parseArgs(['server', 'start-dev', '--port', '7233', '--headless']).uiPort).toBeUndefined();
    expect(parseArgs(['7233']).uiPort).toBeUndefined();
    expect(() => parseArgs(['server', 'start-dev', '--port', '65000'])).toThrow(/give --ui-port/);
  });
});
