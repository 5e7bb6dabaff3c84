import { runMain, runSubgraph } from '../kit/run';
import { economy } from './index';

runMain(() => runSubgraph(economy));
