export * from './email-channel.js';
export * from './inbound-email.js';
export * from './mailgun-route.js';
export * from './quote-stripper.js';
export * from './sendgrid-inbound-parse.js';
export * from './smtp-listener.js';
export * from './threading.js';
