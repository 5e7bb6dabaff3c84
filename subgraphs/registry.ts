/**
 * The one list of subgraphs. Composition, the launcher, the gateway's routing and roles, docker-compose.yml
 * (generated from it), the development keys and the tests all read it; `npm run new-agency` adds an entry
 * together with the agency's folder.
 *
 * `city` is the city's own reference subgraph (Diskominfo, the Satu Data office): the 46 kelurahan, the
 * scorecard and resident roots. It sits apart from the six agencies so that one agency being down never
 * takes the map of the city with it.
 */
export interface SubgraphEntry {
  /** Short name: the subgraph's folder, its database suffix (kediri_<name>) and its role suffix (agency:<name>). */
  name: string;
  /** Default port when run by the launcher or docker-compose. */
  port: number;
  /** Folder relative to the project root. */
  dir: string;
  /** The scorecard field it fills (its Smart City pillar), if any; a test holds it to the agency's definePillar. */
  pillar?: string;
  /** Who runs it and which program: how reports and the dashboard name the pillar's source. */
  agency: string;
}

export const SUBGRAPHS: readonly SubgraphEntry[] = [
  { name: 'tax', port: 4001, dir: 'subgraphs/tax', pillar: 'governance', agency: 'BPPKAD (e-SPTPD)' },
  { name: 'health', port: 4002, dir: 'subgraphs/health', pillar: 'living', agency: 'Dinas Kesehatan (Homecare)' },
  { name: 'environment', port: 4003, dir: 'subgraphs/environment', pillar: 'environment', agency: 'DLHKP (Bank Sampah)' },
  { name: 'education', port: 4004, dir: 'subgraphs/education', pillar: 'society', agency: 'Dinas Pendidikan (English Massive)' },
  { name: 'economy', port: 4005, dir: 'subgraphs/economy', pillar: 'economy', agency: 'Dinas Koperasi dan UMTK (Kurnia)' },
  { name: 'branding', port: 4006, dir: 'subgraphs/branding', pillar: 'branding', agency: 'Bappeda (Prodamas Plus)' },
  { name: 'city', port: 4007, dir: 'subgraphs/city', agency: 'Diskominfo (Satu Data reference data)' },
];

export function subgraphEntry(name: string): SubgraphEntry {
  const entry = SUBGRAPHS.find((candidate) => candidate.name === name);
  if (!entry) {
    const known = SUBGRAPHS.map((candidate) => candidate.name).join(', ');
    throw new Error(`Unknown subgraph "${name}": expected one of ${known}.`);
  }
  return entry;
}
