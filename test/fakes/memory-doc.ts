// An in-memory JsonDoc for unit tests of code that only needs the document's shape (no disk).
import type { GatewayState, JsonDoc } from '../../runtime/types/index.js';
import { defaultGatewayState } from '../../storage/state-store.js';

export class MemDoc<T> implements JsonDoc<T> {
  flushes = 0;
  constructor(public data: T) {}
  update(fn: (data: T) => void): void {
    fn(this.data);
  }
  async flush(): Promise<void> {
    this.flushes++;
  }
}

export function memoryState(): MemDoc<GatewayState> {
  return new MemDoc(defaultGatewayState());
}
