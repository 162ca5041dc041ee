// Load on the local cloud fallback (issue 7): N mixed requests at a fixed
// concurrency against veer-local on loopback; prints the figures.
//   node www-tests/bench/load.mjs [--requests 200] [--concurrency 16]
import { loadRun } from '../lib/load.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : dflt);
const requests = opt('--requests', 200);
const concurrency = opt('--concurrency', 16);
const r = await loadRun({ requests, concurrency });
const mb = (b) => `${(b / 1e6).toFixed(0)} MB`;
console.log(`${requests} requests, ${concurrency} concurrent, ${r.seconds.toFixed(1)} s; server alive: ${r.alive}`);
for (const [k, n] of Object.entries(r.byKind)) console.log(`  ${k}: ${n} answered correctly`);
console.log(`wrong answers: ${r.wrong.length}${r.wrong.length ? `\n${JSON.stringify(r.wrong, null, 1)}` : ''}`);
console.log(`veer-local RSS: ${mb(r.rss.afterWarmup)} after warm-up (16 requests), ${mb(r.rss.half)} half-way, ${mb(r.rss.end)} at the end, ${mb(r.rss.peak)} peak`);
process.exitCode = r.wrong.length || !r.alive ? 1 : 0;
