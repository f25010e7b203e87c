/**
 * Runs work for one key at a time, in arrival order. The bridge keys by WooCommerce order id:
 * the notification, the customer's page, the poll and a webhook can all try to complete or cancel
 * the same order at once, and must see each other's results instead of racing.
 */
export class KeyedMutex {
  private readonly tails = new Map<string | number, Promise<unknown>>();

  run<T>(key: string | number, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(work, work);
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}
