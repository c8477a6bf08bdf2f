export * from './channel.js';
export * from './clock.js';
export * from './provider.js';
export * from './events.js';
export * from './storage.js';
export * from './control.js';
