/** The by-hand recipe for the artifact sha256, from the file list job/artifact.ts hashes (ARTIFACT_FILES). */
import { ARTIFACT_FILES } from '../../job/artifact.js';
import { sourceLine } from '../format.js';

const WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];

/** The hashed files, in the order of the canonical listing (sorted by name, as artifactListing sorts them). */
export const hashedArtifactFiles = (): string[] => Object.values(ARTIFACT_FILES).sort();

export function artifactRecipe(): string {
  const files = hashedArtifactFiles();
  return [
    `The artifact sha256 is the sha256 of the \`sha256sum\`-style listing of the ${WORDS[files.length] ?? files.length} files (\`<hex>  <name>\\n\`, sorted`,
    'by name), so anyone can check it by hand:',
    '```sh',
    `(cd DIR && sha256sum ${files.join(' ')}) | sha256sum`,
    '```',
    'The wheels under `wheels/` are not in the listing: they travel with the artifact, and the bootstrap installs',
    'them only when they match the hashes in `requirements.lock`, which is.',
    '',
    sourceLine('`ARTIFACT_FILES` in `workbench/src/job/artifact.ts`'),
  ].join('\n');
}
