import { loadDefinition } from '../../subgraphs/definitions';
import { copyFigures, saveSample } from '../../subgraphs/kit/sample';
import type { SampleAnswer, SampleJob } from './workers';

/**
 * A process of SampleWorkers (workers.ts). Sent `write`, it writes an agency's sample data into a directory
 * (saveSample) and answers whether the agency has any; sent `figures`, it builds the read model of a sample written
 * without it and copies it into the store it names (copyFigures). A failure is answered with its stack.
 */
process.on('message', (job: SampleJob) => {
  run(job).then(
    (answer) => process.send!(answer),
    (error: Error) => process.send!({ agency: job.agency, error: error.stack ?? error.message } satisfies SampleAnswer),
  );
});

async function run(job: SampleJob): Promise<SampleAnswer> {
  const definition = await loadDefinition(job.agency);
  if (job.kind === 'figures') return { agency: job.agency, years: await copyFigures(definition, job.directory, job.uri) };
  if (!definition.seed) return { agency: job.agency, written: false };
  await saveSample(definition, job.directory, job.secrets, { figures: job.figures });
  return { agency: job.agency, written: true };
}
