/** Every operation end to end on mysql (see e2e-scenario.ts). */
import { mysqlKit } from './e2e-kit-mysql';
import { describeEngineScenario } from './e2e-scenario';

describeEngineScenario(mysqlKit, 'e2emy');
