import { ProviderError } from '../../core/errors.js';

/**
 * A Debian package the offline providers rely on is not installed (shared library, model
 * files or binary). Not retryable: only an operator running apt-get can fix it, so the
 * message says exactly what to install.
 */
export class LocalEngineMissingError extends ProviderError {
  /** The Debian package(s) to install, e.g. `pocketsphinx pocketsphinx-en-us`. */
  readonly debianPackages: string[];

  constructor(provider: string, what: string, debianPackages: string[], cause?: unknown) {
    super(provider, `${what} not found; install it with: apt-get install ${debianPackages.join(' ')}`, {
      code: 'local_engine_missing',
      retryable: false,
      cause,
    });
    this.debianPackages = debianPackages;
  }
}

/** The offline engine ran but failed (non-zero exit, unreadable output, decoder error). */
export class LocalEngineError extends ProviderError {
  constructor(provider: string, message: string, cause?: unknown) {
    super(provider, message, { code: 'local_engine_failed', retryable: false, cause });
  }
}
