// One SDK client per credential, created on first use (connections are reused across calls). Promises are
// cached, so calls racing while the SDK module loads share one client; a failed creation is not kept.
export function createClientCache<C>(): (key: string, create: () => Promise<C>) => Promise<C> {
  const clients = new Map<string, Promise<C>>();
  return (key, create) => {
    let client = clients.get(key);
    if (!client) {
      client = create();
      clients.set(key, client);
      client.catch(() => clients.delete(key));
    }
    return client;
  };
}
