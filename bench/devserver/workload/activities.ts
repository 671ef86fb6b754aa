/** The benchmark's one activity: returns a small value, so the figures measure orchestration only. */
export async function echo(value: string): Promise<string> {
  return value;
}
