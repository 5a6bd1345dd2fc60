import { z } from 'zod';
import { ValidationError } from '../core/errors.js';
import type {
  AudioContent,
  ContentType,
  EventContent,
  LocationContent,
  MediaContent,
  RichContent,
  SystemContent,
  TemplateContent,
  TextContent,
} from './content.js';

/**
 * The canonical zod schema of event content: what `processInbound`/`sendEvent` accept, what a
 * hook's `modify` must produce, and what the WebSocket protocol builds its client schema from.
 * The TypeScript interfaces in content.ts stay the documented types; the checks at the bottom of
 * this file make the compiler fail if the two ever drift apart.
 *
 * Objects are parsed, not checked in place: unknown keys are dropped and the result is a fresh
 * object, so nothing the caller keeps a reference to ends up in the timeline.
 */

export interface ContentSchemaOptions {
  /** Content types accepted (default: every type except 'system', which only the framework writes). */
  types?: readonly ContentType[];
  /** Longest `body`, `plainText`, `caption`, `transcript` or `fallbackText`, in characters (default: no limit). */
  maxTextLength?: number;
  /** Refuse an empty `body` for text and rich content (default false). */
  nonEmptyBody?: boolean;
}

/** Every content type, in the order of the union. */
export const CONTENT_TYPES = [
  'text',
  'rich',
  'media',
  'audio',
  'location',
  'system',
  'template',
] as const satisfies readonly ContentType[];

/** What a transport (a user) may post: everything but the framework's system notices. */
export const USER_CONTENT_TYPES: readonly ContentType[] = CONTENT_TYPES.filter((t) => t !== 'system');

/** Build a content schema; most callers want `UserContentSchema` or `EventContentSchema`. */
export function makeContentSchema(opts: ContentSchemaOptions = {}) {
  const types = new Set(opts.types ?? USER_CONTENT_TYPES);
  const text = () => (opts.maxTextLength === undefined ? z.string() : z.string().max(opts.maxTextLength));
  const body = () => (opts.nonEmptyBody ? text().min(1) : text());
  const nonEmpty = z.string().min(1);

  const options = {
    text: z.object({ type: z.literal('text'), body: body(), language: z.string().optional() }),
    rich: z.object({
      type: z.literal('rich'),
      body: body(),
      format: z.enum(['markdown', 'html']),
      plainText: text().optional(),
      buttons: z.array(z.object({ id: nonEmpty, label: z.string() })).optional(),
    }),
    media: z.object({
      type: z.literal('media'),
      url: nonEmpty,
      mimeType: nonEmpty,
      caption: text().optional(),
      filename: z.string().optional(),
    }),
    audio: z.object({
      type: z.literal('audio'),
      url: nonEmpty.optional(),
      mimeType: z.string().optional(),
      durationMs: z.number().nonnegative().optional(),
      transcript: text().optional(),
    }),
    // z.number() refuses NaN and +-Infinity.
    location: z.object({
      type: z.literal('location'),
      latitude: z.number().min(-90).max(90),
      longitude: z.number().min(-180).max(180),
      label: z.string().optional(),
    }),
    system: z.object({
      type: z.literal('system'),
      code: nonEmpty,
      body: text().optional(),
      data: z.record(z.string(), z.unknown()).optional(),
    }),
    template: z.object({
      type: z.literal('template'),
      templateId: nonEmpty,
      parameters: z.record(z.string(), z.string()).optional(),
      fallbackText: text().optional(),
    }),
  };
  const chosen = CONTENT_TYPES.filter((t) => types.has(t)).map((t) => options[t]);
  if (chosen.length === 0) throw new ValidationError('a content schema needs at least one content type');
  return z.discriminatedUnion('type', chosen as [(typeof chosen)[number], ...(typeof chosen)[number][]]);
}

/** Content a transport or an app may post through `processInbound` / `sendEvent`. */
export const UserContentSchema = makeContentSchema();

/** Any content the timeline may hold, system notices included (hooks and the framework). */
export const EventContentSchema = makeContentSchema({ types: CONTENT_TYPES });

/**
 * Validate content, returning a fresh parsed copy. Throws a ValidationError whose message and
 * `field` name the offending field (e.g. `content.body`).
 */
export function parseContent(
  value: unknown,
  opts: { allowSystem?: boolean; field?: string } = {},
): EventContent {
  const text = plainText(value);
  if (text) return text;
  const field = opts.field ?? 'content';
  const schema = opts.allowSystem ? EventContentSchema : UserContentSchema;
  const result = schema.safeParse(value);
  if (result.success) return result.data as EventContent;
  if (!opts.allowSystem && isRecord(value) && value.type === 'system') {
    throw new ValidationError(
      `${field}.type: 'system' content is written by the framework only`,
      undefined,
      `${field}.type`,
    );
  }
  throw zodValidationError(result.error, field);
}

/**
 * Plain text content, checked and copied without zod: what `parseContent` gives for it (the
 * default schemas set no length limits), in a fraction of the time. Nearly every message is
 * text (two per voice turn), and under load the zod parser's code and closures have left the
 * CPU's caches between messages: a voice server's profile had zod at 13 us a turn, against
 * 0.35 us for a hot loop of the same parse. Anything else, or a bad value, goes to zod.
 */
function plainText(value: unknown): TextContent | undefined {
  if (!isRecord(value) || value.type !== 'text') return undefined;
  const { body, language } = value;
  if (typeof body !== 'string') return undefined;
  if (language === undefined) return { type: 'text', body };
  return typeof language === 'string' ? { type: 'text', body, language } : undefined;
}

/** A ValidationError for the first zod issue, naming its path under `root` ('' for none). */
export function zodValidationError(error: z.ZodError, root: string): ValidationError {
  const issue = error.issues[0]!;
  const path = [root, ...issue.path.map(String)].filter(Boolean).join('.') || 'value';
  let detail = issue.message.replace(/^Invalid input: /, '');
  if (issue.code === 'invalid_union' && 'options' in issue && Array.isArray(issue.options)) {
    detail = `must be one of ${issue.options.join(', ')}`;
  }
  return new ValidationError(`${path}: ${detail}`, error, path);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

// ---- the schema and the documented interfaces must describe the same shapes -------------

type Parsed = z.output<typeof EventContentSchema>;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Of<T extends ContentType> = Extract<Parsed, { type: T }>;
const contentSchemaMatchesTypes: [
  Same<Of<'text'>, TextContent>,
  Same<Of<'rich'>, RichContent>,
  Same<Of<'media'>, MediaContent>,
  Same<Of<'audio'>, AudioContent>,
  Same<Of<'location'>, LocationContent>,
  Same<Of<'system'>, SystemContent>,
  Same<Of<'template'>, TemplateContent>,
  Same<Parsed['type'], EventContent['type']>,
] = [true, true, true, true, true, true, true, true];
void contentSchemaMatchesTypes;
