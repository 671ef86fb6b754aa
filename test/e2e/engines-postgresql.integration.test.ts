/** Every operation end to end on postgresql (see e2e-scenario.ts). */
import { postgresKit } from './e2e-kit-postgresql';
import { describeEngineScenario } from './e2e-scenario';

describeEngineScenario(postgresKit, 'e2epg');
