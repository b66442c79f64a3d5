// Keeps nothing beyond the core's memory: for tests, Node, and throwaway data.
export const memoryConnector = {
  name: 'memory',
  async open() {
    return {
      state: { pages: [], journal: [] },
      async persist() {},
      async close() {},
    };
  },
  async destroy() {},
};
