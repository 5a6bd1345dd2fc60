import { ValidationError } from '../../core/errors.js';
import type { AudioFrame } from '../types.js';
import { ReusableFrame } from './reusable-frame.js';
import type { AudioPostProcessor, FrameStage } from './stages.js';

/** Fixed gain on outbound audio (e.g. to even out TTS voices), clamped so it cannot wrap. */
export class GainPostProcessor implements AudioPostProcessor {
  readonly name = 'gain';
  readonly gainDb: number;

  constructor(options: { gainDb: number }) {
    if (!Number.isFinite(options.gainDb))
      throw new ValidationError(`gainDb must be finite, got ${options.gainDb}`);
    this.gainDb = options.gainDb;
  }

  createStage(): FrameStage {
    const gain = 10 ** (this.gainDb / 20);
    const out = new ReusableFrame();
    return {
      process(frame: AudioFrame): AudioFrame {
        const input = frame.data;
        const result = out.prepare(input.length, frame);
        const data = result.data;
        for (let i = 0; i < input.length; i++) {
          const v = Math.round(input[i] * gain);
          data[i] = v > 32767 ? 32767 : Math.max(v, -32768);
        }
        return result;
      },
    };
  }
}
