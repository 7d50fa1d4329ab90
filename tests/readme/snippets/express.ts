import express from 'express';
import { createEngine } from '@tradeplane/engine';
import { tradeplaneExpress } from '@tradeplane/adapter-express';

const app = express();
app.use('/api/v1', tradeplaneExpress(await createEngine({ database: process.env.DATABASE_URL! })));
app.listen(3000);
