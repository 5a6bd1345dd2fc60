import { z } from 'zod';
import { ValidationError } from '../core/errors.js';
import type { AIToolDefinition, JSONSchema } from './types.js';

export interface ToolContext {
  roomId?: string;
  /** The tool call id given by the model. */
  callId?: string;
  signal?: AbortSignal;
  [key: string]: unknown;
}

export type ToolHandler<A = any> = (args: A, ctx: ToolContext) => Promise<string> | string;

export interface ToolOptions<A = any> {
  name: string;
  description: string;
  /** A JSON Schema object, or a zod schema (arguments are then validated before the handler runs). */
  parameters?: JSONSchema | z.ZodType<A>;
  handler?: ToolHandler<A>;
}

/** A function the model may call. Definitions go to the provider; the handler runs here. */
export class Tool<A = any> {
  readonly name: string;
  readonly description: string;
  readonly parameters: JSONSchema;
  readonly handler?: ToolHandler<A>;
  private readonly schema?: z.ZodType<A>;

  constructor(opts: ToolOptions<A>) {
    if (!/^[a-zA-Z0-9_-]{1,64}$/.test(opts.name)) {
      throw new ValidationError(`tool name must be 1-64 letters, digits, _ or -: ${opts.name}`);
    }
    this.name = opts.name;
    this.description = opts.description;
    this.handler = opts.handler;
    if (opts.parameters instanceof z.ZodType) {
      this.schema = opts.parameters;
      const { $schema: _ignored, ...schema } = z.toJSONSchema(opts.parameters) as JSONSchema;
      this.parameters = schema;
    } else {
      this.parameters = opts.parameters ?? { type: 'object', properties: {} };
    }
  }

  get definition(): AIToolDefinition {
    return { name: this.name, description: this.description, parameters: this.parameters };
  }

  /** Validate arguments and run the handler. Errors come back as a ValidationError. */
  async call(args: unknown, ctx: ToolContext = {}): Promise<string> {
    if (!this.handler) throw new ValidationError(`tool ${this.name} has no handler`);
    let parsed = args as A;
    if (this.schema) {
      const result = this.schema.safeParse(args);
      if (!result.success) {
        throw new ValidationError(`invalid arguments for ${this.name}: ${z.prettifyError(result.error)}`);
      }
      parsed = result.data;
    } else {
      checkRequired(this.name, this.parameters, args);
    }
    return await this.handler(parsed, ctx);
  }
}

function checkRequired(name: string, schema: JSONSchema, args: unknown): void {
  const required = Array.isArray(schema.required) ? (schema.required as string[]) : [];
  if (required.length === 0) return;
  if (typeof args !== 'object' || args === null) {
    throw new ValidationError(`invalid arguments for ${name}: expected an object`);
  }
  const missing = required.filter((k) => !(k in (args as Record<string, unknown>)));
  if (missing.length)
    throw new ValidationError(`invalid arguments for ${name}: missing ${missing.join(', ')}`);
}
