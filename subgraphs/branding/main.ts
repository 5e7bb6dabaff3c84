import { runMain, runSubgraph } from '../kit/run';
import { branding } from './index';

runMain(() => runSubgraph(branding));
