import { runMain, runSubgraph } from '../kit/run';
import { city } from './index';

runMain(() => runSubgraph(city));
