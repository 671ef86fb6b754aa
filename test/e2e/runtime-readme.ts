/**
 * The README's walkthrough as data: each shell block of a section that follows a
 * `<!-- step: NAME -->` marker, in order. The newcomer test runs exactly these blocks, so the README
 * cannot drift from what the product does.
 */
import { readFileSync } from 'node:fs';

export interface ReadmeStep {
  name: string;
  script: string;
}

/** The lines of `## <heading>` up to the next `## ` heading. */
export function readmeSection(markdown: string, heading: string): string {
  const lines = markdown.split('\n');
  const start = lines.findIndex((line) => line.trim() === `## ${heading}`);
  if (start < 0) throw new Error(`the README has no "## ${heading}" section`);
  const end = lines.findIndex((line, index) => index > start && line.startsWith('## '));
  return lines.slice(start + 1, end < 0 ? undefined : end).join('\n');
}

/** Every `<!-- step: NAME -->` followed by a ```sh block; a marker without its block is an error. */
export function readmeSteps(markdown: string): ReadmeStep[] {
  const steps: ReadmeStep[] = [];
  const marker = /<!--\s*step:\s*([a-z0-9-]+)\s*-->\s*\n```sh\n([\s\S]*?)\n```/g;
  for (const match of markdown.matchAll(marker)) steps.push({ name: match[1], script: match[2] });
  const markers = [...markdown.matchAll(/<!--\s*step:/g)].length;
  if (markers !== steps.length) {
    throw new Error(`${markers - steps.length} step marker(s) are not followed by a \`\`\`sh block`);
  }
  return steps;
}

export function readmeWalkthrough(readmePath: string, heading: string): ReadmeStep[] {
  return readmeSteps(readmeSection(readFileSync(readmePath, 'utf8'), heading));
}
