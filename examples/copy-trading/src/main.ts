import { runCopyTradingDemo } from './demo.js';

await runCopyTradingDemo({ print: (line) => console.log(line) });
