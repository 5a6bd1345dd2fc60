import { SampleFifo } from './sample-fifo.js';

/** Processes exactly one block: reads `size` samples from src, writes `size` to dst. */
export type BlockProcessor = (src: Int16Array, srcOffset: number, dst: Int16Array, dstOffset: number) => void;

/**
 * Runs a fixed-block algorithm (speex AEC, rnnoise) on frames of any length, producing as
 * many samples as it receives. Frames that are whole multiples of the block pass straight
 * through with no delay; the first odd-sized frame switches to a buffered mode that adds
 * one block of latency, which is what guarantees the output never runs short.
 */
export class BlockAdapter {
  private readonly inBlock: Int16Array;
  private readonly outBlock: Int16Array;
  private inFill = 0;
  private buffered = false;
  private readonly output = new SampleFifo();

  constructor(
    readonly blockSize: number,
    private readonly processBlock: BlockProcessor,
  ) {
    this.inBlock = new Int16Array(blockSize);
    this.outBlock = new Int16Array(blockSize);
  }

  /** Fills `out[0, input.length)` with processed audio. */
  process(input: Int16Array, out: Int16Array): void {
    const size = this.blockSize;
    if (!this.buffered && input.length % size === 0) {
      for (let i = 0; i < input.length; i += size) this.processBlock(input, i, out, i);
      return;
    }
    if (!this.buffered) {
      this.buffered = true;
      this.output.pushZeros(size);
    }
    let i = 0;
    while (i < input.length) {
      const n = Math.min(size - this.inFill, input.length - i);
      this.inBlock.set(input.subarray(i, i + n), this.inFill);
      this.inFill += n;
      i += n;
      if (this.inFill === size) {
        this.processBlock(this.inBlock, 0, this.outBlock, 0);
        this.output.push(this.outBlock);
        this.inFill = 0;
      }
    }
    this.output.shiftInto(out, 0, input.length);
  }

  reset(): void {
    this.inFill = 0;
    this.buffered = false;
    this.output.clear();
  }
}
