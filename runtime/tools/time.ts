// `time`: the current date and time (a harmless built-in; the model has no clock of its own).
import type { Clock } from '../clock.js';
import type { Tool } from './types.js';

export function timeTool(clock: Clock, timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone): Tool {
  return {
    group: 'core',
    spec: {
      name: 'time',
      description: "Get the current date and time (UTC and the gateway's local time zone).",
      parameters: { type: 'object', properties: {}, additionalProperties: false },
    },
    async run() {
      const now = new Date(clock.now());
      const local = new Intl.DateTimeFormat('en-GB', {
        timeZone,
        dateStyle: 'full',
        timeStyle: 'long',
      }).format(now);
      return { content: `UTC: ${now.toISOString()}\nLocal (${timeZone}): ${local}\nUnix ms: ${now.getTime()}` };
    },
  };
}
