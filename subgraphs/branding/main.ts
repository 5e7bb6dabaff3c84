import { runMain } from '../../platform/process';
import { runSubgraph } from '../kit/run';
import { branding } from './index';

runMain(() => runSubgraph(branding));
