// What the bench/server scripts share: their command line (--key value pairs over the
// script's defaults, plus --url and --out, with --url held to a loopback address) and the
// server's CPU time read from /proc.
import { readFileSync } from 'node:fs';

export function parseOptions(script, defaults, extra = []) {
  const args = { ...defaults };
  for (let i = 2; i < process.argv.length; i += 2) {
    const key = process.argv[i].replace(/^--/, '');
    if (!(key in args) && !['url', 'out', ...extra].includes(key)) {
      console.error(`${script}: unknown option --${key}`);
      process.exit(2);
    }
    args[key] = process.argv[i + 1];
  }
  const url = new URL(args.url ?? '');
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) {
    console.error(`${script}: --url must be a loopback address`);
    process.exit(2);
  }
  return { args, url };
}

// utime + stime of process `pid`, in ms (clock ticks of 10 ms on Linux); 0 without a pid.
export function cpuMs(pid) {
  if (!pid) return 0;
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
