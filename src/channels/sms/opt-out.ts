/**
 * STOP, START and HELP as US carriers (CTIA) and the SMS providers require them: a STOP-family
 * keyword opts the sender out of messages from our number (kept per sending number, and
 * persisted with the file store), START-family opts them back in, HELP-family gets the help
 * text. Nothing is ever sent to an opted-out number, whatever the room says.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export type SmsKeyword = 'stop' | 'start' | 'help';

const KEYWORDS: Record<string, SmsKeyword> = {
  STOP: 'stop',
  STOPALL: 'stop',
  'STOP ALL': 'stop',
  UNSUBSCRIBE: 'stop',
  CANCEL: 'stop',
  END: 'stop',
  QUIT: 'stop',
  OPTOUT: 'stop',
  REVOKE: 'stop',
  START: 'start',
  YES: 'start',
  UNSTOP: 'start',
  HELP: 'help',
  INFO: 'help',
};

/** The keyword a whole message is (carriers match the message, not a word inside it), or undefined. */
export function smsKeyword(text: string | undefined): SmsKeyword | undefined {
  if (!text) return undefined;
  const normalized = text
    .trim()
    .replace(/[.!]+$/, '')
    .replace(/\s+/g, ' ')
    .toUpperCase();
  return KEYWORDS[normalized];
}

/** Who opted out of messages from which of our numbers. */
export interface OptOutStore {
  isOptedOut(ourNumber: string, theirNumber: string): Promise<boolean>;
  optOut(ourNumber: string, theirNumber: string): Promise<void>;
  optIn(ourNumber: string, theirNumber: string): Promise<void>;
  list(ourNumber: string): Promise<string[]>;
}

export class MemoryOptOutStore implements OptOutStore {
  protected readonly numbers = new Map<string, Set<string>>();

  async isOptedOut(ours: string, theirs: string): Promise<boolean> {
    return this.numbers.get(ours)?.has(theirs) ?? false;
  }

  async optOut(ours: string, theirs: string): Promise<void> {
    let set = this.numbers.get(ours);
    if (!set) this.numbers.set(ours, (set = new Set()));
    set.add(theirs);
  }

  async optIn(ours: string, theirs: string): Promise<void> {
    this.numbers.get(ours)?.delete(theirs);
  }

  async list(ours: string): Promise<string[]> {
    return [...(this.numbers.get(ours) ?? [])];
  }
}

/**
 * Opt-outs in a JSON file (`{ "<our number>": ["<their number>", ...] }`), loaded on first use
 * and rewritten atomically (temp file + rename) on every change, so a crash never loses or
 * corrupts the list. Writes are serialised.
 */
export class FileOptOutStore extends MemoryOptOutStore {
  private loaded?: Promise<void>;
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly path: string) {
    super();
  }

  override async isOptedOut(ours: string, theirs: string): Promise<boolean> {
    await this.load();
    return super.isOptedOut(ours, theirs);
  }

  override async optOut(ours: string, theirs: string): Promise<void> {
    await this.load();
    await super.optOut(ours, theirs);
    await this.save();
  }

  override async optIn(ours: string, theirs: string): Promise<void> {
    await this.load();
    await super.optIn(ours, theirs);
    await this.save();
  }

  override async list(ours: string): Promise<string[]> {
    await this.load();
    return super.list(ours);
  }

  private load(): Promise<void> {
    this.loaded ??= readFile(this.path, 'utf8').then(
      (text) => {
        const data = JSON.parse(text) as Record<string, string[]>;
        for (const [ours, list] of Object.entries(data)) this.numbers.set(ours, new Set(list));
      },
      (error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
      },
    );
    return this.loaded;
  }

  private save(): Promise<void> {
    const snapshot = JSON.stringify(
      Object.fromEntries([...this.numbers].map(([ours, set]) => [ours, [...set].sort()])),
      null,
      2,
    );
    this.writing = this.writing.then(async () => {
      await mkdir(dirname(this.path), { recursive: true });
      await writeFile(`${this.path}.tmp`, snapshot);
      await rename(`${this.path}.tmp`, this.path);
    });
    return this.writing;
  }
}
