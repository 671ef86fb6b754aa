/** The benchmark's workflow: one activity, its result returned (bundled for the workers' sandbox). */
import { proxyActivities } from '@temporalio/workflow';
import type * as activities from './activities';

const { echo } = proxyActivities<typeof activities>({ startToCloseTimeout: '1 minute' });

export async function oneActivity(value: string): Promise<string> {
  return echo(value);
}
