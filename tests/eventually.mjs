// Polls `check()` (bounded) until it is truthy; resolves to its last value. For tests whose
// outcome arrives on its own time (live sync, other tabs).
export async function eventually(check, timeoutMs = 10000, everyMs = 25) {
  const end = Date.now() + timeoutMs;
  let value = await check();
  while (!value && Date.now() < end) {
    await new Promise((resolve) => setTimeout(resolve, everyMs));
    value = await check();
  }
  return value;
}
