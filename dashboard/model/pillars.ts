import { SUBGRAPHS } from '../../subgraphs/registry';

/**
 * The six Smart City pillars in the order the national program lists them, each with the agency and
 * program that fills it. The agency's name and the pillar's field come from the subgraph registry, the one
 * list of subgraphs, so a renamed program is renamed on the page and in the report at once.
 */
export type PillarName = 'governance' | 'living' | 'environment' | 'society' | 'economy' | 'branding';

export const PILLAR_ORDER: readonly PillarName[] = ['governance', 'living', 'environment', 'society', 'economy', 'branding'];

export interface Pillar {
  name: PillarName;
  /** The national program's name for it, e.g. "Smart Governance". */
  title: string;
  /** Who runs it and which program, e.g. "BPPKAD (e-SPTPD)". */
  agency: string;
  /** The subgraph that answers it: errors naming this service concern this pillar. */
  serviceName: string;
}

const TITLES: Record<PillarName, string> = {
  governance: 'Smart Governance',
  living: 'Smart Living',
  environment: 'Smart Environment',
  society: 'Smart Society',
  economy: 'Smart Economy',
  branding: 'Smart Branding',
};

export const PILLARS: readonly Pillar[] = PILLAR_ORDER.map((name) => {
  const entry = SUBGRAPHS.find((candidate) => candidate.pillar === name);
  if (!entry) throw new Error(`No subgraph in subgraphs/registry.ts fills the ${name} pillar; expected exactly one.`);
  return { name, title: TITLES[name], agency: entry.agency, serviceName: entry.name };
});

export function pillar(name: PillarName): Pillar {
  return PILLARS.find((candidate) => candidate.name === name)!;
}

export function isPillarName(value: string): value is PillarName {
  return (PILLAR_ORDER as readonly string[]).includes(value);
}
