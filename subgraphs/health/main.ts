import { runMain, runSubgraph } from '../kit/run';
import { health } from './index';

runMain(() => runSubgraph(health));
