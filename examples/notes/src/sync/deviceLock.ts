// One tab per device: two tabs signed in as the same device would run two
// SDK clients, two sync engines, over one IndexedDB. The first tab holds a
// Web Lock named after the device's storage for as long as it is open; a
// second one is told so instead of starting.
export function holdDeviceLock(name: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    navigator.locks
      .request(`${name}.tab`, { ifAvailable: true }, (lock) => {
        resolve(lock !== null);
        // Held until the page goes away: a promise that never settles.
        return lock ? new Promise<void>(() => undefined) : undefined;
      })
      .catch(reject);
  });
}
