import { runMain, runSubgraph } from '../kit/run';
import { environment } from './index';

runMain(() => runSubgraph(environment));
