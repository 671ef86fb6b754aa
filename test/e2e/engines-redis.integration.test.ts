/** Every operation end to end on redis (see e2e-scenario.ts). */
import { redisKit } from './e2e-kit-redis';
import { describeEngineScenario } from './e2e-scenario';

describeEngineScenario(redisKit, 'e2erd');
