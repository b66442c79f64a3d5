// Keeps nothing beyond the core's memory: for tests, Node, and throwaway data. Each tab
// (and each open()) has its own: nothing is shared, nothing is compacted.
export const memoryConnector = {
  name: 'memory',
  shared: false,
  async open() {
    let last = 0;
    return {
      state: { pages: [], journal: [], last },
      durable: false,  // nothing to compact
      async read() {
        return { last, records: 0, entries: [], reload: null };
      },
      journaled: 0,
      async append() {
        last += 1;
        return { last, wrote: true };
      },
      async hold() {
        return {
          news: { last, records: 0, entries: [], reload: null },
          async commit(plan) {
            if (plan) last += 1;
            return { last, wrote: Boolean(plan) };
          },
          abort() {},
        };
      },
      async close() {},
    };
  },
  async destroy() {},
};
