import { SampleFifo } from './sample-fifo.js';

/**
 * Processes exactly one block: reads `size` samples from src, writes `size` to dst (and,
 * for an adapter with a second output, `size` to dst2 at the same offset).
 */
export type BlockProcessor = (
  src: Int16Array,
  srcOffset: number,
  dst: Int16Array,
  dstOffset: number,
  dst2?: Int16Array,
) => void;

/**
 * Runs a fixed-block algorithm (speex AEC, rnnoise) on frames of any length, producing as
 * many samples as it receives. Frames that are whole multiples of the block pass straight
 * through with no delay; the first odd-sized frame switches to a buffered mode that adds
 * one block of latency, which is what guarantees the output never runs short.
 *
 * An optional second output (the echo canceller's output before residual suppression)
 * follows the first sample for sample.
 */
export class BlockAdapter {
  private readonly inBlock: Int16Array;
  private readonly outBlock: Int16Array;
  private readonly outBlock2: Int16Array;
  private inFill = 0;
  private buffered = false;
  private readonly output = new SampleFifo();
  private readonly output2 = new SampleFifo();

  constructor(
    readonly blockSize: number,
    private readonly processBlock: BlockProcessor,
  ) {
    this.inBlock = new Int16Array(blockSize);
    this.outBlock = new Int16Array(blockSize);
    this.outBlock2 = new Int16Array(blockSize);
  }

  /** Fills `out[0, input.length)` (and `out2`, when given) with processed audio. */
  process(input: Int16Array, out: Int16Array, out2?: Int16Array): void {
    const size = this.blockSize;
    if (!this.buffered && input.length % size === 0) {
      for (let i = 0; i < input.length; i += size) {
        this.processBlock(input, i, out, i, out2?.subarray(i, i + size));
      }
      return;
    }
    if (!this.buffered) {
      this.buffered = true;
      this.output.pushZeros(size);
      this.output2.pushZeros(size);
    }
    let i = 0;
    while (i < input.length) {
      const n = Math.min(size - this.inFill, input.length - i);
      this.inBlock.set(input.subarray(i, i + n), this.inFill);
      this.inFill += n;
      i += n;
      if (this.inFill === size) {
        this.processBlock(this.inBlock, 0, this.outBlock, 0, out2 && this.outBlock2);
        this.output.push(this.outBlock);
        if (out2) this.output2.push(this.outBlock2);
        this.inFill = 0;
      }
    }
    this.output.shiftInto(out, 0, input.length);
    if (out2) this.output2.shiftInto(out2, 0, input.length);
  }

  reset(): void {
    this.inFill = 0;
    this.buffered = false;
    this.output.clear();
    this.output2.clear();
  }
}
