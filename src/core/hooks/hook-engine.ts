import { FAIL_CLOSED_TRIGGERS, type HookExecution, HookTrigger, parseContent } from '../../models/index.js';
import { deadlines, isThenable } from '../deadlines.js';
import { errorMessage, TimeoutError, ValidationError } from '../errors.js';
import { type HookRun, traceError } from '../telemetry/event-traces.js';
import { HookResult, type InjectedEvent } from './hook-result.js';
import type { HookContext, HookFn, HookOptions, HookRegistration } from './types.js';

/** Triggers whose hooks decide something, so they run in order and default to sync. */
const SYNC_BY_DEFAULT: ReadonlySet<string> = new Set([
  HookTrigger.BEFORE_BROADCAST,
  HookTrigger.ON_TRANSCRIPTION,
  HookTrigger.BEFORE_TTS,
  HookTrigger.ON_TOOL_CALL,
  HookTrigger.ON_IDENTITY_AMBIGUOUS,
  HookTrigger.ON_IDENTITY_UNKNOWN,
]);

export interface SyncOutcome<E> {
  allowed: boolean;
  payload: E;
  reason?: string;
  /** Name of the hook that blocked (stored as the event's blockedBy). */
  blockedBy?: string;
  injected: InjectedEvent[];
  metadata: Record<string, unknown>;
}

/** Checks a payload a sync hook produced with `modify`; throws (a ValidationError) when it is unusable. */
export type PayloadValidator<E> = (payload: E) => E;

/** How long a hook may run when neither the kit nor the hook says otherwise. */
export const DEFAULT_HOOK_TIMEOUT_MS = 10_000;

export interface HookErrorInfo {
  hook: string;
  trigger: HookTrigger;
  error: unknown;
  roomId?: string;
}

/** One runSync call's state, carried across hooks that return promises. */
interface SyncRun<E> {
  list: readonly HookRegistration[];
  trigger: HookTrigger;
  outcome: SyncOutcome<E>;
  ctx: HookContext;
  validate?: PayloadValidator<E>;
  record?: HookRun[];
}

/** Where hooks are registered and run: sync ones in priority order, async ones concurrently. */
export class HookEngine {
  private readonly byTrigger = new Map<HookTrigger, HookRegistration[]>();
  private order = 0;

  /**
   * @param defaultTimeoutMs applies to every hook that sets no `timeoutMs` of its own (Infinity:
   *   none). A hook past its deadline counts as a throwing one.
   */
  /**
   * @param owner tags the hooks' deadlines, so a closing kit can end them all at once.
   */
  constructor(
    private readonly onError: (info: HookErrorInfo) => void,
    private readonly defaultTimeoutMs: number = DEFAULT_HOOK_TIMEOUT_MS,
    private readonly owner?: object,
  ) {}

  register(trigger: HookTrigger, fn: HookFn, opts: HookOptions = {}): () => void {
    const reg: HookRegistration = {
      trigger,
      fn,
      name: opts.name ?? (fn.name || `hook_${this.order}`),
      priority: opts.priority ?? 0,
      execution: opts.execution ?? defaultExecution(trigger),
      timeoutMs: opts.timeoutMs ?? this.defaultTimeoutMs,
      channelTypes: opts.channelTypes ? new Set(opts.channelTypes) : undefined,
      channelIds: opts.channelIds ? new Set(opts.channelIds) : undefined,
      directions: opts.directions ? new Set(opts.directions) : undefined,
      roomId: opts.roomId,
      order: this.order++,
    };
    const list = [...(this.byTrigger.get(trigger) ?? []), reg];
    list.sort((a, b) => a.priority - b.priority || a.order - b.order);
    this.byTrigger.set(trigger, list);
    return () => {
      const current = this.byTrigger.get(trigger) ?? [];
      this.byTrigger.set(
        trigger,
        current.filter((r) => r !== reg),
      );
    };
  }

  /** Cheap check so hot paths skip building contexts when nobody listens. */
  has(trigger: HookTrigger): boolean {
    return (this.byTrigger.get(trigger)?.length ?? 0) > 0;
  }

  /**
   * Run the sync hooks of a trigger in priority order. Block stops the chain; modify feeds
   * the new payload to later hooks. A throwing hook, one past its deadline, or one whose
   * modified payload `validate` refuses, is skipped (allow), except on the fail-closed
   * triggers where it blocks. `record`, when given, gets one entry per hook that ran.
   */
  runSync<E>(
    trigger: HookTrigger,
    payload: E,
    ctx: HookContext,
    validate?: PayloadValidator<E>,
    record?: HookRun[],
  ): SyncOutcome<E> | Promise<SyncOutcome<E>> {
    const outcome: SyncOutcome<E> = { allowed: true, payload, injected: [], metadata: {} };
    const list = this.byTrigger.get(trigger);
    if (!list) return outcome;
    return this.runFrom({ list, trigger, outcome, ctx, validate, record }, 0);
  }

  /**
   * The sync hooks from `from` on, without a promise while they return plain values (a
   * BEFORE_BROADCAST hook runs for every message); the first one that returns a promise
   * continues the chain asynchronously.
   */
  private runFrom<E>(run: SyncRun<E>, from: number): SyncOutcome<E> | Promise<SyncOutcome<E>> {
    const { list, ctx } = run;
    for (let i = from; i < list.length; i++) {
      const reg = list[i]!;
      if (reg.execution !== 'sync' || !matches(reg, ctx)) continue;
      const started = run.record ? performance.now() : 0;
      let result: unknown;
      try {
        result = callWithTimeout(reg, run.outcome.payload, ctx, this.owner);
      } catch (error) {
        const stop = this.failed(run, reg, started, error);
        if (stop) return stop;
        continue;
      }
      if (isThenable(result)) return this.awaitHook(run, i, started, result);
      const stop = this.decide(run, reg, started, result);
      if (stop) return stop;
    }
    return run.outcome;
  }

  private async awaitHook<E>(
    run: SyncRun<E>,
    at: number,
    started: number,
    pending: PromiseLike<unknown>,
  ): Promise<SyncOutcome<E>> {
    const reg = run.list[at]!;
    let result: unknown;
    try {
      result = await pending;
    } catch (error) {
      return this.failed(run, reg, started, error) ?? this.runFrom(run, at + 1);
    }
    return this.decide(run, reg, started, result) ?? this.runFrom(run, at + 1);
  }

  /** Apply one hook's result; the final outcome when it ends the chain (block, fail-closed error). */
  private decide<E>(
    run: SyncRun<E>,
    reg: HookRegistration,
    started: number,
    result: unknown,
  ): SyncOutcome<E> | undefined {
    const { outcome, record } = run;
    if (!isHookResult(result)) {
      record?.push(runEntry(reg, started, 'allow'));
      return undefined;
    }
    let modified: E | undefined;
    let injected: InjectedEvent[] | undefined;
    try {
      if (result.action === 'modify' && result.event !== undefined) {
        modified = run.validate ? run.validate(result.event as E) : (result.event as E);
      }
      if (result.injectedEvents?.length) injected = result.injectedEvents.map(checkInjected);
    } catch (error) {
      return this.failed(run, reg, started, error);
    }
    if (injected) outcome.injected.push(...injected);
    if (result.metadata) Object.assign(outcome.metadata, result.metadata);
    if (result.action === 'block') {
      outcome.allowed = false;
      outcome.reason = result.reason ?? 'blocked';
      outcome.blockedBy = reg.name;
      record?.push(runEntry(reg, started, 'block', { reason: outcome.reason }));
      return outcome;
    }
    if (modified !== undefined) outcome.payload = modified;
    record?.push(runEntry(reg, started, modified !== undefined ? 'modify' : 'allow'));
    return undefined;
  }

  /** A hook threw, timed out or produced something unusable: reported; blocks on fail-closed triggers. */
  private failed<E>(
    run: SyncRun<E>,
    reg: HookRegistration,
    started: number,
    error: unknown,
  ): SyncOutcome<E> | undefined {
    const { trigger, ctx } = run;
    this.onError({ hook: reg.name, trigger, error, roomId: ctx.roomId });
    run.record?.push(runEntry(reg, started, 'error', { error: traceError(error) }));
    if (!FAIL_CLOSED_TRIGGERS.has(trigger)) return undefined;
    return {
      ...run.outcome,
      allowed: false,
      reason: `hook failed: ${errorMessage(error)}`,
      blockedBy: reg.name,
    };
  }

  /**
   * Run the async hooks of a trigger concurrently, each under its own timeout; resolves
   * when all have settled. Errors are reported, never thrown. `record`, when given, gets one
   * entry per hook as it settles.
   */
  async runAsync<E>(trigger: HookTrigger, payload: E, ctx: HookContext, record?: HookRun[]): Promise<void> {
    const list = this.byTrigger.get(trigger);
    if (!list) return;
    const running: Promise<void>[] = [];
    for (const reg of list) {
      if (reg.execution !== 'async' || !matches(reg, ctx)) continue;
      const started = record ? performance.now() : 0;
      const report = (error: unknown) => {
        this.onError({ hook: reg.name, trigger, error, roomId: ctx.roomId });
        record?.push(runEntry(reg, started, 'error', { error: traceError(error) }));
      };
      const done = record ? () => void record.push(runEntry(reg, started, 'allow')) : noop;
      try {
        const result = callWithTimeout(reg, payload, ctx, this.owner);
        if (isThenable(result)) running.push(Promise.resolve(result).then(done, report));
        else done();
      } catch (error) {
        report(error);
      }
    }
    if (running.length) await Promise.all(running);
  }

  /** Sync hooks in order; the first one that returns something other than undefined wins. */
  async runFirst<E, R>(trigger: HookTrigger, payload: E, ctx: HookContext): Promise<R | undefined> {
    for (const reg of this.byTrigger.get(trigger) ?? []) {
      if (!matches(reg, ctx)) continue;
      try {
        const result = await callWithTimeout(reg, payload, ctx, this.owner);
        if (result !== undefined && result !== null) return result as R;
      } catch (error) {
        this.onError({ hook: reg.name, trigger, error, roomId: ctx.roomId });
      }
    }
    return undefined;
  }
}

function noop(): void {}

function runEntry(
  reg: HookRegistration,
  started: number,
  decision: HookRun['decision'],
  extra?: { reason?: string; error?: string },
): HookRun {
  const entry: HookRun = {
    hook: reg.name,
    trigger: reg.trigger,
    decision,
    durationMs: Math.round((performance.now() - started) * 1000) / 1000,
  };
  return extra ? Object.assign(entry, extra) : entry;
}

/** An injected event is content the hook writes into the room: it must be valid content. */
function checkInjected(inj: InjectedEvent, i: number): InjectedEvent {
  const field = `injectedEvents[${i}]`;
  const content = parseContent(inj?.content, { allowSystem: true, field: `${field}.content` });
  const targets = inj.targetChannelIds;
  if (!Array.isArray(targets) || !targets.every((t) => typeof t === 'string')) {
    throw new ValidationError(
      `${field}.targetChannelIds: expected an array of channel ids`,
      undefined,
      field,
    );
  }
  return { ...inj, content };
}

function defaultExecution(trigger: HookTrigger): HookExecution {
  return SYNC_BY_DEFAULT.has(trigger) ? 'sync' : 'async';
}

function matches(reg: HookRegistration, ctx: HookContext): boolean {
  if (reg.roomId !== undefined && reg.roomId !== ctx.roomId) return false;
  if (reg.channelTypes && (ctx.channelType === undefined || !reg.channelTypes.has(ctx.channelType)))
    return false;
  if (reg.channelIds && (ctx.channelId === undefined || !reg.channelIds.has(ctx.channelId))) return false;
  if (reg.directions && (ctx.direction === undefined || !reg.directions.has(ctx.direction))) return false;
  return true;
}

function isHookResult(value: unknown): value is HookResult {
  if (value instanceof HookResult) return true;
  return (
    typeof value === 'object' && value !== null && typeof (value as { action?: unknown }).action === 'string'
  );
}

/**
 * Call a hook under its deadline. A hook that returns a plain value (no promise) needs no
 * deadline at all, so the common synchronous hook costs nothing extra; a promise gets one entry
 * on the shared deadline wheel, never a timer of its own.
 */
function callWithTimeout(
  reg: HookRegistration,
  payload: unknown,
  ctx: HookContext,
  owner: object | undefined,
): Promise<unknown> | unknown {
  const result = reg.fn(payload, ctx);
  if (!isThenable(result)) return result;
  const ms = reg.timeoutMs;
  if (ms === undefined || ms === Number.POSITIVE_INFINITY) return result;
  return new Promise((resolve, reject) => {
    const deadline = deadlines.add(ms, () => reject(new TimeoutError(`hook ${reg.name}`, ms)), owner);
    result.then(
      (value) => {
        deadline.cancel();
        resolve(value);
      },
      (error: unknown) => {
        deadline.cancel();
        reject(error);
      },
    );
  });
}
