import { describe, expect, it } from 'vitest';
import { parseCommandLine, type ServeCommand, UsageError } from '../../src/server/cli-options.js';

describe('roomkit serve --voice-workers', () => {
  it('takes a process count from the flag or ROOMKIT_VOICE_WORKERS, 0 by default', () => {
    expect((parseCommandLine(['serve']) as ServeCommand).voiceWorkers).toBe(0);
    expect((parseCommandLine(['serve', '--voice-workers', '2']) as ServeCommand).voiceWorkers).toBe(2);
    expect((parseCommandLine(['serve'], { ROOMKIT_VOICE_WORKERS: '3' }) as ServeCommand).voiceWorkers).toBe(
      3,
    );
  });

  it('refuses what is not a count of 0-64', () => {
    for (const bad of ['-1', 'two', '65', '1.5', '']) {
      expect(() => parseCommandLine(['serve', '--voice-workers', bad]), bad).toThrow(UsageError);
    }
  });
});
