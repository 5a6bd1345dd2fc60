export * from './fake-elevenlabs-tts.js';
export * from './fake-deepgram.js';
export * from './coded-speech-decoder.js';
export * from './fake-gradium-stt.js';
export * from './fake-gradium-tts.js';
export * from './fake-server.js';
export * from './fake-voice-library.js';
export * from './speech-script.js';
