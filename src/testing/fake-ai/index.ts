export {
  FakeAIServer,
  type FakeAIServerOptions,
  type FakeHttpReply,
  type FakeRequestContext,
  type FakeSSEEvent,
} from './fake-ai-server.js';
export { FakeAnthropicServer } from './fake-anthropic-server.js';
export type { FakeAIError, FakeAIReply, FakeToolCall, RecordedRequest, ReplyPlan } from './fake-reply.js';
export { FakeGeminiServer } from './fake-gemini-server.js';
export { FakeOpenAIServer } from './fake-openai-server.js';
