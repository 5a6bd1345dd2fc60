/**
 * Runs async jobs one after another. sherpa-onnx's async decode and synthesis run on a
 * worker thread against one native object, which must not serve two calls at once.
 */
export class SerialLane {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(job: () => Promise<T>): Promise<T> {
    const result = this.tail.then(job, job);
    this.tail = result.catch(() => {});
    return result;
  }
}
