import { runMain } from '../../platform/process';
import { runSubgraph } from '../kit/run';
import { economy } from './index';

runMain(() => runSubgraph(economy));
