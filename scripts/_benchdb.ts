import { benchDatabase } from '../bench/database';
import { DefaultLogger, Runtime } from '@temporalio/worker';
Runtime.install({ logger: new DefaultLogger('WARN') });
benchDatabase({ rounds: 1, seconds: 5 }).then((r) => { console.log(JSON.stringify(r, null, 1)); process.exit(0); }, (e) => { console.error(e); process.exit(1); });
